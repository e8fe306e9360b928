// Browser test of "Download report": the interviewer's Markdown has everything (private notes,
// sample answer, scorecard comment); the candidate's JSON has none of it. The report is fetched
// with the token in the Authorization header: no request URL ever carries the token. A refused
// request shows a clear error.
// Run: npm run build:web && MOCKROOM_BIN=build/dev/server/mockroom node --test tests/e2e/report.test.mjs

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BANKS_DIR, launchBrowser, newPerson, readTextBank, startServer } from './harness.mjs';

const UI_TIMEOUT = 10_000;
const bank = readTextBank(path.join(BANKS_DIR, 'python-developer.txt'));
const q2 = bank.find((q) => q.number === 2);

const PRIVATE = 'PRIVATE-report-canary-7d3a';
const COMMENT = 'SCORE-report-comment-e81f: clear reasoning';

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
    body: JSON.stringify({ bank: 'python-developer', title: 'Report' }),
  });
  assert.equal(res.status, 201);
  return res.json();
}

/** A joined person; every request the page made is kept (`requests`). */
async function person(link, name) {
  const p = await newPerson(browser);
  p.name = name;
  p.page.setDefaultTimeout(UI_TIMEOUT);
  p.requests = [];
  p.page.on('request', (r) => p.requests.push({ url: r.url(), headers: r.headers() }));
  people.push(p);
  await p.page.goto(link);
  const input = p.page.getByTestId('join-name');
  await input.fill(name);
  await input.press('Enter');
  await p.page.waitForFunction(
    () => document.querySelector('[data-testid="connection-state"]')?.textContent === 'Connected', null,
    { timeout: UI_TIMEOUT });
  return p;
}

const editor = (doc) => `[data-testid="${doc}-notes"] .cm-content`;

/** Clicks (or, with `key`, presses on) a download button; returns the saved file's name and text. */
async function download(page, format, { key } = {}) {
  const button = page.getByTestId(`report-${format}`);
  const started = page.waitForEvent('download', { timeout: UI_TIMEOUT });
  if (key) {
    await button.focus();
    await page.keyboard.press(key);
  } else {
    await button.click();
  }
  const d = await started;
  const file = await d.path();
  return { name: d.suggestedFilename(), text: await readFile(file, 'utf8') };
}

test('each role downloads its own report; the token never appears in a URL', async () => {
  const { room, tokens, links } = await createRoom();
  const interviewer = await person(links.interviewer, 'Grace');
  const candidate = await person(links.candidate, 'Ada');
  const ip = interviewer.page;
  const cp = candidate.page;

  // Labelled controls in both views.
  for (const page of [ip, cp]) {
    assert.equal(await page.getByRole('button', { name: 'Download report as Markdown' }).count(), 1);
    assert.equal(await page.getByRole('button', { name: 'Download report as JSON' }).count(), 1);
    assert.equal(await page.getByRole('group', { name: /Download report/ }).count(), 1);
  }

  // The interviewer pushes question 2 ...
  await ip.locator('[data-testid="question-list"] [data-testid="question-item"][data-number="2"]').click();
  await ip.waitForFunction(() => !document.querySelector('[data-testid="push-button"]')?.disabled);
  await ip.getByTestId('push-button').click();
  await cp.waitForFunction(
    (t) => document.querySelector('[data-testid="current-question-text"]')?.textContent === t, q2.text);

  // ... writes private notes ...
  await ip.locator(editor('private')).click();
  await ip.keyboard.insertText(`${PRIVATE} do not share`);
  await ip.waitForFunction(([sel, sync, t]) =>
    [...document.querySelectorAll(`${sel} .cm-line`)].map((l) => l.textContent).join('\n').includes(t) &&
    document.querySelector(sync)?.dataset.state === 'saved',
  [editor('private'), '[data-testid="private-notes-sync"]', PRIVATE], { timeout: UI_TIMEOUT });
  await ip.keyboard.press('Escape');

  // ... and comments on the question in the scorecard.
  const comment = '[data-testid="score-field"][data-field="q1.comment"]';
  await ip.locator(`${comment} textarea`).fill(COMMENT);
  await ip.keyboard.press('Tab');
  await ip.waitForFunction(([sel, v]) => {
    const box = document.querySelector(sel);
    return box?.dataset.state === 'saved' && box.querySelector('textarea')?.value === v;
  }, [comment, COMMENT], { timeout: UI_TIMEOUT });

  // The interviewer's Markdown: everything.
  const md = await download(ip, 'md');
  assert.equal(md.name, `mockroom-${room}-interviewer.md`);
  assert.ok(md.text.includes(PRIVATE), 'the interviewer\'s report has the private notes');
  assert.ok(md.text.includes(q2.sample_answer.split('\n')[0]), 'the interviewer\'s report has the sample answer');
  assert.ok(md.text.includes(COMMENT), 'the interviewer\'s report has the scorecard comment');
  assert.match(await ip.getByTestId('report-status').textContent(), /Saved mockroom-/);
  assert.equal(await ip.getByTestId('report-error').textContent(), '');

  // The candidate's JSON, from the keyboard: their view only.
  const json = await download(cp, 'json', { key: 'Enter' });
  assert.equal(json.name, `mockroom-${room}-candidate.json`);
  const report = JSON.parse(json.text);
  assert.equal(report.for, 'candidate');
  assert.ok(report.questions.some((q) => q.text === q2.text), 'the asked question is in it');
  assert.ok(!json.text.includes(PRIVATE), 'the candidate\'s report has the private notes');
  assert.ok(!json.text.includes(COMMENT), 'the candidate\'s report has the scorecard comment');
  for (const line of q2.sample_answer.split('\n').filter((l) => l.trim().length > 20)) {
    assert.ok(!json.text.includes(JSON.stringify(line).slice(1, -1)) && !json.text.includes(line),
      `the candidate's report has sample answer text: ${line}`);
  }
  assert.ok(!('sample_answer' in report.questions[0]), 'no sample_answer field before the reveal');

  // An observer has the buttons too, and gets the observer's report.
  const observer = await person(links.observer, 'Olive');
  const obs = JSON.parse((await download(observer.page, 'json')).text);
  assert.equal(obs.for, 'observer');
  assert.ok(!JSON.stringify(obs).includes(PRIVATE) && !JSON.stringify(obs).includes(COMMENT));

  // The bearer header carried the token; no URL did.
  for (const [p, token, format] of [[interviewer, tokens.interviewer, 'md'], [candidate, tokens.candidate, 'json'],
    [observer, tokens.observer, 'json']]) {
    const asked = p.requests.filter((r) => r.url.includes('/report?'));
    assert.equal(asked.length, 1, `${p.name} fetched the report once`);
    assert.ok(asked[0].url.endsWith(`/api/rooms/${room}/report?format=${format}`), asked[0].url);
    assert.equal(asked[0].headers.authorization, `Bearer ${token}`);
    assert.ok(p.requests.length > 1);
    for (const r of p.requests) assert.ok(!r.url.includes(token), `a request URL carries the token: ${r.url}`);
  }
  for (const t of Object.values(tokens)) {
    for (const p of [interviewer, candidate, observer]) {
      for (const r of p.requests) assert.ok(!r.url.includes(t), `a request URL carries a token: ${r.url}`);
    }
  }

  // A refused request: the server's message is shown, and nothing is saved.
  await cp.route('**/api/rooms/*/report?*', (route) => route.fulfill({
    status: 403,
    contentType: 'application/json',
    body: JSON.stringify({ error: { code: 'forbidden', message: 'this link does not open that room' } }),
  }));
  let downloaded = false;
  cp.on('download', () => { downloaded = true; });
  await cp.getByTestId('report-md').click();
  await cp.waitForFunction(() => /this link does not open that room/.test(
    document.querySelector('[data-testid="report-error"]')?.textContent ?? ''), null, { timeout: UI_TIMEOUT });
  assert.match(await cp.getByTestId('report-error').textContent(), /^Could not download the report: /);
  assert.equal(await cp.getByTestId('report-error').getAttribute('role'), 'alert');
  assert.equal(await cp.getByTestId('report-md').getAttribute('aria-disabled'), null, 'the buttons work again');
  assert.equal(downloaded, false);
  await cp.unroute('**/api/rooms/*/report?*');

  for (const p of [interviewer, candidate, observer]) assert.deepEqual(p.errors.filter((e) => !/403/.test(e)), []);
});
