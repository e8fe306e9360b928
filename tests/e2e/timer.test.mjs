// Browser test of shared timing: two people whose machine clocks are a minute apart (one 30 s
// ahead, one 30 s behind) see the same countdown, second for second; a page that reconnects
// shows the right time and a pause made while it was away; a short question budget runs out
// on both sides, and the interviewer's controls work from the keyboard with announcements;
// the warning and its threshold announcements come from each page's own countdown.
// Run: npm run build:web && MOCKROOM_BIN=build/dev/server/mockroom node --test tests/e2e/timer.test.mjs

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, newPerson, startServer } from './harness.mjs';

const UI_TIMEOUT = 10_000;
/** Two pages may show the same second at most this far apart (real time). */
const MAX_SKEW_MS = 150;
/** How many consecutive second changes are compared. */
const SECONDS_COMPARED = 5;
const SKEW_MS = 30_000;

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
    body: JSON.stringify({ bank: 'python-developer', title: 'Timing', interview_ms: 2_700_000 }),
  });
  assert.equal(res.status, 201);
  return (await res.json()).links;
}

/** A person whose clocks are `skew` ms off, joined to the room, with every frame it received. */
async function person(link, name, skew) {
  const p = await newPerson(browser, { clockSkewMs: skew });
  p.page.setDefaultTimeout(UI_TIMEOUT);
  p.frames = [];
  p.page.on('websocket', (ws) => ws.on('framereceived', (f) => p.frames.push(String(f.payload))));
  people.push(p);
  await p.page.goto(link);
  const input = p.page.getByTestId('join-name');
  await input.fill(name);
  await input.press('Enter');
  await waitConnected(p.page);
  // The skew is in place: the page's clocks really are off.
  const seen = await p.page.evaluate(() => [Date.now() - window.__realEpochMs(), new Date().getTime() - window.__realEpochMs(),
    performance.timeOrigin + performance.now() - window.__realEpochMs()]);
  for (const d of seen) assert.ok(Math.abs(d - skew) < 50, `${name}'s clock is skewed by ${skew} ms (saw ${d})`);
  return p;
}

const waitConnected = (page) => page.waitForFunction(
  () => document.querySelector('[data-testid="connection-state"]')?.textContent === 'Connected', null,
  { timeout: UI_TIMEOUT });

/** The last `timer` message of `timer` that `p` received. */
function lastTimer(p, timer) {
  const msgs = p.frames.map((f) => JSON.parse(f)).filter((m) => m.type === 'timer' && m.timer === timer);
  return msgs.at(-1);
}

/**
 * Starts recording, in the page, the real time at which each text of a timer display appeared
 * (a MutationObserver: no Playwright round trip in the measurement).
 */
function record(page, testid) {
  return page.evaluate((id) => {
    const el = document.querySelector(`[data-testid="${id}"]`);
    if (!el) throw new Error(`no ${id}`);
    window.__timerLogs ??= {};
    window.__timerObservers ??= {};
    window.__timerObservers[id]?.disconnect();
    const log = [[el.textContent, window.__realEpochMs()]];
    window.__timerLogs[id] = log;
    const observer = new MutationObserver(() => {
      if (el.textContent !== log.at(-1)[0]) log.push([el.textContent, window.__realEpochMs()]);
    });
    observer.observe(el, { childList: true, characterData: true, subtree: true });
    window.__timerObservers[id] = observer;
  }, testid);
}

const logOf = (page, testid) => page.evaluate((id) => window.__timerLogs[id], testid);

/** "14:58" -> 898; "1:00:00" -> 3600 (countdown labels only). */
function seconds(label) {
  if (!/^\d+(:\d\d){1,2}$/.test(label)) return null;
  return label.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
}

/**
 * The real times at which each countdown second began: only changes from one second to the
 * next (not the first text recorded, nor a change made by a message).
 */
function secondChanges(log) {
  const changes = new Map();
  for (let i = 1; i < log.length; i++) {
    const [label, at] = log[i];
    const s = seconds(label);
    const prev = seconds(log[i - 1][0]);
    if (s !== null && prev !== null && prev - s === 1 && !changes.has(label)) changes.set(label, at);
  }
  return changes;
}

/** Waits until both pages recorded `n` second changes in common; returns them with the differences. */
async function compareDisplays(pageA, pageB, testid, n = SECONDS_COMPARED) {
  let common = [];
  const deadline = Date.now() + n * 1000 + UI_TIMEOUT;
  for (;;) {
    // Both logs fill in the pages by themselves; this only polls for enough data.
    await pageA.waitForFunction(([id, k]) => window.__timerLogs[id].length > k, [testid, n], { timeout: UI_TIMEOUT });
    await pageB.waitForFunction(([id, k]) => window.__timerLogs[id].length > k, [testid, n], { timeout: UI_TIMEOUT });
    const a = secondChanges(await logOf(pageA, testid));
    const b = secondChanges(await logOf(pageB, testid));
    common = [...a.keys()].filter((label) => b.has(label)).map((label) => ({ label, a: a.get(label), b: b.get(label) }));
    if (common.length >= n) break;
    if (Date.now() > deadline) {
      assert.fail(`fewer than ${n} common seconds on ${testid}: ${JSON.stringify([...a.keys()])} vs ${JSON.stringify([...b.keys()])}`);
    }
    await pageA.waitForFunction(([id, k]) => window.__timerLogs[id].length > k, [testid, (await logOf(pageA, testid)).length],
      { timeout: UI_TIMEOUT });
  }
  const diffs = common.map((c) => ({ ...c, diff: Math.abs(c.a - c.b) }));
  const max = Math.max(...diffs.map((d) => d.diff));
  return { diffs, max };
}

let links;
let interviewer;
let candidate;

test('two pages with clocks a minute apart show the same countdown within 150 ms', async () => {
  links = await createRoom();
  interviewer = await person(links.interviewer, 'Grace', +SKEW_MS);
  candidate = await person(links.candidate, 'Ada', -SKEW_MS);
  const ip = interviewer.page;
  const cp = candidate.page;

  // Before the first push both timers are idle, showing their lengths.
  await cp.waitForFunction(() => document.querySelector('[data-testid="timer-interview-display"]')?.textContent === '45:00');
  assert.equal(await cp.getByTestId('timer-interview').getAttribute('data-state'), 'idle');

  await ip.locator('[data-testid="question-list"] [data-testid="question-item"][data-number="3"]').click();
  // The bank's budget for the selected question is shown (hard: 15 min by default).
  assert.match(await ip.getByTestId('selected-budget').textContent(), /15:00/);
  for (const page of [ip, cp]) {
    await record(page, 'timer-question-display');
    await record(page, 'timer-interview-display');
  }
  await ip.getByTestId('push-button').click();
  for (const page of [ip, cp]) {
    await page.waitForFunction(() => document.querySelector('[data-testid="timer-question"]')?.dataset.state === 'running');
    await page.waitForFunction(() => document.querySelector('[data-testid="timer-interview"]')?.dataset.state === 'running');
  }

  const question = await compareDisplays(ip, cp, 'timer-question-display');
  const interview = await compareDisplays(ip, cp, 'timer-interview-display');
  const show = (r) => r.diffs.map((d) => `${d.label} ${d.diff.toFixed(1)}`).join(', ');
  console.log(`skewed pages (+30 s / -30 s), question timer: max display difference ${question.max.toFixed(1)} ms ` +
    `[${show(question)}]`);
  console.log(`skewed pages (+30 s / -30 s), interview timer: max display difference ${interview.max.toFixed(1)} ms ` +
    `[${show(interview)}]`);
  assert.ok(question.max < MAX_SKEW_MS, `question timer: the pages differ by up to ${question.max.toFixed(1)} ms`);
  assert.ok(interview.max < MAX_SKEW_MS, `interview timer: the pages differ by up to ${interview.max.toFixed(1)} ms`);

  // Both match the server's deadline: second L begins at deadline - L s on the server clock,
  // which is Unix time on this same machine (the skews were compensated, not just equal).
  const deadline = lastTimer(interviewer, 'question').deadline;
  const absolute = Math.max(...question.diffs.map((d) => Math.abs(d.a - (deadline - seconds(d.label) * 1000))));
  console.log(`question timer vs the server's deadline: max ${absolute.toFixed(1)} ms`);
  assert.ok(absolute < 1000, `the display is ${absolute.toFixed(0)} ms off the server's deadline`);

  // Nothing in the page used the skewed wall clock for the countdown: it reads about 14:5x.
  const shown = seconds(await cp.getByTestId('timer-question-display').textContent());
  assert.ok(shown > 14 * 60 && shown < 15 * 60, `the candidate shows ${shown} s left`);
  for (const p of [interviewer, candidate]) assert.deepEqual(p.errors, [], 'no page errors');
});

test('a page that reconnects shows the right time, and a pause made while it was away', async () => {
  assert.ok(candidate, 'runs after the first test');
  const ip = interviewer.page;
  const cp = candidate.page;
  const sockets = await cp.evaluate(() => window.__mockroomSockets.length);

  // Keep the candidate away until the pause is done: offline, the client waits for 'online'.
  await candidate.context.setOffline(true);
  await cp.evaluate(() => window.__mockroomSockets.at(-1).close());
  await cp.waitForFunction(() => document.querySelector('[data-testid="connection-state"]')?.textContent === 'Offline');
  await ip.locator('[data-testid="presence-item"][data-role="candidate"][data-connected="false"]').waitFor();

  // The interviewer pauses the question timer meanwhile.
  await ip.getByTestId('timer-question-toggle').click();
  await ip.waitForFunction(() => document.querySelector('[data-testid="timer-question"]')?.dataset.state === 'paused');
  const pausedText = await ip.getByTestId('timer-question-display').textContent();
  // Still running on the disconnected page: it has not heard of the pause.
  assert.equal(await cp.getByTestId('timer-question').getAttribute('data-state'), 'running');

  await candidate.context.setOffline(false);
  await waitConnected(cp);
  assert.equal(await cp.evaluate(() => window.__mockroomSockets.length), sockets + 1, 'one new socket');

  // The pause is shown after the reconnect, with the interviewer's remaining time.
  await cp.waitForFunction(() => document.querySelector('[data-testid="timer-question"]')?.dataset.state === 'paused');
  assert.equal(await cp.getByTestId('timer-question-display').textContent(), pausedText);
  assert.match(await cp.getByTestId('timer-question-status').textContent(), /Paused/);
  const welcome = candidate.frames.map((f) => JSON.parse(f)).filter((m) => m.type === 'welcome').at(-1);
  assert.equal(welcome.state.timers.question.state, 'paused', 'the candidate got the paused state in its welcome');

  // The interview timer goes on: both pages again show each second at the same moment.
  for (const page of [ip, cp]) await record(page, 'timer-interview-display');
  const interview = await compareDisplays(ip, cp, 'timer-interview-display');
  console.log(`after the reconnect, interview timer: max display difference ${interview.max.toFixed(1)} ms ` +
    `[${interview.diffs.map((d) => `${d.label} ${d.diff.toFixed(1)}`).join(', ')}]`);
  assert.ok(interview.max < MAX_SKEW_MS, `after the reconnect the pages differ by up to ${interview.max.toFixed(1)} ms`);

  // Resumed, the question timer ticks in step on both pages again.
  for (const page of [ip, cp]) await record(page, 'timer-question-display');
  await ip.getByTestId('timer-question-toggle').click();
  const question = await compareDisplays(ip, cp, 'timer-question-display', 3);
  console.log(`after the reconnect, resumed question timer: max display difference ${question.max.toFixed(1)} ms`);
  assert.ok(question.max < MAX_SKEW_MS, `resumed: the pages differ by up to ${question.max.toFixed(1)} ms`);
  for (const p of [interviewer, candidate]) assert.deepEqual(p.errors.filter((e) => !/WebSocket|ERR_INTERNET_DISCONNECTED/.test(e)), []);
});

const announced = (page, text) => page.waitForFunction(
  (t) => document.querySelector('[data-testid="timer-announcer"]')?.textContent?.includes(t), text,
  { timeout: UI_TIMEOUT });

const focused = (page) => page.evaluate(() => document.activeElement?.getAttribute('data-testid'));

test('a short budget runs out on both pages; the controls work from the keyboard', async () => {
  assert.ok(candidate, 'runs after the first tests');
  const ip = interviewer.page;
  const cp = candidate.page;

  // The candidate has the countdowns but no control.
  assert.equal(await cp.locator('[data-testid="timers-section"] button').count(), 0, 'no timer buttons');
  assert.equal(await cp.locator('[data-testid="timers-section"] input:not([type="checkbox"])').count(), 0, 'no timer fields');
  assert.equal(await cp.getByTestId('push-budget').count(), 0);

  // A 3-second budget for the next question, typed in the minutes field, then push with Enter.
  await ip.getByTestId('push-budget').fill('0.05');
  await ip.locator('[data-testid="question-list"] [data-testid="question-item"][data-number="5"]').click();
  await ip.getByTestId('push-button').focus();
  await ip.keyboard.press('Enter');
  const q = () => lastTimer(interviewer, 'question');
  assert.equal(await ip.getByTestId('push-budget').inputValue(), '', 'the field is cleared once used');

  // Expiry: the cue on both pages, overtime counting up, and an announcement.
  for (const page of [ip, cp]) {
    await page.waitForFunction(() => {
      const t = document.querySelector('[data-testid="timer-question"]');
      const cue = document.querySelector('[data-testid="timer-question-cue"]');
      return t?.dataset.state === 'expired' && cue && !cue.hidden && cue.checkVisibility() &&
        /^\+0:0\d$/.test(document.querySelector('[data-testid="timer-question-display"]')?.textContent);
    }, null, { timeout: UI_TIMEOUT });
    await announced(page, 'Time’s up for the question');
  }
  assert.equal(q()?.state, 'expired', 'the server told the interviewer');
  assert.equal(q()?.duration_ms, 3_000, 'the push set the 3-second budget');
  assert.equal(lastTimer(candidate, 'question')?.cause, 'expire', 'the server told the candidate');
  assert.equal(await ip.getByTestId('timer-question').getAttribute('data-warn'), 'false');

  // The history shows the new question's budget.
  await ip.locator('[data-testid="history-item"][data-seq="2"] [data-testid="history-budget"]')
    .filter({ hasText: 'Budget 0:03' }).waitFor();
  // ... and how long was spent on the first one (it ran, was paused, ran again).
  const spent = await ip.locator('[data-testid="history-item"][data-seq="1"] [data-testid="history-spent"]').textContent();
  assert.match(spent, /spent \d+:\d\d/);

  // Keyboard: from the (now unusable) Start button, Tab to −1 min and +1 min; Enter adds a minute.
  const toggle = ip.getByTestId('timer-question-toggle');
  assert.equal(await toggle.getAttribute('aria-disabled'), 'true', 'an expired timer cannot be started');
  assert.equal(await ip.getByTestId('timer-question-minus').getAttribute('aria-disabled'), 'true');
  await toggle.focus();
  await ip.keyboard.press('Tab');
  assert.equal(await focused(ip), 'timer-question-minus');
  await ip.keyboard.press('Tab');
  assert.equal(await focused(ip), 'timer-question-plus');
  assert.equal(await ip.getByTestId('timer-question-plus').getAttribute('aria-label'), 'Add 1 minute to the question timer');
  await ip.keyboard.press('Enter');
  for (const page of [ip, cp]) {
    await page.waitForFunction(() => document.querySelector('[data-testid="timer-question"]')?.dataset.state === 'running');
    await page.waitForFunction(() => /^(1:00|0:5\d)$/.test(
      document.querySelector('[data-testid="timer-question-display"]')?.textContent));
    // A minute left is within the default 2-minute warning.
    await page.waitForFunction(() => document.querySelector('[data-testid="timer-question"]')?.dataset.warn === 'true');
    await announced(page, '1 minute added to the question timer by Grace');
  }
  assert.equal(await focused(ip), 'timer-question-plus', 'focus stays on the button');

  // Shift+Tab back to the toggle, now "Pause"; Space pauses, Enter resumes.
  await ip.keyboard.press('Shift+Tab');
  await ip.keyboard.press('Shift+Tab');
  assert.equal(await focused(ip), 'timer-question-toggle');
  assert.equal(await toggle.textContent(), 'Pause');
  assert.equal(await toggle.getAttribute('aria-label'), 'Pause the question timer');
  await ip.keyboard.press('Space');
  for (const page of [ip, cp]) {
    await page.waitForFunction(() => document.querySelector('[data-testid="timer-question"]')?.dataset.state === 'paused');
    await announced(page, 'Question timer paused by Grace');
  }
  assert.equal(await toggle.textContent(), 'Resume');
  assert.equal(await focused(ip), 'timer-question-toggle', 'focus stays on the toggle');
  await ip.keyboard.press('Enter');
  for (const page of [ip, cp]) {
    await page.waitForFunction(() => document.querySelector('[data-testid="timer-question"]')?.dataset.state === 'running');
    await announced(page, 'Question timer resumed by Grace');
  }

  // Reset to a new length from the keyboard: Tab to the minutes field, type, Enter.
  await ip.keyboard.press('Tab'); // −1 min
  await ip.keyboard.press('Tab'); // +1 min
  await ip.keyboard.press('Tab'); // Reset
  assert.equal(await focused(ip), 'timer-question-reset');
  await ip.keyboard.press('Tab');
  assert.equal(await focused(ip), 'timer-question-minutes');
  await ip.keyboard.type('7');
  await ip.keyboard.press('Enter');
  for (const page of [ip, cp]) {
    await page.waitForFunction(() => document.querySelector('[data-testid="timer-question"]')?.dataset.state === 'idle'
      && document.querySelector('[data-testid="timer-question-display"]')?.textContent === '7:00');
    await announced(page, 'Question timer reset to 7 minutes by Grace');
  }

  // A double press acts once: the second command carries the same rev and gets `conflict`,
  // which is an expected race, not shown as a failure.
  const before = q().rev;
  const framesBefore = interviewer.frames.length;
  await ip.evaluate(() => {
    const plus = document.querySelector('[data-testid="timer-question-plus"]');
    plus.click();
    plus.click();
  });
  await ip.waitForFunction(() => document.querySelector('[data-testid="timer-question-display"]')?.textContent === '8:00');
  const deadline = Date.now() + UI_TIMEOUT;
  while (!interviewer.frames.slice(framesBefore).some((f) => JSON.parse(f).code === 'conflict')) {
    assert.ok(Date.now() < deadline, 'the second press got a conflict');
    await ip.waitForTimeout(20); // polling for a frame, not an assertion by sleep
  }
  assert.equal(q().rev, before + 1, 'one change');
  assert.equal(q().duration_ms, 8 * 60_000);
  assert.equal((await ip.getByTestId('status-line').textContent()).trim(), '', 'no error shown for the conflict');

  // The live region is polite and the countdown itself is not announced every second.
  for (const page of [ip, cp]) {
    assert.equal(await page.getByTestId('timer-announcer').getAttribute('aria-live'), 'polite');
    assert.equal(await page.getByTestId('timer-question-display').getAttribute('role'), 'timer');
  }
  for (const p of [interviewer, candidate]) assert.deepEqual(p.errors.filter((e) => !/WebSocket|ERR_INTERNET_DISCONNECTED/.test(e)), []);
});

test('the warning starts at the highest threshold and each threshold is announced, on both sides', async () => {
  const res = await fetch(`${server.url}/api/rooms`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ bank: 'python-developer', warn_ms: [1000, 2000] }),
  });
  assert.equal(res.status, 201);
  const roomLinks = (await res.json()).links;
  const grace = await person(roomLinks.interviewer, 'Grace', 0);
  const ada = await person(roomLinks.candidate, 'Ada', 0);
  for (const p of [grace, ada]) {
    // In the page: every announcement, and the text shown when the warning began.
    await p.page.evaluate(() => {
      const region = document.querySelector('[data-testid="timer-announcer"]');
      const timer = document.querySelector('[data-testid="timer-question"]');
      const display = document.querySelector('[data-testid="timer-question-display"]');
      window.__said = [];
      window.__warnedAt = null;
      new MutationObserver(() => {
        if (region.textContent) window.__said.push(region.textContent);
      }).observe(region, { childList: true, characterData: true, subtree: true });
      new MutationObserver(() => {
        if (timer.dataset.warn === 'true' && window.__warnedAt === null) window.__warnedAt = display.textContent;
      }).observe(timer, { attributes: true });
    });
  }
  await grace.page.getByTestId('push-budget').fill('0.1'); // 6 seconds
  await grace.page.locator('[data-testid="question-list"] [data-testid="question-item"][data-number="1"]').click();
  await grace.page.getByTestId('push-button').click();
  for (const p of [grace, ada]) {
    await p.page.waitForFunction(() => window.__said.some((s) => s.includes('Time’s up for the question')), null,
      { timeout: UI_TIMEOUT });
    const said = await p.page.evaluate(() => window.__said);
    const at = (text) => said.findIndex((s) => s.includes(text));
    assert.ok(at('2 seconds left on the question') >= 0, `announced 2 seconds left: ${JSON.stringify(said)}`);
    assert.ok(at('1 second left on the question') > at('2 seconds left on the question'), JSON.stringify(said));
    assert.ok(at('Time’s up for the question') > at('1 second left on the question'), JSON.stringify(said));
    assert.equal(said.filter((s) => s.includes('Time’s up')).length, 1, `time's up is said once: ${JSON.stringify(said)}`);
    assert.equal(await p.page.evaluate(() => window.__warnedAt), '0:02', 'the warning begins at 0:02');
    assert.equal(await p.page.getByTestId('timer-question').getAttribute('data-warn'), 'false', 'no warning once expired');
  }
});
