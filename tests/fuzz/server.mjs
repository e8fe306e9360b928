// The real mockroom binary for the fuzz: a stub web directory (no browser here) and the
// repository's banks. The start/stop logic is shared with the browser tests.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startMockroom } from '../support/server.mjs';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BANKS_DIR = path.join(REPO, 'shared', 'questions');

export function startServer(extraArgs = []) {
  return startMockroom({ banksDir: BANKS_DIR, extraArgs });
}
