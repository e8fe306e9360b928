// Test harness for the browser tests: starts the mockroom server on a free port with a fresh
// data directory, launches Debian's Chromium through playwright-core, and cleans up after.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WEB_DIST = path.join(REPO, 'web', 'dist');
export const BANKS_DIR = path.join(REPO, 'shared', 'questions');

const START_DEADLINE_MS = 10_000;
const STOP_DEADLINE_MS = 5_000;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Starts `$MOCKROOM_BIN --port 0 --host 127.0.0.1 --web web/dist --data <tmp>` and resolves
 * once it prints `listening on http://HOST:PORT`. Returns { url, stop(), stderr() }.
 */
export async function startServer(extraArgs = []) {
  const bin = process.env.MOCKROOM_BIN;
  if (!bin) throw new Error('MOCKROOM_BIN is not set: point it at the built mockroom binary');
  if (!existsSync(bin)) throw new Error(`MOCKROOM_BIN=${bin} does not exist: build the mockroom target first`);
  if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
    throw new Error(`${WEB_DIST}/index.html is missing: run npm run build:web first`);
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'mockroom-e2e-'));
  const args = ['--port', '0', '--host', '127.0.0.1', '--web', WEB_DIST, '--data', dataDir, ...extraArgs];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const url = await new Promise((resolve, reject) => {
    let out = '';
    const fail = (why) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`mockroom did not start: ${why}\n--- server stderr ---\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`no "listening on" line within ${START_DEADLINE_MS} ms`), START_DEADLINE_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /^listening on (http:\/\/\S+?)\/?\r?$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('error', (err) => fail(err.message));
    exited.then(({ code, signal }) => fail(`exited with ${signal ?? `status ${code}`}`));
  });

  let stopped = false;
  /**
   * Stops the server with SIGTERM and checks it shut down cleanly (status 0): a crash, a
   * sanitizer report or a hang during the test fails it, with the server's stderr.
   */
  async function stop() {
    if (stopped) return;
    stopped = true;
    let killed = false;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, STOP_DEADLINE_MS);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
    const { code, signal } = await exited;
    if (killed) throw new Error(`mockroom did not stop within ${STOP_DEADLINE_MS} ms of SIGTERM\n--- server stderr ---\n${stderr}`);
    if (code !== 0) {
      throw new Error(`mockroom exited with ${signal ?? `status ${code}`}\n--- server stderr ---\n${stderr}`);
    }
  }
  return { url, stop, stderr: () => stderr };
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

/** A new page in its own browser context (its own storage, like a separate person). */
export async function newPerson(browser) {
  const context = await browser.newContext();
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
