// Test harness for the browser tests: starts the mockroom server on a free port with a fresh
// data directory, launches Debian's Chromium through playwright-core, and cleans up after.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { startMockroom } from '../support/server.mjs';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WEB_DIST = path.join(REPO, 'web', 'dist');
export const BANKS_DIR = path.join(REPO, 'shared', 'questions');

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The server with the built web client and the bundled banks (see tests/support/server.mjs). */
export async function startServer(extraArgs = []) {
  if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
    throw new Error(`${WEB_DIST}/index.html is missing: run npm run build:web first`);
  }
  return startMockroom({ webDir: WEB_DIST, extraArgs });
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

/**
 * Makes every page of `context` see a clock `skewMs` ahead (negative: behind) of the real one:
 * Date (Date.now() and new Date()) and performance.now(). The real time stays readable as
 * `window.__realEpochMs()` (Unix ms from the unskewed monotonic clock), for measurements that
 * compare pages. Must be added before the page navigates.
 */
export async function skewClock(context, skewMs) {
  await context.addInitScript((skew) => {
    const realNow = performance.now.bind(performance);
    const origin = performance.timeOrigin;
    window.__realEpochMs = () => origin + realNow();
    window.__clockSkewMs = skew;
    const RealDate = Date;
    const realDateNow = RealDate.now.bind(RealDate);
    function SkewedDate(...args) {
      if (!new.target) return new RealDate(realDateNow() + skew).toString();
      return args.length === 0 ? new RealDate(realDateNow() + skew) : new RealDate(...args);
    }
    SkewedDate.prototype = RealDate.prototype;
    SkewedDate.now = () => realDateNow() + skew;
    SkewedDate.parse = RealDate.parse;
    SkewedDate.UTC = RealDate.UTC;
    window.Date = SkewedDate;
    performance.now = () => realNow() + skew;
  }, skewMs);
}

/**
 * A new page in its own browser context (its own storage, like a separate person).
 * `clockSkewMs`: the page's clocks run that far off the real one (see skewClock).
 */
export async function newPerson(browser, { clockSkewMs } = {}) {
  const context = await browser.newContext();
  if (clockSkewMs !== undefined) await skewClock(context, clockSkewMs);
  // Keep a handle on every WebSocket the page opens, so a test can drop one.
  await context.addInitScript(() => {
    const Native = window.WebSocket;
    window.__mockroomSockets = [];
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        window.__mockroomSockets.push(this);
      }
    };
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  return { context, page, errors };
}

/** Parses a bank in the plain-text format into [{ number, difficulty, text, sample_answer }]. */
export function readTextBank(file) {
  const lines = readFileSync(file, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
  const questions = [];
  let q = null;
  let part = null;
  for (const raw of lines) {
    const line = raw.trimEnd();
    const header = /^question\s+(\d+)$/i.exec(line);
    if (header) {
      q = { number: Number(header[1]), difficulty: '', text: [], sample_answer: [] };
      questions.push(q);
      part = 'text';
      continue;
    }
    if (!q) continue;
    if (line === '' && q[part].length === 0) continue; // blank lines before a block
    const diff = /^difficulty:\s*(easy|medium|hard)$/i.exec(line);
    if (diff && part === 'text' && q.text.length === 0) {
      q.difficulty = diff[1].toLowerCase();
      continue;
    }
    if (/^sample answer$/i.test(line)) {
      part = 'sample_answer';
      continue;
    }
    q[part].push(line);
  }
  const join = (ls) => ls.join('\n').replace(/\n{3,}/g, '\n\n').trim();
  return questions.map((x) => ({ ...x, text: join(x.text), sample_answer: join(x.sample_answer) }));
}

/** How a string looks inside serialized HTML text (outerHTML escapes &, <, > and nbsp). */
export function htmlEscaped(s) {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('\u00a0', '&nbsp;');
}
