// Browser test of the whole path: landing page -> room -> push -> candidate and observer.
// Run: npm run build:web && MOCKROOM_BIN=build/dev/server/mockroom node --test tests/e2e/

import assert from 'node:assert/strict';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { BANKS_DIR, htmlEscaped, launchBrowser, newPerson, readTextBank, startServer } from './harness.mjs';

const UI_TIMEOUT = 10_000; // generous deadline for anything that is not being measured
const PUSH_BUDGET_MS = 1_000;
const Q3_TEXT =
  'Describe a time you had to debug a difficult Python issue in production. How did you approach it?';

const bank = readTextBank(path.join(BANKS_DIR, 'python-developer.txt'));
const answers = bank.map((q) => q.sample_answer).filter((a) => a.length > 0);

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

async function person() {
  const p = await newPerson(browser);
  p.page.setDefaultTimeout(UI_TIMEOUT);
  // Everything the server sends this person over WebSocket, to prove no answer ever arrives.
  p.frames = [];
  p.page.on('websocket', (ws) => ws.on('framereceived', (f) => p.frames.push(String(f.payload))));
  people.push(p);
  return p;
}

async function join(page, name) {
  const input = page.getByTestId('join-name');
  await input.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'join-name',
    'the name field has focus');
  await input.fill(name);
  await input.press('Enter');
  await waitForText(page, 'connection-state', 'Connected');
}

async function waitForText(page, testid, text) {
  await page.waitForFunction(
    ([id, t]) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() === t,
    [testid, text],
    { timeout: UI_TIMEOUT },
  );
}

/** Asserts no sample answer of any bank question is in the page's DOM or its WebSocket frames. */
async function assertNoAnswers(p, who) {
  const html = await p.page.evaluate(() => document.documentElement.outerHTML);
  for (const answer of answers) {
    const head = answer.slice(0, 60);
    for (const needle of [answer, htmlEscaped(answer), head, htmlEscaped(head)]) {
      assert.ok(!html.includes(needle), `${who}'s DOM contains a sample answer: "${head}…"`);
    }
  }
  assert.ok(p.frames.length > 0, `${who} received WebSocket messages`);
  for (const frame of p.frames) {
    assert.ok(!frame.includes('sample_answer'), `${who} received a sample_answer field: ${frame.slice(0, 200)}`);
    const decoded = JSON.stringify(JSON.parse(frame));
    for (const answer of answers) {
      assert.ok(!decoded.includes(JSON.stringify(answer.slice(0, 60)).slice(1, -1)),
        `${who} received a sample answer over WebSocket`);
    }
  }
}

let interviewer;
let candidate;
let observer;
let q3;

test('an interviewer pushes question 3; candidate and observer see it at once, without answers', async () => {
  q3 = bank.find((q) => q.number === 3);
  assert.ok(q3, 'question 3 is in the bank file');
  assert.equal(q3.text, Q3_TEXT);

  // Landing page: create a room through the UI.
  interviewer = await person();
  const ip = interviewer.page;
  await ip.goto(`${server.url}/`);
  const bankSelect = ip.getByTestId('bank-select');
  await ip.waitForFunction(() => !document.querySelector('[data-testid="bank-select"]')?.disabled);
  await bankSelect.selectOption('python-developer');
  await ip.getByTestId('room-title-input').fill('E2E mock interview');
  await ip.getByTestId('create-room').click();
  const candidateLink = await ip.getByTestId('link-candidate').inputValue();
  const observerLink = await ip.getByTestId('link-observer').inputValue();
  const interviewerLink = await ip.getByTestId('link-interviewer').inputValue();
  for (const link of [candidateLink, observerLink, interviewerLink]) {
    assert.match(link, /^http:\/\/[^/]+\/room\/[A-Za-z0-9_-]+#token=[A-Za-z0-9_-]{22}$/);
  }
  assert.equal(await ip.getByTestId('open-interviewer').getAttribute('href'), interviewerLink);
  // Copy works, or at least selects the link for Ctrl+C when the clipboard is not available.
  await ip.getByTestId('copy-candidate').click();
  await ip.waitForFunction(
    () => /^(Copied|Selected)/.test(document.querySelector('[data-testid="copy-feedback-candidate"]')?.textContent ?? ''));

  await ip.getByTestId('open-interviewer').click();
  await ip.waitForURL((u) => u.pathname.startsWith('/room/'));
  await join(ip, 'Grace');
  await waitForText(ip, 'room-title', 'E2E mock interview');
  await waitForText(ip, 'role-label', 'Interviewer');

  candidate = await person();
  await candidate.page.goto(candidateLink);
  await join(candidate.page, 'Ada');
  await waitForText(candidate.page, 'role-label', 'Candidate');

  observer = await person();
  await observer.page.goto(observerLink);
  await join(observer.page, 'Olivia');
  assert.match(await observer.page.getByTestId('role-label').textContent(), /Observer/);
  await observer.page.getByTestId('observer-banner').waitFor();

  // Presence on the interviewer's page lists the connected candidate.
  await ip.locator('[data-testid="presence"] [data-testid="presence-item"][data-role="candidate"][data-connected="true"]')
    .filter({ hasText: 'Ada' }).waitFor();

  // Select question 3: its text and sample answer are shown side by side.
  await ip.locator('[data-testid="question-list"] [data-testid="question-item"][data-number="3"]').click();
  await waitForText(ip, 'selected-question-text', q3.text);
  assert.equal((await ip.getByTestId('sample-answer').textContent()).trim(), q3.sample_answer,
    'the interviewer sees the bank file\'s sample answer');

  // Push, and time until the candidate sees the text.
  const push = ip.getByTestId('push-button');
  await ip.waitForFunction(() => !document.querySelector('[data-testid="push-button"]')?.disabled);
  const visible = (page) =>
    page.waitForFunction(
      (text) => {
        const el = document.querySelector('[data-testid="current-question-text"]');
        return el !== null && el.textContent === text && el.checkVisibility();
      },
      q3.text,
      { timeout: 5 * PUSH_BUDGET_MS, polling: 'raf' },
    );
  // Inside the browsers too (same machine clock): the click event to the text in the DOM.
  await ip.evaluate(() => document.querySelector('[data-testid="push-button"]').addEventListener(
    'click', () => { window.__clickedAt = Date.now(); }, { capture: true, once: true }));
  await candidate.page.evaluate((text) => {
    const observer = new MutationObserver(() => {
      if (document.querySelector('[data-testid="current-question-text"]')?.textContent === text) {
        window.__shownAt = Date.now();
        observer.disconnect();
      }
    });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  }, q3.text);
  await push.scrollIntoViewIfNeeded();
  const t0 = performance.now();
  // A real mouse click; its actionability checks were done above so they are not timed.
  await push.click({ force: true });
  await visible(candidate.page);
  const elapsed = performance.now() - t0;
  const inPage = (await candidate.page.evaluate(() => window.__shownAt)) - (await ip.evaluate(() => window.__clickedAt));
  console.log(`push-to-visible (candidate): ${elapsed.toFixed(1)} ms from the test's click call ` +
    `(includes Playwright's own overhead); ${inPage} ms from the click event to the text in the candidate's DOM`);
  assert.ok(elapsed < PUSH_BUDGET_MS, `the candidate saw the question after ${elapsed.toFixed(0)} ms`);

  // Difficulty is shown; the screen-reader region announces the new question.
  assert.equal((await candidate.page.locator('[data-testid="current-question"] [data-testid="difficulty"]')
    .textContent()).trim(), 'hard');
  assert.equal(await candidate.page.getByTestId('announcer').getAttribute('aria-live'), 'polite');
  await candidate.page.waitForFunction(
    (text) => document.querySelector('[data-testid="announcer"]')?.textContent?.includes(text), q3.text);

  // The observer sees it too; the interviewer's "now asking" and history show it.
  await visible(observer.page);
  await waitForText(ip, 'current-question-text', q3.text);
  await ip.locator('[data-testid="history"] [data-testid="history-item"]').filter({ hasText: q3.text }).waitFor();

  // No sample answer of any question reaches the candidate or the observer.
  await assertNoAnswers(candidate, 'the candidate');
  await assertNoAnswers(observer, 'the observer');

  for (const p of [interviewer, candidate, observer]) assert.deepEqual(p.errors, [], 'no page errors');

  // Tokens are secrets: the server never writes one to its output.
  for (const link of [candidateLink, observerLink, interviewerLink]) {
    const token = new URL(link).hash.slice('#token='.length);
    assert.ok(!server.stderr().includes(token), 'a token appeared in the server log');
  }
});

test('a reloaded candidate gets the current question back as the same participant', async () => {
  assert.ok(candidate, 'runs after the first test');
  const cp = candidate.page;
  candidate.frames.length = 0;
  await cp.reload();
  // The name is remembered; the client id survives in sessionStorage.
  assert.equal(await cp.getByTestId('join-name').inputValue(), 'Ada');
  await cp.getByTestId('join-name').press('Enter');
  await waitForText(cp, 'connection-state', 'Connected');
  await waitForText(cp, 'current-question-text', q3.text);
  await assertNoAnswers(candidate, 'the reloaded candidate');

  const ip = interviewer.page;
  const candidates = ip.locator('[data-testid="presence"] [data-testid="presence-item"][data-role="candidate"]');
  await candidates.filter({ hasText: 'Ada' }).and(ip.locator('[data-connected="true"]')).waitFor();
  assert.equal(await candidates.count(), 1, 'the candidate is listed once');
});

test('a dropped connection comes back by itself as the same participant and catches up', async () => {
  const cp = candidate.page;
  const ip = interviewer.page;
  const q5 = bank.find((q) => q.number === 5);
  const before = await cp.evaluate(() => window.__mockroomSockets.length);
  await cp.evaluate(() => window.__mockroomSockets.at(-1).close());
  await cp.waitForFunction(
    () => /^Reconnecting in \d+ s…$/.test(document.querySelector('[data-testid="connection-state"]')?.textContent),
    null, { timeout: UI_TIMEOUT });
  // The interviewer moves on meanwhile (or just after: the candidate must end up current either way).
  await ip.locator('[data-testid="question-list"] [data-testid="question-item"][data-number="5"]').click();
  await ip.getByTestId('push-button').click();
  await waitForText(cp, 'connection-state', 'Connected');
  await waitForText(cp, 'current-question-text', q5.text);
  assert.equal(await cp.evaluate(() => window.__mockroomSockets.length), before + 1, 'one new socket');
  const candidates = ip.locator('[data-testid="presence"] [data-testid="presence-item"][data-role="candidate"]');
  await candidates.filter({ hasText: 'Ada' }).and(ip.locator('[data-connected="true"]')).waitFor();
  assert.equal(await candidates.count(), 1, 'the candidate is listed once');
  await assertNoAnswers(candidate, 'the reconnected candidate');
});

test('an observer who leaves disappears from the participant list', async () => {
  const op = observer.page;
  const ip = interviewer.page;
  const olivia = ip.locator('[data-testid="presence"] [data-testid="presence-item"]').filter({ hasText: 'Olivia' });
  await olivia.waitFor();
  await op.getByTestId('leave-button').click();
  await op.getByTestId('left-room').waitFor();
  await waitForText(op, 'connection-state', 'Left the room');
  await olivia.waitFor({ state: 'detached' });
  await ip.locator('[data-testid="presence"] [data-testid="presence-item"]').filter({ hasText: 'Ada' }).waitFor();
});

test('a link with a wrong token says so and stops reconnecting', async () => {
  const res = await fetch(`${server.url}/api/rooms`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ bank: 'python-developer' }),
  });
  assert.equal(res.status, 201);
  const link = new URL((await res.json()).links.candidate);
  const p = await person();
  link.hash = '#token=AAAAAAAAAAAAAAAAAAAAAA';
  await p.page.goto(link.href);
  await p.page.getByTestId('join-name').fill('Mallory');
  await p.page.getByTestId('join-name').press('Enter');
  await waitForText(p.page, 'connection-state', 'Invalid link');
  await p.page.getByTestId('invalid-link').waitFor();
  // "stopped" is only shown once the client has cancelled every reconnect timer.
  assert.equal(await p.page.getByTestId('connection-state').getAttribute('data-state'), 'stopped');
  assert.deepEqual(p.errors.filter((e) => !/WebSocket/.test(e)), [], 'no page errors');
});
