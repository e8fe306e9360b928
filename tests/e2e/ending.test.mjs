// Browser test of the end of an interview: two interviewers fill in the scorecard at once (on
// different fields, then racing on one field: the loser is told and loses nothing) while the
// candidate never receives any of it; an interviewer ends the interview from the keyboard and
// the candidate's page shows it, with a shared pad that can no longer be changed (not by typing,
// not by a notes.push sent by hand); the sample answers of the asked questions reach the
// candidate only when an interviewer reveals them.
// Run: npm run build:web && MOCKROOM_BIN=build/dev/server/mockroom node --test tests/e2e/ending.test.mjs

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BANKS_DIR, htmlEscaped, launchBrowser, newPerson, readTextBank, startServer } from './harness.mjs';

const UI_TIMEOUT = 10_000;
const bank = readTextBank(path.join(BANKS_DIR, 'python-developer.txt'));
const q3 = bank.find((q) => q.number === 3);
const q1 = bank.find((q) => q.number === 1);

// Scorecard texts: none of them may ever reach the candidate.
const GRACE_COMMENT = 'SCORE-grace-comment-4b1e: traced the bug from the logs';
const ALAN_SUMMARY = 'SCORE-alan-summary-93cd: solid fundamentals, hire';
const RACE_GRACE = 'SCORE-race-grace-0a7f';
const RACE_ALAN = 'SCORE-race-alan-55e2';
const SECRET_TEXTS = [GRACE_COMMENT, ALAN_SUMMARY, RACE_GRACE, RACE_ALAN];

let server;
let browser;
const people = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  for (const p of people) await p.context.close().catch(() => {});
  await browser?.close();
  await server?.stop();
});

async function createRoom() {
  const res = await fetch(`${server.url}/api/rooms`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ bank: 'python-developer', title: 'Ending' }),
  });
  assert.equal(res.status, 201);
  return (await res.json()).links;
}

/** A joined person; every WebSocket frame it received (`frames`) and sent (`sent`) is kept. */
async function person(link, name) {
  const p = await newPerson(browser);
  p.name = name;
  p.page.setDefaultTimeout(UI_TIMEOUT);
  p.frames = [];
  p.sent = [];
  p.page.on('websocket', (ws) => {
    ws.on('framereceived', (f) => p.frames.push(String(f.payload)));
    ws.on('framesent', (f) => p.sent.push(String(f.payload)));
  });
  people.push(p);
  await p.page.goto(link);
  const input = p.page.getByTestId('join-name');
  await input.fill(name);
  await input.press('Enter');
  await waitConnected(p.page);
  p.you = p.frames.map((f) => JSON.parse(f)).find((m) => m.type === 'welcome').you;
  return p;
}

const waitConnected = (page) => page.waitForFunction(
  () => document.querySelector('[data-testid="connection-state"]')?.textContent === 'Connected', null,
  { timeout: UI_TIMEOUT });

const focused = (page) => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);

const editor = (doc) => `[data-testid="${doc}-notes"] .cm-content`;

function notesText(page, doc) {
  return page.evaluate((sel) => [...document.querySelectorAll(`${sel} .cm-line`)]
    .map((line) => line.textContent).join('\n'), editor(doc));
}

async function waitForNotes(page, doc, text) {
  await page.waitForFunction(([sel, sync, t]) =>
    [...document.querySelectorAll(`${sel} .cm-line`)].map((l) => l.textContent).join('\n') === t &&
    document.querySelector(sync)?.dataset.state === 'saved',
  [editor(doc), `[data-testid="${doc}-notes-sync"]`, text], { timeout: UI_TIMEOUT });
}

async function push(page, number, candidatePage, text) {
  await page.locator(`[data-testid="question-list"] [data-testid="question-item"][data-number="${number}"]`).click();
  await page.waitForFunction(() => !document.querySelector('[data-testid="push-button"]')?.disabled);
  await page.getByTestId('push-button').click();
  await candidatePage.waitForFunction(
    (t) => document.querySelector('[data-testid="current-question-text"]')?.textContent === t, text);
}

const field = (f) => `[data-testid="score-field"][data-field="${f}"]`;

/** Waits until a scorecard field shows `value` and is in `state` (saved by default). */
async function waitForField(page, f, value, state = 'saved') {
  await page.waitForFunction(([sel, v, s]) => {
    const box = document.querySelector(sel);
    if (!box || box.dataset.state !== s) return false;
    const ta = box.querySelector('textarea');
    const select = box.querySelector('select');
    const shown = ta ? ta.value : select ? select.value : box.querySelector('input:checked')?.value ?? null;
    return shown === v;
  }, [field(f), value, state], { timeout: UI_TIMEOUT });
}

/** What the pages show, for a failure message. */
async function diagnostics(...ps) {
  const out = [];
  for (const p of ps) {
    const state = await p.page.evaluate(() => ({
      status: document.querySelector('[data-testid="status-line"]')?.textContent,
      fields: [...document.querySelectorAll('[data-testid="score-field"]')].map((b) =>
        `${b.dataset.field}=${b.dataset.state}@${b.dataset.rev}`),
    })).catch((e) => String(e));
    out.push(`${p.name}: ${JSON.stringify(state)} last frames: ${JSON.stringify(p.frames.slice(-5))}`);
  }
  return out.join('\n');
}

async function explained(fn, ...ps) {
  try {
    await fn();
  } catch (e) {
    e.message += `\n${await diagnostics(...ps)}`;
    throw e;
  }
}

/** The candidate got nothing of the scorecard: not in the DOM, not over the WebSocket. */
async function assertNoScorecard(p) {
  assert.equal(await p.page.locator('[data-testid="scorecard-section"]').count(), 0, 'no scorecard on the page');
  assert.equal(await p.page.locator('[data-testid="score-field"]').count(), 0);
  const html = await p.page.evaluate(() => document.documentElement.outerHTML);
  for (const t of SECRET_TEXTS) {
    assert.ok(!html.includes(t) && !html.includes(htmlEscaped(t)), `the candidate's DOM contains "${t}"`);
  }
  assert.ok(p.frames.length > 0);
  for (const f of p.frames) {
    const m = JSON.parse(f);
    assert.notEqual(m.type, 'score', `the candidate received a score message: ${f.slice(0, 200)}`);
    assert.ok(!f.includes('scorecard'), `the candidate received scorecard data: ${f.slice(0, 200)}`);
    for (const t of SECRET_TEXTS) assert.ok(!f.includes(t), `the candidate received "${t}"`);
  }
}

/** No sample answer of `questions` in the page's DOM or received frames. */
async function assertNoAnswersOf(p, questions) {
  const html = await p.page.evaluate(() => document.documentElement.outerHTML);
  for (const q of questions) {
    const head = q.sample_answer.slice(0, 60);
    assert.ok(!html.includes(head) && !html.includes(htmlEscaped(head)), `the DOM has the answer to question ${q.number}`);
  }
  assert.equal(await p.page.locator('[data-testid="history-sample-answer"], [data-testid="current-sample-answer"]').count(), 0);
  for (const f of p.frames) assert.ok(!f.includes('sample_answer'), `a sample_answer arrived: ${f.slice(0, 200)}`);
}

let grace;
let alan;
let ada;
let observerLink;

test('two interviewers fill in the scorecard at once; a same-field race loses nothing; the candidate sees none of it',
  async () => {
    const links = await createRoom();
    observerLink = links.observer;
    grace = await person(links.interviewer, 'Grace');
    alan = await person(links.interviewer, 'Alan');
    ada = await person(links.candidate, 'Ada');
    const gp = grace.page;
    const ap = alan.page;

    // Two questions asked: question 3 (seq 1), then question 1 (seq 2).
    await push(gp, 3, ada.page, q3.text);
    await push(gp, 1, ada.page, q1.text);
    for (const page of [gp, ap]) {
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="score-question"]').length === 2);
    }
    assert.equal(await gp.locator('[data-testid="score-question"]').first().getAttribute('data-seq'), '1');
    // Everything is labelled: each radio, textarea and select has a label.
    const unlabelled = await gp.evaluate(() => [...document.querySelectorAll(
      '[data-testid="scorecard-section"] input, [data-testid="scorecard-section"] textarea, [data-testid="scorecard-section"] select')]
      .filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label')).map((el) => el.outerHTML));
    assert.deepEqual(unlabelled, []);

    // Different fields at the same moment: Grace rates question 3 and comments on it, Alan
    // gives the recommendation and the summary.
    await Promise.all([
      (async () => {
        await gp.locator(`${field('q1.rating')} input[value="3"]`).check();
        await gp.locator(`${field('q1.comment')} textarea`).fill(GRACE_COMMENT);
        await gp.keyboard.press('Tab'); // leaving the field saves at once
      })(),
      (async () => {
        await ap.locator(`${field('recommendation')} select`).selectOption('yes');
        await ap.locator(`${field('summary')} textarea`).fill(ALAN_SUMMARY);
        await ap.keyboard.press('Tab');
      })(),
    ]);
    await explained(async () => {
      for (const page of [gp, ap]) {
        await waitForField(page, 'q1.rating', '3');
        await waitForField(page, 'q1.comment', GRACE_COMMENT);
        await waitForField(page, 'recommendation', 'yes');
        await waitForField(page, 'summary', ALAN_SUMMARY);
      }
    }, grace, alan);
    // Alan's page says who wrote Grace's comment.
    assert.match(await ap.locator(`${field('q1.comment')} [data-testid="score-state"]`).textContent(), /Grace/);

    // The same field at the same moment: both type a comment on question 1 (seq 2).
    const comment = field('q2.comment');
    await Promise.all([
      gp.locator(`${comment} textarea`).fill(RACE_GRACE),
      ap.locator(`${comment} textarea`).fill(RACE_ALAN),
    ]);
    // One of them wins; the other is told, and still has their own text.
    let loser;
    await explained(async () => {
      const conflictOn = (p) => p.page.locator(`${comment}[data-state="conflict"] [data-testid="score-conflict"]`);
      await Promise.race([
        conflictOn(grace).waitFor().then(() => { loser ??= grace; }),
        conflictOn(alan).waitFor().then(() => { loser ??= alan; }),
      ]);
    }, grace, alan);
    const winner = loser === grace ? alan : grace;
    const mine = loser === grace ? RACE_GRACE : RACE_ALAN;
    const theirs = loser === grace ? RACE_ALAN : RACE_GRACE;
    await waitForField(winner.page, 'q2.comment', theirs);
    assert.equal(await loser.page.locator(`${comment} textarea`).inputValue(), mine, 'the loser\'s text is still there');
    const notice = loser.page.locator(`${comment} [data-testid="score-conflict"]`);
    assert.match(await notice.textContent(), new RegExp(`Changed by ${winner.name}`));
    assert.match(await notice.locator('[data-testid="score-theirs"]').textContent(), new RegExp(theirs));
    await loser.page.waitForFunction(() => /while you were editing/.test(
      document.querySelector('[data-testid="announcer"]')?.textContent ?? ''));
    assert.equal(await winner.page.locator(`${comment} [data-testid="score-conflict"]`).isVisible(), false,
      'the winner gets no notice');

    // "Keep mine": the loser's text is stored on top of the winner's; both pages show it.
    await notice.getByTestId('score-keep-mine').click();
    await explained(async () => {
      await waitForField(loser.page, 'q2.comment', mine);
      await waitForField(winner.page, 'q2.comment', mine);
    }, grace, alan);
    assert.equal(await loser.page.locator(`${comment} [data-testid="score-conflict"]`).isVisible(), false);
    const revs = await Promise.all([gp, ap].map((page) => page.locator(comment).getAttribute('data-rev')));
    assert.deepEqual(revs, ['2', '2'], 'the winner\'s value, then the loser\'s on top of it');
    // Every value both typed was stored at some point (nothing silently dropped).
    const stored = [...grace.frames, ...alan.frames].map((f) => JSON.parse(f))
      .filter((m) => m.type === 'score' && m.field === 'q2.comment').map((m) => m.value);
    assert.ok(stored.includes(RACE_GRACE) && stored.includes(RACE_ALAN), JSON.stringify(stored));

    await assertNoScorecard(ada);
    for (const p of [grace, alan, ada]) assert.deepEqual(p.errors, [], `${p.name}: no page errors`);
  });

test('an interviewer ends the interview from the keyboard; the candidate\'s pad is read-only, even by hand', async () => {
  const gp = grace.page;
  const cp = ada.page;
  // Something in the shared pad before the end.
  await cp.locator(editor('shared')).click();
  await cp.keyboard.type('before the end');
  await waitForNotes(cp, 'shared', 'before the end');
  await waitForNotes(gp, 'shared', 'before the end');
  assert.equal(await cp.getByTestId('ended-banner').isVisible(), false);

  // Keyboard only: the button asks first; Escape cancels; Enter twice ends.
  await gp.getByTestId('end-button').focus();
  await gp.keyboard.press('Enter');
  assert.equal(await focused(gp), 'end-confirm', 'the confirmation has focus');
  await gp.keyboard.press('Escape');
  assert.equal(await focused(gp), 'end-button', 'Escape goes back to the button');
  assert.equal(await gp.getByTestId('end-confirmation').isVisible(), false);
  assert.equal(await cp.getByTestId('ended-banner').isVisible(), false, 'cancelling ends nothing');
  await gp.keyboard.press('Enter');
  await gp.keyboard.press('Enter');

  // Every page shows the banner; the candidate's screen reader hears it.
  for (const page of [cp, gp, alan.page]) {
    await page.getByTestId('ended-banner').waitFor({ state: 'visible' });
    assert.match(await page.getByTestId('ended-banner').textContent(), /The interview has ended/);
  }
  assert.match(await cp.getByTestId('ended-banner').textContent(), /ended by Grace/);
  await cp.waitForFunction(() => /The interview has ended/.test(
    document.querySelector('[data-testid="announcer"]')?.textContent ?? ''));
  assert.equal(await cp.getByTestId('announcer').getAttribute('aria-live'), 'polite');
  // The interviewer's focus moved on to the next step.
  await gp.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'reveal-button');

  // The candidate's shared pad is read-only, with no editing affordances.
  const sharedEditor = cp.locator(editor('shared'));
  assert.equal(await sharedEditor.getAttribute('contenteditable'), 'false');
  assert.equal(await sharedEditor.getAttribute('aria-readonly'), 'true');
  assert.equal(await cp.locator('select[data-testid="notes-language"]').isVisible(), false, 'no highlighting choice');
  assert.match(await cp.getByTestId('shared-notes-hint').textContent(), /Read-only: the interview has ended/);
  await sharedEditor.click();
  await cp.keyboard.type('typed after the end');
  await cp.keyboard.press('Enter');
  assert.equal(await notesText(cp, 'shared'), 'before the end', 'typing changes nothing');

  // A notes.push sent by hand over the page's socket is refused and changes nothing.
  const hello = ada.sent.map((f) => JSON.parse(f)).findLast((m) => m.type === 'hello');
  let version = -1;
  for (const m of ada.frames.map((f) => JSON.parse(f))) {
    if (m.doc !== 'shared') continue;
    if (m.type === 'notes.snapshot') version = Math.max(version, m.version);
    if (m.type === 'notes.updates') version = Math.max(version, m.from + m.updates.length);
  }
  assert.ok(version > 0, 'the candidate holds a version of the shared notes');
  const byHand = {
    type: 'notes.push', id: 'by-hand-1', doc: 'shared', version,
    updates: [{ clientID: hello.client, changes: ['before the end'.length, [0, ' HACKED']] }],
  };
  await cp.evaluate((msg) => window.__mockroomSockets.at(-1).send(JSON.stringify(msg)), byHand);
  await explained(async () => {
    const deadline = Date.now() + UI_TIMEOUT;
    for (;;) {
      const answer = ada.frames.map((f) => JSON.parse(f)).find((m) => m.type === 'error' && m.ref === 'by-hand-1');
      if (answer) {
        assert.equal(answer.code, 'forbidden');
        break;
      }
      assert.ok(Date.now() < deadline, 'no answer to the hand-made push');
      await new Promise((r) => setTimeout(r, 20));
    }
  }, ada);
  for (const page of [cp, gp]) assert.equal(await notesText(page, 'shared'), 'before the end', 'the document is unchanged');
  assert.ok(!ada.frames.some((f) => f.includes('HACKED') || f.includes('typed after the end')));

  // The timers were paused by the server; the interviewer's controls are off.
  for (const page of [cp, gp]) {
    for (const t of ['interview', 'question']) {
      await page.waitForFunction((id) => document.querySelector(`[data-testid="${id}"]`)?.dataset.state === 'paused',
        `timer-${t}`);
    }
  }
  assert.equal(await gp.getByTestId('timer-interview-toggle').getAttribute('aria-disabled'), 'true');
  assert.equal(await gp.getByTestId('timer-question-plus').getAttribute('aria-disabled'), 'true');
  assert.equal(await gp.getByTestId('push-button').isDisabled(), true);
  assert.equal(await gp.getByTestId('custom-push').isDisabled(), true);
  // The interviewer's shared pad is read-only too; the private notes are not.
  assert.equal(await gp.locator(editor('shared')).getAttribute('contenteditable'), 'false');
  await gp.locator(editor('private')).click();
  await gp.keyboard.type('after the end: debrief notes');
  await waitForNotes(gp, 'private', 'after the end: debrief notes');
  // The scorecard stays open after the end.
  await alan.page.locator(`${field('q2.rating')} input[value="4"]`).check();
  await waitForField(gp, 'q2.rating', '4');

  await assertNoScorecard(ada);
  for (const p of [grace, alan]) assert.deepEqual(p.errors, [], `${p.name}: no page errors`);
});

test('the sample answers reach the candidate only when revealed, and only those of asked questions', async () => {
  const gp = grace.page;
  const cp = ada.page;
  // An observer who joins after the end (from the welcome: the banner, a read-only pad, no answers).
  const olivia = await person(observerLink, 'Olivia');
  await olivia.page.getByTestId('ended-banner').waitFor({ state: 'visible' });
  await olivia.page.locator(editor('shared')).waitFor();
  assert.equal(await olivia.page.locator(editor('shared')).getAttribute('contenteditable'), 'false');
  await assertNoAnswersOf(ada, [q3, q1]);
  await assertNoAnswersOf(olivia, [q3, q1]);

  await gp.getByTestId('reveal-button').click();
  assert.match(await gp.getByTestId('reveal-confirmation').textContent(), /2 questions were asked/);
  await gp.getByTestId('reveal-confirm').click();
  await gp.getByTestId('revealed-note').waitFor({ state: 'visible' });

  // The candidate's history shows each asked question's answer, labelled, with its question.
  for (const q of [q3, q1]) {
    const item = cp.locator('[data-testid="history-item"]').filter({ hasText: q.text });
    await item.locator('[data-testid="history-sample-answer"]').waitFor();
    const shown = await item.locator('[data-testid="history-sample-answer"]').textContent();
    assert.ok(shown.startsWith('Sample answer'), `labelled: ${shown.slice(0, 40)}`);
    assert.ok(shown.includes(q.sample_answer.slice(0, 80)), `question ${q.number}'s answer is shown`);
  }
  // The observer sees them as well.
  await olivia.page.locator('[data-testid="history-sample-answer"]').nth(1).waitFor();
  assert.ok((await olivia.page.locator('[data-testid="history-item"]').filter({ hasText: q3.text }).textContent())
    .includes(q3.sample_answer.slice(0, 80)));
  // The current question (question 1) shows its answer too.
  assert.ok((await cp.getByTestId('current-sample-answer').textContent()).includes(q1.sample_answer.slice(0, 80)));
  await cp.waitForFunction(() => /sample answers are now shown/.test(
    document.querySelector('[data-testid="announcer"]')?.textContent ?? ''));
  // Only the asked ones.
  const html = await cp.evaluate(() => document.documentElement.outerHTML);
  for (const q of bank.filter((x) => x.number !== 1 && x.number !== 3 && x.sample_answer.length > 0)) {
    assert.ok(!html.includes(htmlEscaped(q.sample_answer.slice(0, 60))), `question ${q.number}'s answer is not shown`);
  }

  await assertNoScorecard(ada);
  await assertNoScorecard(olivia);
  for (const p of [grace, alan, ada, olivia]) {
    assert.deepEqual(p.errors.filter((e) => !/WebSocket/.test(e)), [], `${p.name}: no page errors`);
  }
});

test('a candidate who reloads after the end gets the ended, revealed room from the welcome', async () => {
  const cp = ada.page;
  ada.frames.length = 0;
  await cp.reload();
  await cp.getByTestId('join-name').press('Enter');
  await waitConnected(cp);
  await cp.getByTestId('ended-banner').waitFor({ state: 'visible' });
  await cp.locator(editor('shared')).waitFor();
  assert.equal(await cp.locator(editor('shared')).getAttribute('contenteditable'), 'false');
  await cp.locator('[data-testid="history-sample-answer"]').first().waitFor();
  assert.equal(await cp.locator('[data-testid="history-sample-answer"]').count(), 2);
  const welcome = ada.frames.map((f) => JSON.parse(f)).find((m) => m.type === 'welcome');
  assert.equal(welcome.state.revealed, true);
  assert.equal(typeof welcome.state.ended_at, 'number');
  assert.ok(!('scorecard' in welcome.state), 'no scorecard in a candidate\'s welcome');
  await assertNoScorecard(ada);
});
