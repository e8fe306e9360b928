#!/usr/bin/env node
// Crash harness: "acknowledged means durable", proved with SIGKILL.
//
//   MOCKROOM_BIN=build/dev/server/mockroom node tests/crash/crash.mjs --kills 20 --seed 1
//
// Starts the real server on one data directory, creates rooms over HTTP and connects, per room,
// an interviewer and a candidate built on the real @codemirror/collab (as tests/fuzz does). They
// edit both documents at once, inserting unique tokens (`⟨r0:iS:17⟩`, filler with é, 😀, 中文 …)
// and deleting whole ranges; the interviewer pushes questions and sends timer commands with
// `expect_rev`. Every acknowledgement is recorded: an own notes update that comes back, the
// `question` event answering a push, the `timer` event answering a command. The server is
// SIGKILLed at seeded random moments (sometimes right after a client wrote a push), restarted on
// the same directory on a new port, and checked before any client may reconnect:
//
//   (a) a copy of the crashed files (mockroom.db + -wal) passes `PRAGMA integrity_check`;
//   (b) each document the restarted server serves (notes.snapshot to a fresh interviewer) equals
//       an independent replay of the stored log (ChangeSet.fromJSON in seq order), text and
//       version; every version a client had received is in it, with the text it received;
//   (c) every acknowledged token is there exactly once (unless its deletion was acknowledged:
//       then never), every unacknowledged one at most once, no unknown token;
//   (d) every acknowledged question push is in the history, unchanged, and the history holds no
//       push beyond the ones acknowledged or in flight at the kill;
//   (e) timers: the restored state has at least the last acknowledged revision; at the same
//       revision a running timer has the identical deadline (paused/idle: the identical
//       remaining time); the remaining time the new process reports is within
//       ±--timer-tolerance of (deadline − the moment the welcome was written), that moment
//       bounded by our hello and the welcome's arrival, taken on this process's clock with the
//       offset measured (ping/pong) against the first server process, so a restart that moved
//       deadlines in real time is caught.
//
// Then the gate opens: clients reconnect by themselves (hello with the versions they hold, the
// unconfirmed updates pushed again, half the time pipelined right behind hello). At the end
// everyone settles, every client's documents equal the server's, every token acknowledged
// anywhere is present exactly once (or was deleted by an acknowledged deletion), the server
// stops cleanly on SIGTERM and the live database passes integrity_check and replays to the same
// documents.
//
// Exit status 0 when everything held, 1 on any failure (printed as JSON with the seed, the kill
// number and the evidence; the data directory is kept), 2 on bad usage.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { ChangeSet, EditorState, Text } from '@codemirror/state';
import { collab, getSyncedVersion, receiveUpdates, sendableUpdates } from '@codemirror/collab';
import { startMockroom } from '../support/server.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BANKS_DIR = path.join(REPO, 'shared', 'questions');
const DB_NAME = 'mockroom.db';

// ---------------------------------------------------------------------------------------------
// Options

const USAGE = `usage: node tests/crash/crash.mjs [--kills N] [--seed S] [--rooms N] [--min-run MS] [--max-run MS]
                              [--timer-tolerance MS] [--max-len UNITS] [--snapshot-every N] [--data DIR]
                              [--keep] [--progress]
  --kills N             SIGKILLs of the server (default 20)
  --seed S              PRNG seed, any string (default 1)
  --rooms N             rooms, each with an interviewer and a candidate (default 3)
  --min-run MS          shortest time the clients work between a restart and the next kill (default 150)
  --max-run MS          longest (default 1200)
  --timer-tolerance MS  allowed error of a timer's remaining time after a restart (default 250)
  --max-len UNITS       documents are kept around this many UTF-16 units (default 3000)
  --snapshot-every N    the server's --snapshot-every: events between room snapshots (default 40, so
                        most restarts load a snapshot and replay the events after it)
  --data DIR            the data directory (default: a fresh temporary one, removed after success)
  --keep                keep the data directory after success too
  --progress            one line per kill
env MOCKROOM_BIN: the server binary; SQLITE3: the sqlite3 shell (default: sqlite3 on the PATH)`;

function parseArgs(argv) {
  const o = { kills: 20, seed: '1', rooms: 3, minRun: 150, maxRun: 1200, timerTolerance: 250, maxLen: 3000, snapshotEvery: 40, data: null, keep: false, progress: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    const num = (min) => {
      const v = Number(val());
      if (!Number.isFinite(v) || v < min) usage(`${a} must be a number >= ${min}`);
      return Math.floor(v);
    };
    if (a === '--kills') o.kills = num(0);
    else if (a === '--seed') o.seed = val();
    else if (a === '--rooms') o.rooms = num(1);
    else if (a === '--min-run') o.minRun = num(0);
    else if (a === '--max-run') o.maxRun = num(0);
    else if (a === '--timer-tolerance') o.timerTolerance = num(1);
    else if (a === '--max-len') o.maxLen = num(200);
    else if (a === '--snapshot-every') o.snapshotEvery = num(1);
    else if (a === '--data') o.data = path.resolve(val());
    else if (a === '--keep') o.keep = true;
    else if (a === '--progress') o.progress = true;
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else usage(`unknown argument ${a}`);
  }
  if (o.maxRun < o.minRun) usage('--max-run must be >= --min-run');
  if (o.rooms > 20) usage('--rooms must be at most 20 (30 rooms a minute per address)');
  return o;
}

function usage(why) {
  console.error(`crash: ${why}\n${USAGE}`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
// CRASH_MUTATE=lose-last | move-deadline: after each kill the harness damages the store the way a
// broken server would (the last notes update of room r0 and everything after it vanish; the
// stored question deadline of room r0 moves by 1 s). The run must then FAIL: this checks that the
// checks work.
const MUTATE = process.env.CRASH_MUTATE ?? '';
if (MUTATE && !['lose-last', 'move-deadline'].includes(MUTATE)) usage(`unknown CRASH_MUTATE=${MUTATE}`);

// ---------------------------------------------------------------------------------------------
// Seeded PRNG (xmur3 seeding + sfc32, as in tests/fuzz): the same seed makes the same choices;
// only the interleaving with the server depends on timing.

function xmur3(str) {
  let h = 1779033703 ^ str.length;
  for (let i = 0; i < str.length; i++) {
    h = Math.imul(h ^ str.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  return () => {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
}

class Rng {
  constructor(seed) {
    const s = xmur3(String(seed));
    let a = s(), b = s(), c = s(), d = s();
    this.next = () => {
      a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
      let t = (a + b) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      d = (d + 1) | 0;
      t = (t + d) | 0;
      c = (c + t) | 0;
      return (t >>> 0) / 4294967296;
    };
    for (let i = 0; i < 16; i++) this.next();
  }
  int(n) {
    return Math.floor(this.next() * n);
  }
  chance(p) {
    return this.next() < p;
  }
  pick(arr) {
    return arr[this.int(arr.length)];
  }
}

// This process's clock on the Unix-ms scale the server uses (monotonic: timeOrigin + now()).
const clock = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Text: tokens, filler, safe cut positions

const OPEN = '\u27e8'; // ⟨
const CLOSE = '\u27e9'; // ⟩
const TOKEN_RE = /\u27e8r\d+:[ic][SP]:\d+\u27e9/g;
const MAX_TOKEN_UNITS = 24;

// Filler never holds a bracket or "\r". Weighted by repetition.
const FILLER = [
  'a', 'e', 'x', 'def', 'x = 1', 'return', ' ', ' ', '  ', '\t', '\n', '\n', '\n\n', 'é', 'ß', 'ф', 'Ω',
  '∑', '😀', '🎉', '👩\u200d💻', '👍🏽', '中', '文字', 'ｱ', '"', '\\', '{', '}', '<', '&', '\u2028', '\u00a0',
  '\u0301', 'Z', '42',
];

const isHigh = (c) => c >= 0xd800 && c <= 0xdbff;

/** Moves `p` back to a position neither inside a token nor inside a surrogate pair. */
function safePos(doc, p) {
  const len = doc.length;
  if (p <= 0) return 0;
  if (p >= len) return len;
  const start = Math.max(0, p - MAX_TOKEN_UNITS);
  const before = doc.sliceString(start, p);
  const open = before.lastIndexOf(OPEN);
  const close = before.lastIndexOf(CLOSE);
  if (open > close) return start + open;
  if (isHigh(before.charCodeAt(before.length - 1))) return p - 1;
  return p;
}

const tokensIn = (s) => s.match(TOKEN_RE) ?? [];

/** The tokens in the text a change set (its JSON) inserts, in order. */
function insertedTokens(changesJson) {
  const found = [];
  for (const part of changesJson) {
    if (Array.isArray(part) && part.length > 1) found.push(...tokensIn(part.slice(1).join('\n')));
  }
  return found;
}

/** Where two strings first differ, with some context on both sides (JSON-escaped). */
function firstDifference(a, b) {
  let i = 0;
  const n = Math.min(a.length, b.length);
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  const from = Math.max(0, i - 30);
  return { position: i, lengths: [a.length, b.length], context: [JSON.stringify(a.slice(from, i + 30)), JSON.stringify(b.slice(from, i + 30))] };
}

// ---------------------------------------------------------------------------------------------
// Run state

const run = {
  started: performance.now(),
  failures: [],
  aborted: false,
  stage: 'start',
  kills: 0,
  restarts: 0,
  server: null,
  serverUrl: null,
  wsUrl: null, // the gate: null while the server is down or being checked
  gen: 0, // server processes started
  liveGen: null, // the generation of the running server, null from the moment of a kill
  stopEditing: false,
  finishing: false,
  offset0: null, // server clock − this clock, measured against the first process
  offset: 0, // the same against the current process
  killOnSend: null,
  rooms: [],
  clients: [],
  tokens: new Map(), // token -> { room, doc, by, insertAcked, deletePending, deleteAcked }
  dataDir: null,
  scratch: null,
  stats: {
    kills: 0,
    killsRightAfterSend: 0,
    restarts: 0,
    restartMs: [],
    edits: 0,
    updatesPushed: 0,
    editsAcknowledged: 0,
    tokensInserted: 0,
    tokensAcknowledged: 0,
    tokenDeletionsAcknowledged: 0,
    tokenChecks: 0,
    versionChecks: 0,
    unackedUpdatesDurable: 0,
    unackedUpdatesLost: 0,
    questionsAcknowledged: 0,
    questionChecks: 0,
    unackedPushesDurable: 0,
    timerCommandsAcknowledged: 0,
    staleCommandsRefused: 0,
    timerChecks: 0,
    deadlineCompares: 0,
    unackedTimerChangesDurable: 0,
    maxTimerErrorMs: 0,
    maxClockErrorMs: 0,
    maxAnchorShiftMs: 0,
    integrityChecks: 0,
    eventsReplayed: 0,
    maxLogEvents: 0,
    reconnects: 0,
    conflicts: 0,
    rateLimited: 0,
  },
};

function fail(kind, detail = {}) {
  if (run.failures.length < 20) run.failures.push({ kind, kill: run.kills, stage: run.stage, ...detail });
  if (!run.aborted) {
    run.aborted = true;
    console.error(`crash: FAILURE (${kind}) at kill ${run.kills}, seed ${opts.seed}`);
  }
}

async function waitUntil(cond, deadlineMs, step = 5) {
  const end = performance.now() + deadlineMs;
  while (performance.now() < end) {
    if (cond()) return true;
    if (run.aborted) return false;
    await sleep(step);
  }
  return cond();
}

// ---------------------------------------------------------------------------------------------
// A room: what was acknowledged in it

function timerOf(v) {
  return { state: v.state, duration_ms: v.duration_ms, deadline: v.deadline, remaining_ms: v.remaining_ms, rev: v.rev };
}

class Room {
  constructor(index, created) {
    this.index = index;
    this.tag = `r${index}`;
    this.id = created.room;
    this.tokens = created.tokens;
    this.clients = [];
    this.docTokens = { shared: new Set(), private: new Set() };
    this.acked = new Map(); // seq -> question, as acknowledged or served after a restart
    this.seen = new Map(); // seq -> question received by any client (sent after commit: durable)
    this.unknownPushes = 0; // pushes in flight when a connection died
    this.timers = { interview: null, question: null }; // the latest state anyone here received
    this.unknownTimer = { interview: false, question: false };
    this.customCount = 0;
  }

  get maxSeq() {
    let m = 0;
    for (const seq of this.acked.keys()) m = Math.max(m, seq);
    return m;
  }

  /** A timer state received by a client of this room (every one is durable: sent after commit). */
  noteTimer(name, v, who) {
    const last = this.timers[name];
    if (!last || v.rev > last.rev) {
      this.timers[name] = timerOf(v);
      return;
    }
    if (v.rev === last.rev) {
      const fixed = v.state !== 'running';
      if (v.state !== last.state || v.duration_ms !== last.duration_ms || v.deadline !== last.deadline || (fixed && v.remaining_ms !== last.remaining_ms)) {
        fail('two different timer states with the same rev', { room: this.tag, timer: name, who, seen: last, now: timerOf(v) });
      }
    }
  }

  noteQuestion(q, who) {
    const known = this.acked.get(q.seq) ?? this.seen.get(q.seq);
    if (known && (known.id !== q.id || known.text !== q.text || known.pushed_at !== q.pushed_at)) {
      fail('two different questions with the same seq', { room: this.tag, who, known: sameQuestionFields(known), now: sameQuestionFields(q) });
    }
    if (!known) this.seen.set(q.seq, q);
  }

  get maxSeenSeq() {
    let m = this.maxSeq;
    for (const seq of this.seen.keys()) m = Math.max(m, seq);
    return m;
  }

  lostOp(op) {
    if (op.kind === 'push') {
      this.unknownPushes++;
      this.unknownTimer.question = true;
      if (!this.timers.interview || this.timers.interview.state === 'idle') this.unknownTimer.interview = true;
    } else {
      this.unknownTimer[op.timer] = true;
    }
  }
}

const sameQuestionFields = (q) => ({ seq: q.seq, id: q.id, text: q.text, difficulty: q.difficulty, pushed_at: q.pushed_at, budget_ms: q.budget_ms });

// ---------------------------------------------------------------------------------------------
// One document as a client holds it (the @codemirror/collab client core, as in tests/fuzz)

class DocSync {
  constructor(client, name) {
    this.client = client;
    this.name = name;
    this.state = null; // EditorState with collab()
    this.confirmed = null; // the server's text at the synced version
    this.inflight = null; // { id, remaining }
    this.ready = false;
    this.pushTimer = null;
    this.pullPending = false;
    this.meta = []; // per unconfirmed update, in order: { ins: [tokens], del: [tokens] }
    this.sent = 0; // leading unconfirmed updates sent at least once
  }

  get writable() {
    return this.client.role === 'interviewer' || this.name === 'shared';
  }

  init(version, text) {
    this.state = EditorState.create({ doc: text, extensions: [collab({ startVersion: version, clientID: this.client.clientId })] });
    this.confirmed = this.state.doc;
    this.meta = [];
    this.sent = 0;
  }

  receive(from, updates) {
    const v = getSyncedVersion(this.state);
    if (from > v) {
      if (!this.pullPending) {
        this.pullPending = true;
        this.client.send(this.client.conn, { type: 'notes.pull', doc: this.name, version: v });
      }
      return;
    }
    this.pullPending = false;
    for (let i = v - from; i < updates.length && !run.aborted; i++) this.receiveOne(from + i, updates[i]);
  }

  receiveOne(version, u) {
    const c = this.client;
    let changes;
    try {
      changes = ChangeSet.fromJSON(u.changes);
    } catch (e) {
      return fail('server sent an invalid change set', { room: c.room.tag, doc: this.name, version, client: c.name, update: u, error: String(e) });
    }
    if (changes.length !== this.confirmed.length) {
      return fail('server update does not fit the document', { room: c.room.tag, doc: this.name, version, client: c.name, updateLength: changes.length, documentLength: this.confirmed.length });
    }
    const pending = sendableUpdates(this.state);
    const own = u.clientID === c.clientId;
    if (own && pending.length === 0) {
      return fail('own update received with nothing unconfirmed (applied twice?)', { room: c.room.tag, doc: this.name, version, client: c.name, update: u });
    }
    if (own) {
      const local = pending[0].changes;
      if (JSON.stringify(local.toJSON()) !== JSON.stringify(u.changes)) {
        const a = local.length === changes.length ? local.apply(this.confirmed).toString() : null;
        const b = changes.apply(this.confirmed).toString();
        if (a !== b) {
          return fail('the server rebased an update differently from its client', { room: c.room.tag, doc: this.name, version, client: c.name, clientRebased: local.toJSON(), serverRebased: u.changes });
        }
      }
    }
    this.confirmed = changes.apply(this.confirmed);
    this.state = receiveUpdates(this.state, [{ changes, clientID: u.clientID }]).state;
    if (own) this.confirmOwn(version, u);
    if (getSyncedVersion(this.state) !== version + 1) fail('synced version out of step', { room: c.room.tag, doc: this.name, version, client: c.name });
    if (sendableUpdates(this.state).length === 0 && !this.state.doc.eq(this.confirmed)) {
      fail('divergence: nothing pending but the editor differs from the server text', { room: c.room.tag, doc: this.name, version: version + 1, client: c.name, ...firstDifference(this.confirmed.toString(), this.state.doc.toString()) });
    }
  }

  /** An own update came back: it is acknowledged, and so are the tokens it inserted or deleted. */
  confirmOwn(version, u) {
    const c = this.client;
    const m = this.meta.shift();
    if (!m) return fail('harness bug: no record of a confirmed update', { room: c.room.tag, doc: this.name, version });
    const got = insertedTokens(u.changes);
    if ([...got].sort().join() !== [...m.ins].sort().join()) {
      return fail('a confirmed update inserts other tokens than the client sent', { room: c.room.tag, doc: this.name, version, client: c.name, sent: m.ins, confirmed: got });
    }
    for (const t of m.ins) {
      run.tokens.get(t).insertAcked = true;
      run.stats.tokensAcknowledged++;
    }
    for (const t of m.del) {
      const rec = run.tokens.get(t);
      rec.deletePending--;
      if (!rec.deleteAcked) run.stats.tokenDeletionsAcknowledged++;
      rec.deleteAcked = true;
    }
    run.stats.editsAcknowledged++;
    if (this.sent > 0) this.sent--;
    if (this.inflight && --this.inflight.remaining <= 0) {
      this.inflight = null;
      c.schedulePush(this);
    }
    if (this.meta.length !== sendableUpdates(this.state).length) {
      fail('harness bug: update records out of step with collab', { room: c.room.tag, doc: this.name, records: this.meta.length, pending: sendableUpdates(this.state).length });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A client: one browser tab (interviewer or candidate) with its sockets over time

class Client {
  constructor(room, role) {
    this.room = room;
    this.role = role;
    this.tag = role === 'interviewer' ? 'i' : 'c';
    this.name = `${room.tag}${this.tag}`;
    this.rng = new Rng(`${opts.seed}/${this.name}`);
    this.clientId = `crash-${this.name}-${Math.floor(this.rng.next() * 2 ** 32).toString(36)}`;
    this.token = room.tokens[role];
    this.docs = { shared: new DocSync(this, 'shared') };
    if (role === 'interviewer') this.docs.private = new DocSync(this, 'private');
    this.conn = null;
    this.you = null;
    this.everConnected = false;
    this.tokenSeq = 0;
    this.op = null; // the question push or timer command in flight (interviewer)
    this.opSeq = 0;
    this.pushSeq = 0;
    this.frozen = null; // { doc: { version, text } } while the server is down
  }

  get docList() {
    return Object.values(this.docs);
  }

  // ---- sockets ----

  /** Called every few ms: reconnects by itself whenever the gate is open and it has no socket. */
  maybeConnect() {
    if (this.conn || !run.wsUrl || run.aborted || run.closed) return;
    this.connect(run.wsUrl);
  }

  connect(url) {
    if (this.everConnected) run.stats.reconnects++;
    this.everConnected = true;
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const conn = { ws, url, gen: run.gen, joined: false };
    this.conn = conn;
    for (const d of this.docList) {
      d.inflight = null;
      d.ready = false;
      d.pullPending = false;
    }
    ws.on('open', () => {
      if (this.conn === conn) this.hello(conn);
    });
    ws.on('message', (data) => {
      if (this.conn !== conn || run.aborted) return;
      let msg;
      try {
        msg = JSON.parse(data.toString('utf8'));
      } catch {
        return fail('server sent invalid JSON', { client: this.name });
      }
      this.handle(conn, msg);
    });
    ws.on('close', (code, reason) => {
      if (this.conn === conn) this.lost(conn, code, String(reason));
    });
    ws.on('error', () => {}); // a 'close' follows
  }

  lost(conn, code, reason) {
    this.conn = null;
    if (conn.gen === run.liveGen && !run.finishing && !run.closed) {
      fail('a socket closed while its server was alive', { client: this.name, code, reason });
    }
    for (const d of this.docList) {
      d.inflight = null;
      d.ready = false;
    }
    if (this.op) {
      // A push whose question arrived is acknowledged; its timer frames already count as unknown.
      if (!this.op.questionSeen) this.room.lostOp(this.op);
      this.op = null;
    }
  }

  hello(conn) {
    const notes = {};
    for (const d of this.docList) if (d.state) notes[d.name] = getSyncedVersion(d.state);
    const msg = { type: 'hello', room: this.room.id, token: this.token, name: `Crash ${this.name}`, client: this.clientId };
    if (Object.keys(notes).length) msg.notes = notes;
    // What the welcome must hold: the questions acknowledged before this hello was sent. One
    // acknowledged later (another client's socket, read first) may postdate the welcome.
    conn.ackedBeforeHello = new Map(this.room.acked);
    this.send(conn, msg);
    // Half the time the unconfirmed updates go again right behind hello, before the catch-up:
    // the server must skip those it had stored before the kill.
    if (this.rng.chance(0.5)) for (const d of this.docList) if (d.writable && d.state && sendableUpdates(d.state).length) this.sendPush(conn, d);
  }

  send(conn, msg) {
    if (!conn || conn.ws.readyState !== WebSocket.OPEN) return false;
    const hook = run.killOnSend && (msg.type === 'notes.push' || msg.type === 'question.push' || msg.type === 'timer.command') ? run.killOnSend : null;
    if (hook) run.killOnSend = null;
    // The callback runs once the frame is written to the socket: the kill comes right after.
    conn.ws.send(JSON.stringify(msg), hook ? () => hook() : undefined);
    return true;
  }

  handle(conn, msg) {
    const room = this.room;
    switch (msg.type) {
      case 'welcome': {
        conn.joined = true;
        this.you = msg.you;
        if (msg.role !== this.role) fail('welcome with the wrong role', { client: this.name, role: msg.role });
        for (const name of ['interview', 'question']) room.noteTimer(name, msg.state.timers[name], this.name);
        for (const q of msg.state.history) room.noteQuestion(q, this.name);
        for (const [seq, q] of conn.ackedBeforeHello ?? room.acked) {
          const s = msg.state.history[seq - 1];
          if (!s || s.seq !== seq || s.id !== q.id || s.text !== q.text || s.pushed_at !== q.pushed_at) {
            fail('a welcome lacks an acknowledged question', { room: room.tag, client: this.name, seq, acknowledged: sameQuestionFields(q), served: s && sameQuestionFields(s) });
          }
        }
        return;
      }
      case 'notes.snapshot': {
        const d = this.docs[msg.doc];
        if (!d) return fail(`${this.role} received a snapshot of ${msg.doc}`, { client: this.name });
        if (d.state) {
          // The client named a version it holds; the server does not know it: versions it had
          // acknowledged are gone, and so would be the client's unconfirmed edits.
          return fail('snapshot to a client that named a version it holds (acknowledged versions lost?)', {
            room: room.tag, client: this.name, doc: msg.doc, held: getSyncedVersion(d.state), served: msg.version, pending: sendableUpdates(d.state).length,
          });
        }
        d.init(msg.version, msg.text);
        d.ready = true;
        this.schedulePush(d);
        return;
      }
      case 'notes.updates': {
        const d = this.docs[msg.doc];
        if (!d) return fail(`${this.role} received updates of ${msg.doc}`, { client: this.name });
        if (!d.state) return fail('updates before any snapshot', { client: this.name, doc: msg.doc });
        d.receive(msg.from, msg.updates);
        d.ready = true;
        this.schedulePush(d);
        return;
      }
      case 'question': {
        const q = msg.question;
        room.noteQuestion(q, this.name);
        if (this.role !== 'interviewer') return;
        const op = this.op;
        if (!op || op.kind !== 'push') return fail('a question nobody pushed', { room: room.tag, question: sameQuestionFields(q) });
        const fits = op.custom ? q.id === `custom-${q.seq}` && q.text === op.custom.text && q.difficulty === op.custom.difficulty : q.id === op.question;
        if (!fits || (op.budget_ms !== undefined && q.budget_ms !== op.budget_ms) || q.seq !== room.maxSeq + 1) {
          return fail('the question event does not answer the push', { room: room.tag, sent: op.msg, got: sameQuestionFields(q), expectedSeq: room.maxSeq + 1 });
        }
        room.seen.delete(q.seq);
        room.acked.set(q.seq, q);
        // The push's timer changes (the question timer's restart, and the interview timer's start
        // when it was idle) follow in frames of their own: a kill may fall between them and the
        // question, so until the next restart they count as in flight.
        room.unknownTimer.question = true;
        const startsInterview = !room.timers.interview || room.timers.interview.state === 'idle';
        if (startsInterview) room.unknownTimer.interview = true;
        run.stats.questionsAcknowledged++;
        // The op ends with the push's own timer frames too: a command sent between the question
        // and them would carry a revision the push has already moved (a conflict that is the
        // harness's doing, not the server's).
        op.questionSeen = true;
        op.waitTimers = new Set(startsInterview ? ['question', 'interview'] : ['question']);
        return;
      }
      case 'timer': {
        room.noteTimer(msg.timer, msg, this.name);
        const op = this.op;
        if (op && op.kind === 'push' && op.questionSeen && msg.cause === 'push' && msg.by === this.you) {
          op.waitTimers.delete(msg.timer);
          if (op.waitTimers.size === 0) this.op = null;
          return;
        }
        if (this.role === 'interviewer' && op && op.kind === 'timer' && msg.timer === op.timer && msg.cause === op.command && msg.by === this.you) {
          if (op.stale) return fail('a command with a stale expect_rev was applied', { room: room.tag, sent: op.msg, got: msg });
          if (msg.rev !== op.msg.expect_rev + 1) fail('a timer command moved the rev by more than one', { room: room.tag, sent: op.msg, got: msg });
          run.stats.timerCommandsAcknowledged++;
          this.op = null;
        }
        return;
      }
      case 'error':
        return this.onError(msg);
      case 'presence':
      case 'cursor':
      case 'notes.language':
      case 'pong':
        return;
      default:
        return; // newer message kinds (not driven here)
    }
  }

  onError(msg) {
    const op = this.op;
    if (op && msg.ref === op.id) {
      this.op = null;
      if (op.stale && msg.code === 'conflict') {
        run.stats.staleCommandsRefused++;
        return;
      }
      return fail('an error answered a question push or timer command', { room: this.room.tag, client: this.name, sent: op.msg, error: msg, timers: this.room.timers });
    }
    if (msg.code === 'rate_limited') {
      run.stats.rateLimited++;
      for (const d of this.docList) {
        if (d.inflight) {
          d.inflight = null;
          this.schedulePush(d, 100);
        }
      }
      if (op) {
        // Dropped unread: nothing changed; treat it as lost (the welcome will show).
        this.room.lostOp(op);
        this.op = null;
      }
      return;
    }
    if (msg.code === 'conflict') {
      // Too far behind: pull from the synced version, push again once caught up.
      run.stats.conflicts++;
      for (const d of this.docList) {
        if (d.inflight && d.inflight.id === msg.ref) d.inflight = null;
        if (!d.state || !d.ready) continue;
        this.send(this.conn, { type: 'notes.pull', doc: d.name, version: getSyncedVersion(d.state) });
        this.schedulePush(d, 10);
      }
      return;
    }
    fail('server error', { room: this.room.tag, client: this.name, error: msg });
  }

  // ---- pushing notes ----

  schedulePush(d, delay) {
    if (d.pushTimer || !d.writable) return;
    d.pushTimer = setTimeout(() => {
      d.pushTimer = null;
      this.tryPush(d);
    }, delay ?? this.rng.int(4));
  }

  tryPush(d) {
    const conn = this.conn;
    if (!conn || !conn.joined || !d.ready || d.inflight || !d.state || run.aborted) return;
    if (sendableUpdates(d.state).length === 0) return;
    this.sendPush(conn, d);
  }

  sendPush(conn, d) {
    const updates = [];
    let bytes = 200;
    for (const u of sendableUpdates(d.state)) {
      if (updates.length >= 100) break;
      const json = { clientID: u.clientID, changes: u.changes.toJSON() };
      const size = Buffer.byteLength(JSON.stringify(json));
      if (updates.length && bytes + size > 40_000) break;
      updates.push(json);
      bytes += size;
    }
    const id = ++this.pushSeq;
    if (!this.send(conn, { type: 'notes.push', id, doc: d.name, version: getSyncedVersion(d.state), updates })) return;
    d.inflight = { id, remaining: updates.length };
    d.sent = Math.max(d.sent, updates.length);
    run.stats.updatesPushed += updates.length;
  }

  // ---- editing ----

  async editLoop() {
    while (!run.stopEditing && !run.aborted) {
      const r = this.rng.next();
      await sleep(r < 0.7 ? 4 + this.rng.int(20) : 20 + this.rng.int(60));
      if (run.stopEditing || run.aborted) break;
      this.edit();
    }
  }

  edit() {
    // Offline (the server is down) a person types on for a while: the edits are pushed after
    // the reconnect.
    const cap = this.conn?.joined ? 60 : 110;
    const docs = this.docList.filter((d) => d.writable && d.state && sendableUpdates(d.state).length < cap);
    if (!docs.length) return;
    const d = this.rng.pick(docs);
    const doc = d.state.doc;
    const len = doc.length;
    const rk = this.rng.next();
    const del = len > opts.maxLen ? rk < 0.7 : len > 60 && rk < 0.15;
    const spec = {};
    const m = { ins: [], del: [] };
    if (del) {
      const from = safePos(doc, this.rng.int(len));
      let to = safePos(doc, Math.min(len, from + 1 + this.rng.int(len > opts.maxLen ? 400 : 30)));
      if (to <= from) {
        // `from` is at a token's start: take the whole token.
        const close = doc.sliceString(from, Math.min(len, from + MAX_TOKEN_UNITS)).indexOf(CLOSE);
        to = close >= 0 ? from + close + 1 : len;
      }
      const removed = doc.sliceString(from, to);
      const whole = tokensIn(removed);
      if (removed.split(OPEN).length - 1 !== whole.length || removed.split(CLOSE).length - 1 !== whole.length) {
        return fail('harness bug: a deletion would cut a token', { client: this.name, removed });
      }
      for (const t of whole) {
        const rec = run.tokens.get(t);
        if (!rec) return fail('harness bug: an unknown token in a client document', { client: this.name, token: t });
        rec.deletePending++;
        m.del.push(t);
      }
      spec.from = from;
      spec.to = to;
    } else {
      const rp = this.rng.next();
      spec.from = safePos(doc, rp < 0.1 ? 0 : rp < 0.2 ? len : this.rng.int(len + 1));
      const token = `${OPEN}${this.room.tag}:${this.tag}${d.name === 'private' ? 'P' : 'S'}:${++this.tokenSeq}${CLOSE}`;
      let before = '';
      let after = '';
      for (let i = this.rng.int(3); i > 0; i--) before += this.rng.pick(FILLER);
      for (let i = this.rng.int(3); i > 0; i--) after += this.rng.pick(FILLER);
      spec.insert = before + token + after;
      run.tokens.set(token, { room: this.room.tag, doc: d.name, by: this.name, insertAcked: false, deletePending: 0, deleteAcked: false });
      this.room.docTokens[d.name].add(token);
      run.stats.tokensInserted++;
      m.ins.push(token);
    }
    d.state = d.state.update({ changes: spec }).state;
    d.meta.push(m);
    run.stats.edits++;
    this.schedulePush(d);
  }

  // ---- questions and timers (interviewer) ----

  async opLoop() {
    while (!run.stopEditing && !run.aborted) {
      await sleep(60 + this.rng.int(300));
      if (run.stopEditing || run.aborted) break;
      if (!this.conn?.joined || this.op) continue;
      this.doOp();
    }
  }

  doOp() {
    const room = this.room;
    const id = `op-${++this.opSeq}`;
    const r = this.rng.next();
    if ((r < 0.4 || room.maxSeq === 0) && room.maxSeq < 900) {
      const msg = { type: 'question.push', id };
      const op = { kind: 'push', id, msg };
      if (this.rng.chance(0.5)) {
        const n = ++room.customCount;
        op.custom = {
          text: `Crash question ${room.tag}#${n}: объясни «GIL» — 中文 😀 "quotes" \\ ${this.rng.pick(FILLER)}`,
          difficulty: this.rng.pick(['easy', 'medium', 'hard']),
        };
        msg.custom = op.custom;
      } else {
        op.question = `q${1 + this.rng.int(10)}`;
        msg.question = op.question;
      }
      if (this.rng.chance(0.5)) msg.budget_ms = op.budget_ms = 120_000 + 1000 * this.rng.int(780);
      if (this.send(this.conn, msg)) this.op = op;
      return;
    }
    const timer = this.rng.chance(0.8) ? 'question' : 'interview';
    const t = room.timers[timer];
    if (!t) return;
    const serverNow = clock() + run.offset;
    const left = t.state === 'running' ? t.deadline - serverNow : t.remaining_ms;
    const choices = [];
    if (t.state === 'idle') choices.push('start', 'start', 'add+');
    if (t.state === 'running') choices.push('pause', 'pause', 'add+', 'reset');
    if (t.state === 'paused') choices.push('resume', 'resume', 'add+', 'reset');
    if (t.state === 'expired') choices.push('add+');
    if ((t.state === 'running' || t.state === 'paused') && left > 100_000) choices.push('add-');
    let pick = this.rng.pick(choices);
    if (pick === 'add+' && left > 3 * 3600_000) pick = t.state === 'idle' ? 'start' : 'add-';
    const msg = { type: 'timer.command', id, timer, command: pick.startsWith('add') ? 'add' : pick, expect_rev: t.rev };
    if (pick === 'add+') msg.ms = 1000 * (1 + this.rng.int(120));
    if (pick === 'add-') msg.ms = -1000 * (1 + this.rng.int(Math.min(20, Math.floor((left - 80_000) / 1000))));
    if (pick === 'reset' && this.rng.chance(0.7)) msg.ms = 60_000 * (2 + this.rng.int(14));
    const op = { kind: 'timer', id, msg, timer, command: msg.command };
    if (t.rev > 0 && this.rng.chance(0.04)) {
      msg.expect_rev = t.rev - 1; // a double click's second press: must be refused (conflict)
      op.stale = true;
    }
    if (this.send(this.conn, msg)) this.op = op;
  }

  // ---- status ----

  freeze() {
    this.frozen = {};
    for (const d of this.docList) {
      if (d.state) this.frozen[d.name] = { version: getSyncedVersion(d.state), text: d.confirmed.toString(), pending: sendableUpdates(d.state).length, sent: d.sent };
    }
  }

  settled() {
    const conn = this.conn;
    if (!conn || !conn.joined || this.op) return false;
    return this.docList.every((d) => d.state && d.ready && !d.inflight && sendableUpdates(d.state).length === 0);
  }

  status() {
    return {
      client: this.name,
      connected: !!this.conn,
      joined: !!this.conn?.joined,
      op: this.op?.msg,
      docs: Object.fromEntries(this.docList.map((d) => [d.name, d.state ? { version: getSyncedVersion(d.state), pending: sendableUpdates(d.state).length, inflight: d.inflight, ready: d.ready, length: d.state.doc.length } : null])),
    };
  }

  closeForGood() {
    for (const d of this.docList) clearTimeout(d.pushTimer);
    const conn = this.conn;
    this.conn = null;
    if (conn) conn.ws.close(1000);
  }
}

// ---------------------------------------------------------------------------------------------
// The store, read independently: sqlite3 CLI on a copy of the crashed files

function sqlite3(db, sql, { json = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.SQLITE3 || 'sqlite3', [...(json ? ['-json'] : []), db, sql], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    let err = '';
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => (err += c));
    child.once('error', (e) => reject(new Error(`sqlite3: ${e.message} (install the Debian package sqlite3)`)));
    child.once('close', (code) => {
      const text = Buffer.concat(out).toString('utf8');
      if (code !== 0) reject(new Error(`sqlite3 ${db} ${JSON.stringify(sql)} exited with ${code}: ${err.trim()}`));
      else resolve(text);
    });
  });
}

/** CRASH_MUTATE: damage the crashed store of room r0 as a broken server would have. */
async function mutateStore(k) {
  const db = path.join(run.dataDir, DB_NAME);
  const room = run.rooms[0].id.replace(/'/g, "''");
  const sql =
    MUTATE === 'lose-last'
      ? `DELETE FROM events WHERE room = '${room}' AND seq >= (SELECT max(seq) FROM events WHERE room = '${room}' AND json_extract(body, '$.kind') = 'notes')`
      : `UPDATE events SET body = json_set(body, '$.deadline', json_extract(body, '$.deadline') + 1000) WHERE room = '${room}' AND seq = (SELECT max(seq) FROM events WHERE room = '${room}' AND json_extract(body, '$.kind') = 'timer' AND json_extract(body, '$.timer') = 'question')`;
  await sqlite3(db, sql);
  console.log(`crash: CRASH_MUTATE=${MUTATE}: damaged the store of r0 after kill ${k}`);
}

/** Copies the database files as the killed server left them (no process has them open). */
async function copyCrashedFiles(k) {
  const dir = path.join(run.scratch, `after-kill-${k}`);
  await rm(path.join(run.scratch, `after-kill-${k - 1}`), { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const suffix of ['', '-wal', '-journal']) {
    const from = path.join(run.dataDir, DB_NAME + suffix);
    if (existsSync(from)) await copyFile(from, path.join(dir, DB_NAME + suffix));
  }
  return path.join(dir, DB_NAME);
}

async function integrityCheck(db) {
  const out = (await sqlite3(db, 'PRAGMA integrity_check')).trim();
  run.stats.integrityChecks++;
  if (out !== 'ok') fail('integrity_check did not print ok', { db, output: out.slice(0, 2000) });
}

/**
 * Replays the stored log of every room: documents (text, version, and the text at each version
 * in `want[room][doc]`), the clientID of each version, the question history, the last timer
 * states.
 */
async function replayLog(db, want = {}) {
  const rows = JSON.parse((await sqlite3(db, 'SELECT room, seq, body FROM events ORDER BY room, seq', { json: true })) || '[]');
  const roomIds = JSON.parse((await sqlite3(db, 'SELECT id FROM rooms ORDER BY created_order', { json: true })) || '[]').map((r) => r.id);
  const logs = new Map();
  for (const id of roomIds) {
    const docs = {};
    for (const name of ['shared', 'private']) docs[name] = { text: Text.empty, version: 0, at: new Map(), clients: [] };
    logs.set(id, { docs, history: [], timers: { interview: null, question: null }, events: 0 });
  }
  for (const row of rows) {
    const log = logs.get(row.room);
    if (!log) {
      fail('stored events of a room that is not in the rooms table', { room: row.room });
      continue;
    }
    if (row.seq !== log.events) {
      fail('stored log has a gap', { room: row.room, expected: log.events, seq: row.seq });
      return logs;
    }
    log.events++;
    let body;
    try {
      body = JSON.parse(row.body);
    } catch {
      fail('a stored event is not JSON', { room: row.room, seq: row.seq, body: row.body.slice(0, 500) });
      continue;
    }
    if (body.kind === 'notes') {
      const d = log.docs[body.doc];
      const wanted = want[row.room]?.[body.doc];
      if (!d) {
        fail('a stored notes event names no known document', { room: row.room, seq: row.seq, doc: body.doc });
        continue;
      }
      for (const u of body.updates) {
        if (wanted?.has(d.version)) d.at.set(d.version, d.text.toString());
        let cs;
        try {
          cs = ChangeSet.fromJSON(u.changes);
        } catch (e) {
          fail('a stored change set is invalid', { room: row.room, seq: row.seq, error: String(e) });
          return logs;
        }
        if (cs.length !== d.text.length) {
          fail('a stored update does not fit the replayed document', { room: row.room, seq: row.seq, doc: body.doc, version: d.version, updateLength: cs.length, documentLength: d.text.length });
          return logs;
        }
        d.text = cs.apply(d.text);
        d.clients.push(u.clientID);
        d.version++;
      }
    } else if (body.kind === 'asked') {
      if (body.question.seq !== log.history.length + 1) fail('a stored question is out of sequence', { room: row.room, seq: row.seq, question: body.question.seq });
      log.history.push(body.question);
    } else if (body.kind === 'timer') {
      log.timers[body.timer] = { state: body.state, duration_ms: body.duration, deadline: body.deadline, remaining_ms: body.remaining, rev: body.rev };
    }
  }
  run.stats.eventsReplayed += rows.length;
  run.stats.maxLogEvents = Math.max(run.stats.maxLogEvents, rows.length);
  for (const [id, log] of logs) {
    for (const [name, d] of Object.entries(log.docs)) {
      if (want[id]?.[name]?.has(d.version)) d.at.set(d.version, d.text.toString());
      d.text = d.text.toString();
    }
  }
  return logs;
}

// ---------------------------------------------------------------------------------------------
// A fresh interviewer's view of a room: clock offset (pings before hello), welcome, snapshots

async function joinVerifier(room, url, deadlineMs = 15_000) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const inbox = [];
  let wake = null;
  let closed = null;
  ws.on('message', (data) => {
    const at = clock();
    try {
      inbox.push({ at, msg: JSON.parse(data.toString('utf8')) });
    } catch {
      inbox.push({ at, msg: { type: 'error', code: 'invalid JSON from the server', raw: data.toString('utf8').slice(0, 500) } });
    }
    if (wake) wake();
  });
  ws.on('close', (code) => {
    closed = code;
    if (wake) wake();
  });
  ws.on('error', () => {});
  const end = performance.now() + deadlineMs;
  const next = async (pred, what) => {
    for (;;) {
      const i = inbox.findIndex((e) => pred(e.msg));
      if (i >= 0) return inbox.splice(i, 1)[0];
      const err = inbox.find((e) => e.msg.type === 'error');
      if (err) throw new Error(`the verifier got an error waiting for ${what}: ${JSON.stringify(err.msg)}`);
      if (closed !== null) throw new Error(`the verifier's socket closed (${closed}) waiting for ${what}`);
      const left = end - performance.now();
      if (left <= 0) throw new Error(`no ${what} within ${deadlineMs} ms`);
      await new Promise((resolve) => {
        wake = resolve;
        setTimeout(resolve, Math.min(left, 50));
      });
      wake = null;
    }
  };
  try {
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
      setTimeout(() => reject(new Error('the verifier could not connect')), deadlineMs);
    });
    // Clock: the lowest-delay sample of a few pings (allowed before hello).
    let best = null;
    for (let i = 0; i < 5; i++) {
      const t0 = clock();
      ws.send(JSON.stringify({ type: 'ping', id: i, t0 }));
      const { at: t3, msg } = await next((m) => m.type === 'pong' && m.id === i, 'pong');
      const delay = t3 - t0 - (msg.t2 - msg.t1);
      const offset = (msg.t1 - t0 + (msg.t2 - t3)) / 2;
      if (!best || delay < best.delay) best = { delay, offset };
    }
    const helloAt = clock();
    ws.send(JSON.stringify({ type: 'hello', room: room.id, token: room.tokens.interviewer, name: 'Crash verifier', client: `crash-verify-${room.tag}` }));
    const welcome = await next((m) => m.type === 'welcome', 'welcome');
    const snaps = {};
    for (const doc of ['shared', 'private']) snaps[doc] = (await next((m) => m.type === 'notes.snapshot' && m.doc === doc, `${doc} snapshot`)).msg;
    return { welcome: welcome.msg, helloAt, welcomeAt: welcome.at, snaps, offset: best.offset, delay: best.delay };
  } finally {
    ws.close(1000);
  }
}

// ---------------------------------------------------------------------------------------------
// Checks

function checkTokens(room, doc, text, where, final = false) {
  const counts = new Map();
  for (const t of tokensIn(text)) counts.set(t, (counts.get(t) ?? 0) + 1);
  const bad = { missing: [], duplicated: [], resurrected: [], unknown: [], wrongDocument: [] };
  for (const t of room.docTokens[doc]) {
    const rec = run.tokens.get(t);
    const n = counts.get(t) ?? 0;
    if (rec.deleteAcked) {
      if (n) bad.resurrected.push(`${t} x${n}`);
    } else if (rec.insertAcked && rec.deletePending === 0) {
      run.stats.tokenChecks++;
      if (n === 0) bad.missing.push(`${t} by ${rec.by}`);
      else if (n > 1) bad.duplicated.push(`${t} x${n}`);
    } else if (final) {
      bad.missing.push(`${t} by ${rec.by} (not acknowledged at the end)`);
    } else if (n > 1) {
      bad.duplicated.push(`${t} x${n} (unacknowledged)`);
    }
  }
  for (const t of counts.keys()) {
    const rec = run.tokens.get(t);
    if (!rec) bad.unknown.push(t);
    else if (rec.room !== room.tag || rec.doc !== doc) bad.wrongDocument.push(`${t} in ${room.tag}/${doc}`);
  }
  if (Object.values(bad).some((l) => l.length)) {
    const found = Object.entries(bad).filter(([, l]) => l.length);
    fail('token check failed', { where, room: room.tag, doc, ...Object.fromEntries(found.map(([k, l]) => [k, { count: l.length, first: l.slice(0, 10) }])) });
  }
}

function checkTimer(room, name, served, logged, helloAt, welcomeAt, welcomeNow, where) {
  const last = room.timers[name];
  const sameAsStored =
    logged &&
    logged.rev === served.rev &&
    logged.state === served.state &&
    logged.duration_ms === served.duration_ms &&
    (served.state === 'running' || served.state === 'expired' ? logged.deadline === served.deadline : logged.remaining_ms === served.remaining_ms);
  if (logged && !sameAsStored) {
    // The start-up may expire a timer that ran out while the server was down (and store it
    // after the copy was taken): only that difference is allowed.
    const expiredAtStart = served.state === 'expired' && logged.state === 'running' && served.rev === logged.rev + 1 && served.deadline === logged.deadline;
    if (!expiredAtStart) fail('served timer differs from the last stored timer event', { where, room: room.tag, timer: name, served: timerOf(served), stored: logged });
  }
  if (last) {
    if (served.rev < last.rev) {
      fail('an acknowledged timer change was lost', { where, room: room.tag, timer: name, acknowledged: last, served: timerOf(served) });
      return;
    }
    const expired = served.state === 'expired' && last.state === 'running' ? 1 : 0;
    const allowed = (room.unknownTimer[name] ? 1 : 0) + expired;
    if (served.rev > last.rev + allowed) {
      fail('the timer changed beyond the acknowledged and in-flight commands', { where, room: room.tag, timer: name, acknowledged: last, served: timerOf(served), inFlight: room.unknownTimer[name] });
    }
    if (served.rev === last.rev) {
      if (served.state !== last.state || served.duration_ms !== last.duration_ms) {
        fail('a timer came back in another state at the same rev', { where, room: room.tag, timer: name, acknowledged: last, served: timerOf(served) });
      } else if (last.state === 'running' || last.state === 'expired') {
        run.stats.deadlineCompares++;
        if (served.deadline !== last.deadline) fail('a timer deadline moved across the restart', { where, room: room.tag, timer: name, before: last.deadline, after: served.deadline, acknowledged: last, served: timerOf(served) });
      } else if (served.remaining_ms !== last.remaining_ms) {
        fail('a paused or idle timer came back with another remaining time', { where, room: room.tag, timer: name, acknowledged: last, served: timerOf(served) });
      }
    } else {
      run.stats.unackedTimerChangesDurable++;
    }
  }
  if (served.state === 'running') {
    const deadline = last && served.rev === last.rev ? last.deadline : served.deadline;
    // Remaining as the new process reports it, against the deadline known before the kill and
    // the moment the server wrote the welcome, on this process's clock and the first server's
    // offset. That moment lies between our hello and the welcome's arrival: a slow server (under
    // the sanitizers, beside browser tests) may take hundreds of ms there, which is not an error.
    const latest = deadline - (helloAt + run.offset0); // the welcome written at once
    const earliest = deadline - (welcomeAt + run.offset0); // written just before it arrived
    const expected = Math.min(latest, Math.max(earliest, served.remaining_ms));
    const err = served.remaining_ms - expected;
    // And the new process's own arithmetic: remaining = deadline − now at the welcome.
    const own = served.remaining_ms - (deadline - welcomeNow);
    run.stats.timerChecks++;
    run.stats.maxTimerErrorMs = Math.max(run.stats.maxTimerErrorMs, Math.abs(err), Math.abs(own));
    if (Math.abs(err) > opts.timerTolerance || Math.abs(own) > opts.timerTolerance) {
      fail('remaining time after the restart is off', { where, room: room.tag, timer: name, deadline, remaining: served.remaining_ms, expectedFrom: earliest, expectedTo: latest, errorMs: err, serverArithmeticErrorMs: own, offset0: run.offset0 });
    }
  }
}

/** After a (re)start, before any client may reconnect. */
async function verifyStart(k, logs) {
  const where = k === 0 ? 'first start' : `restart after kill ${k}`;
  for (const room of run.rooms) {
    let v;
    try {
      v = await joinVerifier(room, run.wsUrlNext);
    } catch (e) {
      fail('the restarted server did not serve a fresh interviewer', { where, room: room.tag, error: String(e.message), stderr: run.server.stderr().slice(-3000) });
      return;
    }
    if (k === 0) run.offset0 = v.offset;
    run.offset = v.offset;
    run.stats.maxAnchorShiftMs = Math.max(run.stats.maxAnchorShiftMs, Math.abs(v.offset - run.offset0));
    const clockErr = v.welcome.now - (v.welcomeAt + run.offset0);
    run.stats.maxClockErrorMs = Math.max(run.stats.maxClockErrorMs, Math.abs(clockErr));
    const log = logs.get(room.id);
    if (!log) return fail('a room is missing from the store', { where, room: room.tag, id: room.id });

    // (b) served documents = the replay of the stored log; every version a client had is in it.
    for (const doc of ['shared', 'private']) {
      const snap = v.snaps[doc];
      const rep = log.docs[doc];
      if (snap.version !== rep.version || snap.text !== rep.text) {
        fail('the served document differs from the replay of the stored log', { where, room: room.tag, doc, served: snap.version, replayed: rep.version, ...firstDifference(rep.text, snap.text) });
      }
      for (const c of room.clients) {
        const held = c.frozen?.[doc];
        if (!held) continue;
        run.stats.versionChecks++;
        if (held.version > rep.version) {
          fail('versions a client had received are not in the store (acknowledged edits lost)', { where, room: room.tag, doc, client: c.name, clientVersion: held.version, storedVersion: rep.version });
          continue;
        }
        if (rep.at.get(held.version) !== held.text) {
          fail('the stored log differs from what a client received', { where, room: room.tag, doc, client: c.name, version: held.version, ...firstDifference(rep.at.get(held.version) ?? '', held.text) });
        }
        // The client's unconfirmed updates the server had stored before the kill.
        const own = rep.clients.slice(held.version).filter((id) => id === c.clientId).length;
        run.stats.unackedUpdatesDurable += own;
        run.stats.unackedUpdatesLost += Math.max(0, Math.min(held.sent, held.pending) - own);
      }
      // (c) tokens
      checkTokens(room, doc, snap.text, where);
    }

    // (d) history
    const served = v.welcome.state.history;
    for (const [seq, q] of [...room.acked, ...room.seen]) {
      run.stats.questionChecks++;
      const s = served[seq - 1];
      if (!s || JSON.stringify(sameQuestionFields(s)) !== JSON.stringify(sameQuestionFields(q))) {
        fail('an acknowledged question push is missing or changed', { where, room: room.tag, seq, acknowledged: sameQuestionFields(q), served: s && sameQuestionFields(s) });
      }
    }
    if (served.length < room.maxSeenSeq) fail('the history is shorter than what clients received', { where, room: room.tag, served: served.length, received: room.maxSeenSeq });
    const extra = served.length - room.maxSeenSeq;
    if (extra > room.unknownPushes) fail('the history holds pushes nobody made', { where, room: room.tag, served: served.length, acknowledged: room.maxSeq, inFlight: room.unknownPushes });
    if (extra > 0) run.stats.unackedPushesDurable += extra;
    if (served.length !== log.history.length || served.some((q, i) => JSON.stringify(sameQuestionFields(q)) !== JSON.stringify(sameQuestionFields(log.history[i])))) {
      fail('the served history differs from the stored one', { where, room: room.tag, served: served.length, stored: log.history.length });
    }
    const cur = v.welcome.state.timers.question.question;
    if (cur !== (served.length ? served[served.length - 1].seq : null)) fail('the question timer times another question', { where, room: room.tag, timerQuestion: cur, history: served.length });

    // (e) timers
    for (const name of ['interview', 'question']) checkTimer(room, name, v.welcome.state.timers[name], log.timers[name], v.helloAt, v.welcomeAt, v.welcome.now, where);

    // What the restarted server serves is durable: the baseline for the next kill.
    room.acked = new Map(served.map((q) => [q.seq, q]));
    room.seen = new Map();
    room.unknownPushes = 0;
    for (const name of ['interview', 'question']) {
      room.timers[name] = timerOf(v.welcome.state.timers[name]);
      room.unknownTimer[name] = false;
    }
    if (run.aborted) return;
  }
}

// ---------------------------------------------------------------------------------------------
// The server: start, kill, restart

async function startServer() {
  const t = performance.now();
  const server = await startMockroom({
    banksDir: BANKS_DIR,
    dataDir: run.dataDir,
    extraArgs: ['--snapshot-every', String(opts.snapshotEvery)],
  });
  run.server = server;
  run.liveGen = ++run.gen;
  run.serverUrl = server.url;
  run.wsUrlNext = `${server.url.replace(/^http/, 'ws')}/ws`;
  return Math.round(performance.now() - t);
}

function sanitizerReport(stderr) {
  return /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|internal error|could not store|cannot reload/.test(stderr);
}

async function killServer(k, mode) {
  const server = run.server;
  run.wsUrl = null; // the gate closes: nobody reconnects until the checks are done
  run.liveGen = null;
  const res = await server.kill();
  run.kills = k;
  run.stats.kills++;
  if (!res.killedByUs) fail('the server had exited by itself before the kill', { exit: res, stderr: server.stderr().slice(-4000) });
  if (sanitizerReport(server.stderr())) fail('the server reported an error before the kill', { stderr: server.stderr().slice(-4000) });
  if (!(await waitUntil(() => run.clients.every((c) => !c.conn), 10_000))) {
    fail('clients did not notice the kill within 10 s', { status: run.clients.map((c) => c.status()) });
  }
  for (const c of run.clients) c.freeze();
  if (mode === 'send') run.stats.killsRightAfterSend++;
}

async function activePhase(ms) {
  const end = performance.now() + ms;
  while (performance.now() < end && !run.aborted) {
    await sleep(Math.min(10, end - performance.now()));
    if (!run.server.alive()) {
      fail('the server exited by itself', { stderr: run.server.stderr().slice(-4000) });
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Main

function summary() {
  const s = run.stats;
  const ms = s.restartMs;
  return {
    seed: opts.seed,
    rooms: opts.rooms,
    kills: s.kills,
    killsRightAfterSend: s.killsRightAfterSend,
    restarts: s.restarts,
    restartMsMedian: ms.length ? [...ms].sort((a, b) => a - b)[ms.length >> 1] : null,
    restartMsMax: ms.length ? Math.max(...ms) : null,
    edits: s.edits,
    updatesPushed: s.updatesPushed,
    editsAcknowledged: s.editsAcknowledged,
    tokensInserted: s.tokensInserted,
    tokensAcknowledged: s.tokensAcknowledged,
    tokenDeletionsAcknowledged: s.tokenDeletionsAcknowledged,
    tokenChecks: s.tokenChecks,
    versionChecks: s.versionChecks,
    unackedUpdatesDurable: s.unackedUpdatesDurable,
    unackedUpdatesLost: s.unackedUpdatesLost,
    questionsAcknowledged: s.questionsAcknowledged,
    questionChecks: s.questionChecks,
    unackedPushesDurable: s.unackedPushesDurable,
    timerCommandsAcknowledged: s.timerCommandsAcknowledged,
    staleCommandsRefused: s.staleCommandsRefused,
    timerChecks: s.timerChecks,
    deadlineCompares: s.deadlineCompares,
    unackedTimerChangesDurable: s.unackedTimerChangesDurable,
    maxTimerErrorMs: Math.round(s.maxTimerErrorMs * 10) / 10,
    maxClockErrorMs: Math.round(s.maxClockErrorMs * 10) / 10,
    maxAnchorShiftMs: Math.round(s.maxAnchorShiftMs * 10) / 10,
    integrityChecks: s.integrityChecks,
    eventsReplayed: s.eventsReplayed,
    finalLogEvents: s.maxLogEvents,
    reconnects: s.reconnects,
    conflicts: s.conflicts,
    rateLimited: s.rateLimited,
    elapsedMs: Math.round(performance.now() - run.started),
  };
}

function report() {
  const s = summary();
  console.log(`crash: ${JSON.stringify(s)}`);
  if (!run.failures.length) {
    console.log(
      `crash: OK: ${s.kills} kills (SIGKILL), ${s.restarts} restarts, ${s.editsAcknowledged} edits acknowledged, ` +
        `${s.tokenChecks} acknowledged-token checks (${s.tokensAcknowledged} tokens), ${s.questionsAcknowledged} questions acknowledged ` +
        `(${s.questionChecks} checks), ${s.timerChecks} timer checks (${s.deadlineCompares} deadlines compared), ` +
        `max timer error ${s.maxTimerErrorMs} ms, ${s.integrityChecks} integrity checks ok, ${(s.elapsedMs / 1000).toFixed(1)} s (seed ${opts.seed})`,
    );
    return 0;
  }
  console.error(`crash: FAILED with seed ${opts.seed} (rerun: node tests/crash/crash.mjs --kills ${opts.kills} --seed ${opts.seed} --rooms ${opts.rooms})`);
  console.error(`crash: data directory kept: ${run.dataDir}${run.scratch ? `; the last post-crash copy is under ${run.scratch}` : ''}`);
  for (const f of run.failures) console.error(JSON.stringify(f, null, 1));
  return 1;
}

async function main() {
  const mainRng = new Rng(`${opts.seed}/kills`);
  run.scratch = await mkdtemp(path.join(tmpdir(), 'mockroom-crash-'));
  run.dataDir = opts.data ?? path.join(run.scratch, 'data');
  if (existsSync(path.join(run.dataDir, DB_NAME))) usage(`${run.dataDir} already holds a database: give an empty or new directory`);
  let ticker = null;
  let loops = [];
  try {
    run.stats.restartMs.push(await startServer());
    for (let i = 0; i < opts.rooms; i++) {
      const res = await fetch(`${run.serverUrl}/api/rooms`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ bank: 'python-developer', title: `crash ${opts.seed} r${i} — ünïcödé`, interview_ms: 3_600_000 }),
      });
      if (res.status !== 201) throw new Error(`POST /api/rooms: ${res.status} ${await res.text()}`);
      const room = new Room(i, await res.json());
      run.rooms.push(room);
      for (const role of ['interviewer', 'candidate']) {
        const c = new Client(room, role);
        room.clients.push(c);
        run.clients.push(c);
      }
    }
    run.stage = 'verify';
    const db0 = await copyCrashedFiles(0);
    await integrityCheck(db0);
    await verifyStart(0, await replayLog(db0));
    if (run.aborted) throw new Error('aborted');

    ticker = setInterval(() => {
      for (const c of run.clients) c.maybeConnect();
    }, 5);
    run.wsUrl = run.wsUrlNext;
    run.stage = 'work';
    loops = run.clients.flatMap((c) => (c.role === 'interviewer' ? [c.editLoop(), c.opLoop()] : [c.editLoop()]));

    for (let k = 1; k <= opts.kills && !run.aborted; k++) {
      run.stage = 'work';
      await activePhase(opts.minRun + mainRng.int(opts.maxRun - opts.minRun + 1));
      if (run.aborted) break;
      // A third of the kills land right after a client wrote a push or command to its socket.
      // A third of the kills land 0-8 ms after a client wrote a push or command to its socket:
      // before the server read it, while it commits, or between the commit and the answer.
      let mode = 'time';
      if (mainRng.chance(0.33)) {
        mode = 'send';
        const delay = mainRng.int(9);
        let fire;
        const sent = new Promise((resolve) => (fire = resolve));
        run.killOnSend = fire;
        await Promise.race([sent, sleep(1000)]);
        run.killOnSend = null;
        if (delay) await sleep(delay);
      }
      run.stage = 'kill';
      await killServer(k, mode);
      if (run.aborted) break;
      if (MUTATE) await mutateStore(k);
      run.stage = 'check the crashed files';
      const db = await copyCrashedFiles(k);
      await integrityCheck(db);
      const want = {};
      for (const room of run.rooms) {
        want[room.id] = { shared: new Set(), private: new Set() };
        for (const c of room.clients) for (const [doc, held] of Object.entries(c.frozen)) want[room.id][doc].add(held.version);
      }
      const logs = await replayLog(db, want);
      if (run.aborted) break;
      run.stage = 'restart';
      let startMs;
      try {
        startMs = await startServer();
      } catch (e) {
        fail('the server did not restart on the crashed data directory', { error: String(e.message).slice(0, 4000) });
        break;
      }
      run.stats.restarts++;
      run.stats.restartMs.push(startMs);
      run.stage = 'verify';
      await verifyStart(k, logs);
      if (opts.progress) {
        const s = run.stats;
        console.log(`crash: kill ${k}/${opts.kills} (${mode}): restarted in ${startMs} ms; ${s.editsAcknowledged} edits acknowledged, ${s.tokenChecks} token checks, ${s.timerChecks} timer checks, log ${s.maxLogEvents} events, ${Math.round((performance.now() - run.started) / 1000)} s`);
      }
      for (const c of run.clients) c.frozen = null;
      run.wsUrl = run.wsUrlNext; // the gate opens: clients reconnect by themselves
    }

    // The end: a last stretch of work, then everyone settles.
    if (!run.aborted) {
      run.stage = 'final work';
      await activePhase(800);
      run.stopEditing = true;
      await Promise.all(loops);
      run.stage = 'settle';
      const settled = await waitUntil(() => {
        if (!run.clients.every((c) => c.settled())) return false;
        for (const room of run.rooms) {
          for (const name of ['shared', 'private']) {
            const versions = new Set(room.clients.filter((c) => c.docs[name]).map((c) => getSyncedVersion(c.docs[name].state)));
            if (versions.size !== 1) return false;
          }
        }
        return true;
      }, 30_000);
      if (!settled && !run.aborted) fail('clients did not settle within 30 s', { status: run.clients.map((c) => c.status()) });
    }
    if (!run.aborted) {
      run.stage = 'final check';
      const finalSnaps = new Map();
      for (const room of run.rooms) {
        const v = await joinVerifier(room, run.wsUrlNext);
        finalSnaps.set(room.id, v.snaps);
        for (const name of ['shared', 'private']) {
          const snap = v.snaps[name];
          for (const c of room.clients) {
            const d = c.docs[name];
            if (!d) continue;
            const text = d.state.doc.toString();
            if (text !== snap.text || getSyncedVersion(d.state) !== snap.version) {
              fail('a client did not converge on the server', { room: room.tag, doc: name, client: c.name, serverVersion: snap.version, clientVersion: getSyncedVersion(d.state), ...firstDifference(snap.text, text) });
            }
          }
          checkTokens(room, name, snap.text, 'final', true);
        }
        for (const [seq, q] of room.acked) {
          const s = v.welcome.state.history[seq - 1];
          if (!s || s.text !== q.text || s.pushed_at !== q.pushed_at) fail('an acknowledged question is missing at the end', { room: room.tag, seq });
        }
      }
      run.finishing = true;
      for (const c of run.clients) c.closeForGood();
      run.closed = true;
      clearInterval(ticker);
      run.stage = 'stop';
      try {
        await run.server.stop();
      } catch (e) {
        fail('the server did not shut down cleanly', { error: String(e.message).slice(0, 4000) });
      }
      if (sanitizerReport(run.server.stderr())) fail('the server reported an error', { stderr: run.server.stderr().slice(-4000) });
      // The live file after a clean stop, read in place.
      const live = path.join(run.dataDir, DB_NAME);
      await integrityCheck(live);
      const logs = await replayLog(live);
      for (const room of run.rooms) {
        for (const name of ['shared', 'private']) {
          const snap = finalSnaps.get(room.id)[name];
          const rep = logs.get(room.id).docs[name];
          if (rep.text !== snap.text || rep.version !== snap.version) fail('the final stored log replays to other documents', { room: room.tag, doc: name, served: snap.version, replayed: rep.version });
        }
      }
    }
  } catch (e) {
    if (!run.aborted || String(e?.message) !== 'aborted') fail('exception', { error: String(e?.stack ?? e) });
  } finally {
    run.closed = true;
    run.stopEditing = true;
    clearInterval(ticker);
    for (const c of run.clients) c.closeForGood();
    if (run.server?.alive()) await run.server.kill().catch(() => {});
  }
  const status = report();
  if (status === 0 && !opts.keep) {
    await rm(run.scratch, { recursive: true, force: true });
  } else if (status === 0) {
    console.log(`crash: data directory kept: ${run.dataDir}`);
  }
  process.exit(status);
}

main();
