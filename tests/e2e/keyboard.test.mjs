// The interviewer's page works with the keyboard alone: a logical tab order, arrow keys in
// the question list, Enter to push, Ctrl+Enter for an ad-hoc question.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, newPerson, startServer } from './harness.mjs';

const UI_TIMEOUT = 10_000;

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function createRoom() {
  const res = await fetch(`${server.url}/api/rooms`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ bank: 'python-developer', title: 'Keyboard only' }),
  });
  assert.equal(res.status, 201);
  return (await res.json()).links;
}

async function joinWithKeyboard(page, name) {
  await page.getByTestId('join-name').waitFor();
  await page.keyboard.type(name); // the field has focus on arrival
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    () => document.querySelector('[data-testid="connection-state"]')?.textContent === 'Connected',
    null, { timeout: UI_TIMEOUT });
}

/** What has focus, as "testid" or "tag#id" or "tag". */
const focused = (page) => page.evaluate(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return 'body';
  const id = el.getAttribute('data-testid');
  if (id === 'question-item') return `question-${el.getAttribute('data-number')}`;
  return id ?? `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}`;
});

async function tabTo(page, expected) {
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), expected);
}

const currentText = (page, text) => page.waitForFunction(
  (t) => document.querySelector('[data-testid="current-question-text"]')?.textContent === t,
  text, { timeout: UI_TIMEOUT });

test('select and push a bank question, then an ad-hoc one, without a mouse', async () => {
  const links = await createRoom();
  const interviewer = await newPerson(browser);
  const candidate = await newPerson(browser);
  const ip = interviewer.page;
  await ip.goto(links.interviewer);
  await joinWithKeyboard(ip, 'Grace');
  await candidate.page.goto(links.candidate);
  await joinWithKeyboard(candidate.page, 'Ada');

  await ip.getByTestId('question-list').waitFor();
  // Joining moves focus to the first heading of the room; Tab goes on from there.
  assert.equal(await ip.evaluate(() => document.activeElement?.textContent), 'Question bank');
  await tabTo(ip, 'bank-search');
  await tabTo(ip, 'difficulty-filter');
  await ip.keyboard.press('Shift+Tab');
  await ip.keyboard.press('Shift+Tab');
  assert.equal(await focused(ip), 'leave-button', 'the header comes before the room');
  await ip.keyboard.press('Shift+Tab');
  assert.equal(await focused(ip), 'a', 'the skip link comes first');
  await tabTo(ip, 'leave-button');
  await tabTo(ip, 'bank-search');
  await tabTo(ip, 'difficulty-filter');
  await tabTo(ip, 'question-1'); // the list is a single tab stop
  await ip.keyboard.press('ArrowDown');
  await ip.keyboard.press('ArrowDown');
  assert.equal(await focused(ip), 'question-3');
  await ip.keyboard.press('Enter');
  await ip.getByTestId('sample-answer').waitFor();
  await tabTo(ip, 'push-button');
  await ip.keyboard.press('Enter');
  await currentText(candidate.page,
    'Describe a time you had to debug a difficult Python issue in production. How did you approach it?');

  // The focus ring is visible on the focused control.
  const outline = await ip.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.equal(outline, 'solid');

  await tabTo(ip, 'custom-text');
  await ip.keyboard.type('Explain the GIL.');
  await ip.keyboard.press('Tab');
  assert.equal(await focused(ip), 'custom-difficulty');
  await ip.keyboard.press('Shift+Tab');
  await ip.keyboard.press('Control+Enter');
  await currentText(candidate.page, 'Explain the GIL.');
  assert.equal(await candidate.page.locator('[data-testid="current-question"] [data-testid="difficulty"]').textContent(),
    'medium');
  // Pushed and acknowledged: the draft is cleared.
  await ip.waitForFunction(() => document.querySelector('[data-testid="custom-text"]')?.value === '', null,
    { timeout: UI_TIMEOUT });

  for (const p of [interviewer, candidate]) {
    assert.deepEqual(p.errors, []);
    await p.context.close();
  }
});
