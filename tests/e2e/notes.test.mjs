// Browser test of the collaborative notes: an interviewer and a candidate type into the shared
// pad at the same time and end with the same text; the private notes never reach the
// candidate (DOM or WebSocket); the highlighting setting and the interviewer's cursor show up on
// the candidate's page; an edit made while disconnected is sent after the reconnect.
// Run: npm run build:web && MOCKROOM_BIN=build/dev/server/mockroom node --test tests/e2e/notes.test.mjs

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { htmlEscaped, launchBrowser, newPerson, startServer } from './harness.mjs';

const UI_TIMEOUT = 15_000;
const CANARY = 'PRIVATE-CANARY-7f3a91';

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
    body: JSON.stringify({ bank: 'python-developer', title: 'Notes' }),
  });
  assert.equal(res.status, 201);
  return (await res.json()).links;
}

/** A person whose received WebSocket frames are all kept (listening before the page loads). */
async function person(link, name) {
  const p = await newPerson(browser);
  p.page.setDefaultTimeout(UI_TIMEOUT);
  p.frames = [];
  p.page.on('websocket', (ws) => ws.on('framereceived', (f) => p.frames.push(String(f.payload))));
  people.push(p);
  await p.page.goto(link);
  const input = p.page.getByTestId('join-name');
  await input.fill(name);
  await input.press('Enter');
  await p.page.waitForFunction(
    () => document.querySelector('[data-testid="connection-state"]')?.textContent === 'Connected');
  p.you = welcomeOf(p).you;
  return p;
}

function welcomeOf(p) {
  const frame = p.frames.map((f) => JSON.parse(f)).find((m) => m.type === 'welcome');
  assert.ok(frame, 'a welcome arrived');
  return frame;
}

const editor = (doc) => `[data-testid="${doc}-notes"] .cm-content`;

/** The editor's text, line by line (remote carets live in a layer outside the lines). */
function notesText(page, doc) {
  return page.evaluate((sel) => [...document.querySelectorAll(`${sel} .cm-line`)]
    .map((line) => line.textContent).join('\n'), editor(doc));
}

/** Waits until the document holds every token exactly once and has nothing left to send. */
async function waitForTokens(page, doc, tokens) {
  await page.waitForFunction(([sel, sync, toks]) => {
    const text = [...document.querySelectorAll(`${sel} .cm-line`)].map((l) => l.textContent).join('\n');
    const once = (t) => text.split(t).length === 2;
    return toks.every(once) && document.querySelector(sync)?.dataset.state === 'saved';
  }, [editor(doc), `[data-testid="${doc}-notes-sync"]`, tokens], { timeout: UI_TIMEOUT });
}

/** What the pages show, for a failure message. */
async function diagnostics(...ps) {
  const out = [];
  for (const p of ps) {
    const state = await p.page.evaluate(() => ({
      conn: document.querySelector('[data-testid="connection-state"]')?.textContent,
      status: document.querySelector('[data-testid="status-line"]')?.textContent,
      sync: [...document.querySelectorAll('.notes-sync')].map((e) => `${e.dataset.testid}=${e.dataset.state}`),
    })).catch((e) => String(e));
    out.push(JSON.stringify({ you: p.you, state, text: await notesText(p.page, 'shared').catch(() => '?'),
      lastFrames: p.frames.slice(-6), errors: p.errors }));
  }
  return out.join('\n');
}

/** Runs `fn`; on failure, adds what the pages show to the error. */
async function explained(fn, ...ps) {
  try {
    await fn();
  } catch (e) {
    e.message += `\n${await diagnostics(...ps)}`;
    throw e;
  }
}

async function typeTokens(page, tokens) {
  for (const t of tokens) await page.keyboard.type(t);
}

let interviewer;
let candidate;

test('two people type into the shared pad at once and converge; the private notes stay private', async () => {
  const links = await createRoom();
  interviewer = await person(links.interviewer, 'Grace');
  candidate = await person(links.candidate, 'Ada');
  const ip = interviewer.page;
  const cp = candidate.page;

  // Both editors load; the candidate has no private notes at all.
  await ip.locator(editor('shared')).waitFor();
  await ip.locator(editor('private')).waitFor();
  await cp.locator(editor('shared')).waitFor();
  assert.equal(await cp.locator('[data-testid="private-notes"]').count(), 0);
  assert.equal(await cp.locator('[data-testid="private-notes-section"]').count(), 0);
  assert.match(await ip.getByTestId('private-notes-label').textContent(), /Private — only interviewers see this/);
  for (const [page, doc] of [[ip, 'shared'], [ip, 'private'], [cp, 'shared']]) {
    assert.ok(await page.locator(editor(doc)).getAttribute('aria-label'), `${doc} editor has an aria-label`);
  }

  // The interviewer writes a canary into the private notes first (in one piece, as a paste
  // would, so that it would show whole in any frame that leaked it).
  await ip.locator(editor('private')).click();
  await ip.keyboard.insertText(`${CANARY} do not share`);
  await waitForTokens(ip, 'private', [CANARY]);
  // Escape then Tab leaves the editor (Tab alone indents).
  await ip.keyboard.press('Escape');
  await ip.keyboard.press('Tab');
  assert.equal(await ip.evaluate(() => !!document.activeElement?.closest('[data-testid="private-notes"]')), false,
    'Escape then Tab moved focus out of the editor');

  // A first line both see, so that each can type at a different end of it.
  await ip.locator(editor('shared')).click();
  await ip.keyboard.type('== middle ==');
  await waitForTokens(cp, 'shared', ['== middle ==']);
  await cp.locator(editor('shared')).click();
  await cp.keyboard.press('Control+Home');
  await ip.keyboard.press('Control+End');

  const mine = ['\nint-one é😀 ', 'int-two\n', 'int-three Ωß ', 'int-four\n', 'int-five 😀😀'];
  const theirs = ['cand-one 😀é ', 'cand-two\n', 'cand-three ñ ', 'cand-four\n', 'cand-five\n'];
  await Promise.all([typeTokens(ip, mine), typeTokens(cp, theirs)]);

  const tokens = [...mine, ...theirs].map((t) => t.trim()).concat('== middle ==');
  await waitForTokens(ip, 'shared', tokens);
  await waitForTokens(cp, 'shared', tokens);
  const [a, b] = [await notesText(ip, 'shared'), await notesText(cp, 'shared')];
  assert.equal(a, b, 'both pages show the same text');
  for (const t of tokens) assert.equal(a.split(t).length, 2, `"${t}" appears exactly once`);
  assert.ok(!a.includes('\r'));
  // No resync was needed (a client reloads the notes if an update does not fit its copy).
  for (const page of [ip, cp]) assert.equal(await page.getByTestId('status-line').textContent(), '');

  // The private notes never reached the candidate: not in the DOM, not on the wire.
  const html = await cp.evaluate(() => document.documentElement.outerHTML);
  assert.ok(!html.includes(CANARY) && !html.includes(htmlEscaped(CANARY)), 'the canary is not in the candidate\'s DOM');
  assert.ok(candidate.frames.length > 0);
  for (const f of candidate.frames) {
    assert.ok(!f.includes(CANARY), `the candidate received the private notes: ${f.slice(0, 200)}`);
    const m = JSON.parse(f);
    assert.notEqual(m.doc, 'private', `the candidate received a private-notes message: ${f.slice(0, 200)}`);
  }
  assert.ok(interviewer.frames.some((f) => f.includes(CANARY)), 'the interviewer did get the private notes');

  for (const p of [interviewer, candidate]) assert.deepEqual(p.errors, [], 'no page errors');
});

test('the highlighting setting reaches the candidate, and so does the interviewer\'s cursor', async () => {
  const ip = interviewer.page;
  const cp = candidate.page;
  assert.equal(await cp.getByTestId('notes-language').inputValue(), 'plain');
  await ip.getByTestId('notes-language').selectOption('python');
  await cp.waitForFunction(() =>
    document.querySelector('[data-testid="notes-language"]')?.value === 'python' &&
    document.querySelector('[data-testid="shared-notes"]')?.dataset.highlighting === 'python');
  // The editor runs the Python language (CodeMirror marks its content with the language name).
  await cp.locator('[data-testid="shared-notes"] .cm-content[data-language="python"]').waitFor();
  assert.equal(await ip.getByTestId('notes-language').inputValue(), 'python');

  // The interviewer puts the caret somewhere new; the candidate sees it with the name.
  await ip.locator(editor('shared')).click();
  await ip.keyboard.press('Control+Home');
  const caret = cp.locator(`[data-testid="remote-cursor"][data-participant="${interviewer.you}"]`);
  await caret.first().waitFor();
  await cp.waitForFunction((id) => [...document.querySelectorAll(
    `[data-testid="remote-cursor"][data-participant="${id}"]`)].some((el) => el.textContent === 'Grace'), interviewer.you);
  // It moves to the start of the first line.
  await explained(() => cp.waitForFunction(([id, sel]) => {
    const caret = document.querySelector(`[data-testid="remote-cursor"][data-participant="${id}"]`);
    const line = document.querySelector(`${sel} .cm-line`);
    if (!caret || !line) return false;
    const a = caret.getBoundingClientRect();
    const b = line.getBoundingClientRect();
    return Math.abs(a.left - b.left) < 12 && Math.abs(a.top - b.top) < 12;
  }, [interviewer.you, editor('shared')]), interviewer, candidate);
  // No cursor of the candidate's own on its page.
  assert.equal(await cp.locator(`[data-testid="remote-cursor"][data-participant="${candidate.you}"]`).count(), 0);
});

test('an edit made while disconnected is sent after the reconnect, without duplicates', async () => {
  const ip = interviewer.page;
  const cp = candidate.page;
  // Each at a different end (text typed at one place at the same time interleaves, by design).
  await cp.locator(editor('shared')).click();
  await cp.keyboard.press('Control+Home');
  await cp.evaluate(() => window.__mockroomSockets.at(-1).close());
  await cp.waitForFunction(
    () => document.querySelector('[data-testid="connection-state"]')?.dataset.state !== 'connected');
  await cp.keyboard.type('offline-edit ✓\n');
  await ip.keyboard.press('Control+End');
  await ip.keyboard.type('\nonline-edit');
  await cp.waitForFunction(
    () => document.querySelector('[data-testid="connection-state"]')?.dataset.state === 'connected',
    null, { timeout: UI_TIMEOUT });
  const tokens = ['offline-edit ✓', 'online-edit', '== middle =='];
  await explained(async () => {
    await waitForTokens(cp, 'shared', tokens);
    await waitForTokens(ip, 'shared', tokens);
  }, interviewer, candidate);
  assert.equal(await notesText(ip, 'shared'), await notesText(cp, 'shared'));
  for (const page of [ip, cp]) assert.equal(await page.getByTestId('status-line').textContent(), '');
  for (const p of [interviewer, candidate]) {
    assert.deepEqual(p.errors.filter((e) => !/WebSocket/.test(e)), [], 'no page errors');
  }
});

test('an observer sees the shared pad read-only, and no private notes', async () => {
  const links = await createRoom();
  const grace = await person(links.interviewer, 'Grace');
  await grace.page.locator(editor('private')).click();
  await grace.page.keyboard.insertText(CANARY);
  await waitForTokens(grace.page, 'private', [CANARY]);
  await grace.page.locator(editor('shared')).click();
  await grace.page.keyboard.type('for observers');
  await waitForTokens(grace.page, 'shared', ['for observers']);
  await grace.page.getByTestId('notes-language').selectOption('markdown');

  const olivia = await person(links.observer, 'Olivia');
  const op = olivia.page;
  await op.locator(editor('shared')).waitFor();
  await op.waitForFunction((sel) => document.querySelector(sel)?.textContent === 'for observers', editor('shared'));
  assert.equal(await op.locator(editor('shared')).getAttribute('contenteditable'), 'false');
  await op.waitForFunction(() => document.querySelector('[data-testid="notes-language"]')?.dataset.language === 'markdown');
  assert.equal(await op.locator('select[data-testid="notes-language"]').count(), 0, 'observers see the label only');
  assert.equal(await op.locator('[data-testid="private-notes"]').count(), 0);
  const html = await op.evaluate(() => document.documentElement.outerHTML);
  assert.ok(!html.includes(CANARY));
  for (const f of olivia.frames) assert.ok(!f.includes(CANARY));
});
