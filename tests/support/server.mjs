// Starts the real mockroom binary for the Node-driven tests (browser tests, notes fuzz, crash
// harness): a free port, a fresh data directory (or a given one, kept), the ready line awaited
// with a deadline, a stop() that fails unless the server shuts down cleanly (a crash, a sanitizer
// report or a hang fails the test), and a kill() that sends SIGKILL (the crash harness).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const START_DEADLINE_MS = 10_000;
const STOP_DEADLINE_MS = 5_000;
const MAX_STDERR = 1_000_000;

/**
 * Starts `$MOCKROOM_BIN --port 0 --host 127.0.0.1 --web WEB --data <tmp> [--banks BANKS] ARGS`
 * and resolves once it prints `listening on http://HOST:PORT`. Without `webDir` it serves a stub
 * `index.html`. With `dataDir` the server uses (and creates if needed) that directory instead of
 * a fresh temporary one, and it is left in place afterwards (so a later start can reuse it).
 * Returns { url, stop(), kill(), alive(), stderr(), pid, dataDir, exited }.
 */
export async function startMockroom({ webDir, banksDir, extraArgs = [], dataDir: givenDataDir } = {}) {
  const bin = process.env.MOCKROOM_BIN;
  if (!bin) throw new Error('MOCKROOM_BIN is not set: point it at the built mockroom binary');
  if (!existsSync(bin)) throw new Error(`MOCKROOM_BIN=${bin} does not exist: build the mockroom target first`);
  const scratch = await mkdtemp(path.join(tmpdir(), 'mockroom-test-'));
  const dataDir = givenDataDir ? path.resolve(givenDataDir) : path.join(scratch, 'data');
  if (!webDir) {
    webDir = path.join(scratch, 'web');
    await mkdir(webDir);
    await writeFile(path.join(webDir, 'index.html'), '<!doctype html><title>mockroom test</title>\n');
  }
  const args = ['--port', '0', '--host', '127.0.0.1', '--web', webDir, '--data', dataDir];
  if (banksDir) args.push('--banks', banksDir);
  const child = spawn(bin, [...args, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (stderr.length > MAX_STDERR) stderr = stderr.slice(-MAX_STDERR / 2);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const cleanUp = () => rm(scratch, { recursive: true, force: true });

  const url = await new Promise((resolve, reject) => {
    let out = '';
    const fail = (why) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      cleanUp().catch(() => {});
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

  const alive = () => child.exitCode === null && child.signalCode === null;
  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    let killed = false;
    if (alive()) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, STOP_DEADLINE_MS);
      await exited;
      clearTimeout(timer);
    }
    await cleanUp();
    const { code, signal } = await exited;
    if (killed) throw new Error(`mockroom did not stop within ${STOP_DEADLINE_MS} ms of SIGTERM\n--- server stderr ---\n${stderr}`);
    if (code !== 0) throw new Error(`mockroom exited with ${signal ?? `status ${code}`}\n--- server stderr ---\n${stderr}`);
  }
  /**
   * SIGKILL (no shutdown of any kind: the crash harness) and wait for the exit. Resolves to
   * { code, signal, killedByUs }: killedByUs is false when the process had already exited by
   * itself (a crash) before the signal. The data directory is kept; the scratch one is removed.
   * stop() after kill() does nothing.
   */
  async function kill() {
    if (stopped) throw new Error('kill() after stop()');
    stopped = true;
    const killedByUs = alive();
    if (killedByUs) child.kill('SIGKILL');
    const result = await exited;
    await cleanUp();
    return { ...result, killedByUs };
  }
  return { url, stop, kill, alive, stderr: () => stderr, pid: child.pid, dataDir, exited };
}
