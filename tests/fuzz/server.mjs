// Starts the real mockroom binary for the fuzz tests, like tests/e2e/harness.mjs's startServer
// but without the browser parts: that harness imports playwright-core and needs the built web
// client, while this test only needs `index.html` to exist, so it serves a stub web directory.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BANKS_DIR = path.join(REPO, 'shared', 'questions');

const START_DEADLINE_MS = 10_000;
const STOP_DEADLINE_MS = 5_000;

/**
 * Starts `$MOCKROOM_BIN --port 0 --host 127.0.0.1 --banks shared/questions --web <stub> --data <tmp>`
 * and resolves once it prints `listening on http://HOST:PORT`. Returns { url, stop(), stderr() };
 * stop() sends SIGTERM and throws unless the server exits with status 0 in time.
 */
export async function startServer(extraArgs = []) {
  const bin = process.env.MOCKROOM_BIN;
  if (!bin) throw new Error('MOCKROOM_BIN is not set: point it at the built mockroom binary');
  if (!existsSync(bin)) throw new Error(`MOCKROOM_BIN=${bin} does not exist: build the mockroom target first`);
  const scratch = await mkdtemp(path.join(tmpdir(), 'mockroom-fuzz-'));
  const webDir = path.join(scratch, 'web');
  const dataDir = path.join(scratch, 'data');
  await mkdir(webDir);
  await writeFile(path.join(webDir, 'index.html'), '<!doctype html><title>fuzz</title>\n');
  const args = ['--port', '0', '--host', '127.0.0.1', '--banks', BANKS_DIR, '--web', webDir, '--data', dataDir, ...extraArgs];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (stderr.length > 1_000_000) stderr = stderr.slice(-500_000);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const url = await new Promise((resolve, reject) => {
    let out = '';
    const fail = (why) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      rm(scratch, { recursive: true, force: true }).catch(() => {});
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
    await rm(scratch, { recursive: true, force: true });
    const { code, signal } = await exited;
    if (killed) throw new Error(`mockroom did not stop within ${STOP_DEADLINE_MS} ms of SIGTERM\n--- server stderr ---\n${stderr}`);
    if (code !== 0) throw new Error(`mockroom exited with ${signal ?? `status ${code}`}\n--- server stderr ---\n${stderr}`);
  }
  /** Whether the server is still running (a crash mid-run is reported as such). */
  const alive = () => child.exitCode === null && child.signalCode === null;
  return { url, stop, alive, stderr: () => stderr };
}
