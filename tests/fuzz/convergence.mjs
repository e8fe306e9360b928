#!/usr/bin/env node
// Convergence fuzz of the collaborative notes over real sockets.
//
//   MOCKROOM_BIN=build/server/mockroom node tests/fuzz/convergence.mjs --edits 10000 --clients 4 --seed 1
//
// Starts the real server, creates a room, and connects N clients (one candidate, the rest
// interviewers) plus one passive observer with the `ws` package. Every client runs the real
// @codemirror/collab + @codemirror/state the way PROTOCOL.md ("Joining", "Notes") says a client
// must: `hello` naming the held versions when reconnecting, snapshot or catch-up updates,
// `receiveUpdates` fed one update at a time, at most one `notes.push` in flight per document,
// unconfirmed updates pushed again after a reconnect. The clients make seeded random edits to
// both documents (`shared`, and `private` among the interviewers) while the network misbehaves:
// random delays, abrupt and clean disconnects, confirmations lost after the server accepted the
// push, incoming messages held back, resends pipelined right behind `hello`.
//
// Each insertion carries a unique token (`⟦S~i0~17⟧` in shared, `⟦P~i1~5⟧` in private).
// Deletions and replacements cut only between tokens and never inside a surrogate pair, so a
// token is either deleted whole (and recorded) or must survive. At the end every client must
// hold exactly the server's text (fetched by a fresh interviewer's snapshot), with nothing
// pending; every inserted token that nobody deleted appears exactly once, deleted ones never;
// the candidate and the observer never received a `private` message or a private token.
// While running, each confirmation of an own update is compared with the client's own rebased
// copy, and a client with nothing pending must hold the server's text at its version: the first
// divergence is reported with the seed, document, version and the change sets involved.
//
// Exit status 0 when everything converged, 1 on any failure (with a report), 2 on bad usage.

import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { ChangeSet, EditorState } from '@codemirror/state';
import { collab, getSyncedVersion, receiveUpdates, sendableUpdates } from '@codemirror/collab';
import { startServer } from './server.mjs';

// ---------------------------------------------------------------------------------------------
// Options

const USAGE = `usage: node tests/fuzz/convergence.mjs [--edits N] [--clients N] [--seed S] [--max-len UNITS]
                                  [--pace X] [--check-every N] [--progress SECONDS] [--trace FILE]
  --edits N         local edit transactions in all (default 10000)
  --clients N       editing clients, >= 4: one candidate, the rest interviewers (default 4)
  --seed S          PRNG seed, any string (default 1)
  --max-len UNITS   documents are kept around this many UTF-16 units (default 3000)
  --pace X          multiplies every random delay (default 1; 0 = as fast as possible)
  --max-pending N   a client stops editing a document with N unconfirmed updates (default 60)
  --check-every N   compare the server text between clients every N versions (default 1)
  --progress S      print a progress line every S seconds (default: only with >= 200000 edits)
  --trace FILE      on failure, write every update seen per document to FILE (JSON)
env MOCKROOM_BIN: the server binary`;

function parseArgs(argv) {
  const o = { edits: 10000, clients: 4, seed: '1', maxLen: 3000, maxPending: 60, pace: 1, checkEvery: 1, progress: null, trace: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    const num = (min) => {
      const v = Number(val());
      if (!Number.isFinite(v) || v < min) usage(`${a} must be a number >= ${min}`);
      return v;
    };
    if (a === '--edits') o.edits = Math.floor(num(0));
    else if (a === '--clients') o.clients = Math.floor(num(4));
    else if (a === '--seed') o.seed = val();
    else if (a === '--max-len') o.maxLen = Math.floor(num(100));
    else if (a === '--max-pending') o.maxPending = Math.floor(num(1));
    else if (a === '--pace') o.pace = num(0);
    else if (a === '--check-every') o.checkEvery = Math.floor(num(1));
    else if (a === '--progress') o.progress = num(0);
    else if (a === '--trace') o.trace = val();
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else usage(`unknown argument ${a}`);
  }
  if (o.clients > 60) usage('--clients must be at most 60 (a room holds 64 participants)');
  if (o.progress === null) o.progress = o.edits >= 200000 ? 30 : 0;
  return o;
}

function usage(why) {
  console.error(`convergence: ${why}\n${USAGE}`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
const MUTATE_COMPOSE = process.env.FUZZ_MUTATE === 'compose';

// ---------------------------------------------------------------------------------------------
// Seeded PRNG (xmur3 seeding + sfc32): the same seed makes the same choices; only the
// interleaving depends on timing.

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

// ---------------------------------------------------------------------------------------------
// Text: tokens, filler, safe cut positions

const OPEN = '\u27e6'; // ⟦
const CLOSE = '\u27e7'; // ⟧
const TOKEN_RE = /\u27e6([SP])~([a-z]\d+)~(\d+)\u27e7/g;
// A private token's ASCII core, found whether or not a JSON encoder escaped the brackets.
const PRIVATE_CORE_RE = /P~[a-z]\d+~\d+/;
const MAX_TOKEN_UNITS = 40;

// Filler never holds a bracket, "~", "P~" or "\r". Weighted by repetition.
const FILLER = [
  'a', 'e', 'o', 'x', 'q', 'z', 'let', 'def', 'x = 1', 'return', ' ', ' ', ' ', '  ', '\t',
  '\n', '\n', '\n\n', 'é', 'ß', 'ñ', 'ф', 'Ω', '∑', 'ﬁ', '😀', '😀', '🎉', '👩\u200d💻', '👍🏽',
  '中', '文字', '日本語', '한국', 'ａ', '"', '\\', '{', '}', '<', '>', '&', '#', '\u2028', '\u00a0',
  '\u0301', '\u200b', 'A', 'Z', '0', '42',
];

function isHigh(c) {
  return c >= 0xd800 && c <= 0xdbff;
}
function isLow(c) {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Moves `p` back to a position that is neither inside a token nor inside a surrogate pair. */
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

function tokensIn(s) {
  return s.match(TOKEN_RE) ?? [];
}

/** Where two strings first differ, with some context on both sides (JSON-escaped). */
function firstDifference(a, b) {
  let i = 0;
  const n = Math.min(a.length, b.length);
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  const from = Math.max(0, i - 30);
  return {
    position: i,
    lengths: [a.length, b.length],
    context: [JSON.stringify(a.slice(from, i + 30)), JSON.stringify(b.slice(from, i + 30))],
  };
}

// ---------------------------------------------------------------------------------------------
// Run state

const run = {
  started: performance.now(),
  edits: 0,
  aborted: false,
  stopEditing: false,
  failures: [],
  stats: {
    changes: 0,
    inserts: 0,
    deletes: 0,
    replacements: 0,
    multiChange: 0,
    tokensDeleted: 0,
    pushes: 0,
    updatesPushed: 0,
    updatesResent: 0,
    pipelinedResends: 0,
    confirmations: 0,
    foreignUpdates: 0,
    disconnects: 0,
    abruptDisconnects: 0,
    cleanDisconnects: 0,
    lostConfirmations: 0,
    droppedRightAfterPush: 0,
    reconnects: 0,
    holds: 0,
    pulls: 0,
    gaps: 0,
    rateLimited: 0,
    equivalentJsonDiffers: 0,
    framesIn: 0,
    framesOut: 0,
    maxWelcomeMs: 0,
    resentAlreadyAccepted: 0,
    fullPushes: 0,
    leakFramesChecked: 0,
  },
  inserted: { shared: new Map(), private: new Map() }, // token -> client tag
  deleted: { shared: new Set(), private: new Set() },
  versionTexts: { shared: new Map(), private: new Map() },
  serverLog: { shared: [], private: [] }, // updates by version, as first seen by any client (for --trace)
  clients: [],
  wsUrl: null,
};

function fail(kind, detail) {
  if (run.failures.length < 20) run.failures.push({ kind, ...detail });
  if (!run.aborted) {
    run.aborted = true;
    console.error(`convergence: FAILURE (${kind}) at edit ${run.edits}, seed ${opts.seed}`);
  }
}

const readerCount = { shared: 0, private: 0 };

/** Every client reaching `version` of `doc` must compute the same server text. */
function checkVersionText(doc, version, text, who) {
  if (version % opts.checkEvery !== 0) return;
  const map = run.versionTexts[doc];
  const seen = map.get(version);
  if (!seen) {
    map.set(version, { text, by: who, count: 1 });
    return;
  }
  if (!seen.text.eq(text)) {
    fail('clients disagree on the server text', {
      doc,
      version,
      clients: [seen.by, who],
      ...firstDifference(seen.text.toString(), text.toString()),
    });
  }
  if (++seen.count >= readerCount[doc]) map.delete(version);
}

function pace(ms) {
  const t = ms * opts.pace;
  return new Promise((resolve) => (t <= 0 ? setImmediate(resolve) : setTimeout(resolve, t)));
}

// ---------------------------------------------------------------------------------------------
// Per-socket send budget, below the server's per-socket message rate (100/s, burst 200).

class Bucket {
  constructor(rate, burst) {
    this.rate = rate;
    this.burst = burst;
    this.tokens = burst;
    this.at = performance.now();
  }
  refill() {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.rate) / 1000);
    this.at = now;
  }
  /** Milliseconds until a message may be sent (0: now). */
  wait() {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.rate);
  }
  take() {
    this.refill();
    this.tokens -= 1;
  }
}

// ---------------------------------------------------------------------------------------------
// One document as a client holds it

class DocSync {
  constructor(client, name) {
    this.client = client;
    this.name = name;
    this.state = null; // EditorState with collab()
    this.confirmed = null; // the server's text at the synced version (a Text)
    this.inflight = null; // { id, remaining }: the push not yet confirmed
    this.ready = false; // caught up on the current connection
    this.pushTimer = null;
    this.sentAhead = 0; // how many leading unconfirmed updates were sent at least once
    this.pullPending = false;
  }

  get writable() {
    return this.client.role === 'interviewer' || (this.client.role === 'candidate' && this.name === 'shared');
  }

  init(version, text) {
    this.state = EditorState.create({ doc: text, extensions: [collab({ startVersion: version, clientID: this.client.clientId })] });
    this.confirmed = this.state.doc;
    this.sentAhead = 0;
    if (this.state.doc.toString() !== text) fail('snapshot text does not round-trip', { doc: this.name, client: this.client.tag });
    checkVersionText(this.name, version, this.confirmed, this.client.tag);
  }

  receive(from, updates) {
    const v = getSyncedVersion(this.state);
    if (from > v) {
      // A gap: updates from a version we have not reached. PROTOCOL: answer with notes.pull.
      run.stats.gaps++;
      if (!this.pullPending) {
        this.pullPending = true;
        this.client.send(this.client.conn, { type: 'notes.pull', doc: this.name, version: v });
      }
      return;
    }
    this.pullPending = false;
    if (MUTATE_COMPOSE && updates.length - (v - from) > 1) return this.receiveComposed(from, updates.slice(v - from));
    for (let i = v - from; i < updates.length && !run.aborted; i++) this.receiveOne(from + i, updates[i]);
  }

  /**
   * FUZZ_MUTATE=compose: the wrong way, all updates of a message in one receiveUpdates call
   * (CodeMirror then composes them before rebasing the local ones). Only for checking that the
   * fuzz notices the divergence this causes.
   */
  receiveComposed(from, updates) {
    const before = sendableUpdates(this.state).length;
    const parsed = updates.map((u) => ({ changes: ChangeSet.fromJSON(u.changes), clientID: u.clientID }));
    for (const u of parsed) this.confirmed = u.changes.apply(this.confirmed);
    this.state = receiveUpdates(this.state, parsed).state;
    const confirmedNow = before - sendableUpdates(this.state).length;
    run.stats.confirmations += confirmedNow;
    this.sentAhead = Math.max(0, this.sentAhead - confirmedNow);
    if (this.inflight && (this.inflight.remaining -= confirmedNow) <= 0) {
      this.inflight = null;
      this.client.schedulePush(this);
    }
    if (sendableUpdates(this.state).length === 0 && !this.state.doc.eq(this.confirmed)) {
      fail('divergence: nothing pending but the editor differs from the server text', {
        doc: this.name, version: from + updates.length, client: this.client.tag,
        ...firstDifference(this.confirmed.toString(), this.state.doc.toString()),
      });
    }
  }

  receiveOne(version, u) {
    const c = this.client;
    if (opts.trace && run.serverLog[this.name][version] === undefined) run.serverLog[this.name][version] = u;
    let changes;
    try {
      changes = ChangeSet.fromJSON(u.changes);
    } catch (e) {
      return fail('server sent an invalid change set', { doc: this.name, version, client: c.tag, update: u, error: String(e) });
    }
    if (changes.length !== this.confirmed.length) {
      return fail('server update does not fit the document', {
        doc: this.name, version, client: c.tag, updateLength: changes.length, documentLength: this.confirmed.length, update: u,
      });
    }
    const pending = sendableUpdates(this.state);
    const own = u.clientID === c.clientId;
    if (own && pending.length === 0) {
      return fail('own update received with nothing unconfirmed (applied twice?)', { doc: this.name, version, client: c.tag, update: u });
    }
    if (own) {
      const local = pending[0].changes;
      const localJson = JSON.stringify(local.toJSON());
      const serverJson = JSON.stringify(u.changes);
      if (localJson !== serverJson) {
        const a = local.length === changes.length ? local.apply(this.confirmed).toString() : null;
        const b = changes.apply(this.confirmed).toString();
        if (a !== b) {
          return fail('divergence: the server rebased an update differently from its client', {
            doc: this.name,
            version,
            client: c.tag,
            clientRebased: local.toJSON(),
            serverRebased: u.changes,
            serverTextBefore: this.confirmed.toString(),
            ...(a === null ? { note: 'lengths differ' } : firstDifference(b, a)),
          });
        }
        run.stats.equivalentJsonDiffers++;
      }
    }
    this.confirmed = changes.apply(this.confirmed);
    this.state = receiveUpdates(this.state, [{ changes, clientID: u.clientID }]).state;
    const left = sendableUpdates(this.state).length;
    if (own) {
      run.stats.confirmations++;
      if (left !== pending.length - 1) fail('receiveUpdates did not confirm our update', { doc: this.name, version, client: c.tag });
      if (this.sentAhead > 0) this.sentAhead--;
      if (this.inflight && --this.inflight.remaining <= 0) {
        this.inflight = null;
        c.schedulePush(this);
      }
    } else {
      run.stats.foreignUpdates++;
    }
    if (getSyncedVersion(this.state) !== version + 1) {
      fail('synced version out of step', { doc: this.name, version, client: c.tag, synced: getSyncedVersion(this.state) });
    }
    checkVersionText(this.name, version + 1, this.confirmed, c.tag);
    if (left === 0 && !this.state.doc.eq(this.confirmed)) {
      fail('divergence: nothing pending but the editor differs from the server text', {
        doc: this.name,
        version: version + 1,
        client: c.tag,
        ...firstDifference(this.confirmed.toString(), this.state.doc.toString()),
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A client: one browser tab, with its sockets over time

class Client {
  constructor(index, role, token) {
    this.index = index;
    this.role = role;
    this.token = token;
    this.tag = `${role[0]}${index}`;
    this.rng = new Rng(`${opts.seed}/client/${index}`);
    this.clientId = `fz-${this.tag}-${Math.floor(this.rng.next() * 2 ** 32).toString(36)}`;
    this.docs = { shared: new DocSync(this, 'shared') };
    if (role === 'interviewer') this.docs.private = new DocSync(this, 'private');
    this.conn = null;
    this.gen = 0;
    this.holdUntil = 0;
    this.reconnectTimer = null;
    this.pushSeq = 0;
    this.tokenSeq = 0;
    this.everConnected = false;
  }

  get docList() {
    return Object.values(this.docs);
  }

  // ---- sockets ----

  connect() {
    if (this.everConnected) run.stats.reconnects++;
    this.everConnected = true;
    const ws = new WebSocket(run.wsUrl, { perMessageDeflate: false });
    const conn = { ws, gen: ++this.gen, joined: false, queue: [], pumpTimer: null, bucket: new Bucket(50, 40), loseConfirm: null };
    this.conn = conn;
    for (const d of this.docList) {
      d.inflight = null;
      d.ready = false;
      d.pullPending = false;
    }
    ws.on('open', () => {
      if (this.conn === conn) this.hello(conn);
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return fail('binary frame from the server', { client: this.tag });
      this.onFrame(conn, data.toString('utf8'));
    });
    ws.on('close', (code, reason) => {
      if (this.conn !== conn) return; // we dropped it ourselves
      if (run.stopEditing && run.finishing) return;
      fail('the server closed a socket', { client: this.tag, code, reason: reason.toString() });
    });
    ws.on('error', () => {}); // a 'close' follows
  }

  hello(conn) {
    const notes = {};
    for (const d of this.docList) if (d.state) notes[d.name] = getSyncedVersion(d.state);
    const msg = { type: 'hello', room: run.room, token: this.token, name: `Fuzz ${this.tag}`, client: this.clientId };
    conn.helloAt = performance.now();
    if (Object.keys(notes).length) msg.notes = notes;
    this.send(conn, msg);
    // Half the time the unconfirmed updates are pushed again right behind hello, before the
    // catch-up arrives: the server must skip those it had already accepted.
    if (this.rng.chance(0.5)) {
      for (const d of this.docList) {
        if (d.writable && d.state && sendableUpdates(d.state).length) {
          run.stats.pipelinedResends++;
          this.sendPush(conn, d);
          if (d.inflight) d.inflight.pipelined = true;
        }
      }
    }
  }

  send(conn, msg, onWritten) {
    if (!conn || conn.ws.readyState !== WebSocket.OPEN) return false;
    conn.bucket.take();
    run.stats.framesOut++;
    conn.ws.send(JSON.stringify(msg), onWritten);
    return true;
  }

  /** Drops the current socket: abruptly (TCP reset, no close frame) or with a close frame. */
  drop(why, abrupt = true) {
    const conn = this.conn;
    if (!conn) return;
    this.conn = null;
    conn.queue = []; // received but not processed yet: lost
    clearTimeout(conn.pumpTimer);
    if (abrupt) conn.ws.terminate();
    else conn.ws.close(1000);
    run.stats.disconnects++;
    run.stats[abrupt ? 'abruptDisconnects' : 'cleanDisconnects']++;
    for (const d of this.docList) {
      d.inflight = null;
      d.ready = false;
    }
    const r = this.rng.next();
    const delay = r < 0.6 ? this.rng.int(10) : r < 0.95 ? 10 + this.rng.int(50) : r < 0.98 ? 100 + this.rng.int(200) : 300 + this.rng.int(300);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!run.aborted) this.connect();
    }, delay * opts.pace);
  }

  onFrame(conn, raw) {
    if (this.conn !== conn) return;
    run.stats.framesIn++;
    if (this.role !== 'interviewer') {
      run.stats.leakFramesChecked++;
      if (raw.includes('"private"') || raw.includes('\u27e6P') || PRIVATE_CORE_RE.test(raw)) {
        fail(`${this.role} received private notes`, { client: this.tag, frame: raw.slice(0, 2000) });
      }
    }
    let msg;
    try {
      msg = JSON.parse(raw);
    } catch {
      return fail('server sent invalid JSON', { client: this.tag, frame: raw.slice(0, 2000) });
    }
    if (
      conn.loseConfirm &&
      msg.type === 'notes.updates' &&
      msg.doc === conn.loseConfirm &&
      msg.updates.some((u) => u.clientID === this.clientId)
    ) {
      // The server accepted our push; its confirmation is lost with the connection.
      run.stats.lostConfirmations++;
      this.drop('lost confirmation', true);
      return;
    }
    conn.queue.push(msg);
    this.pump(conn);
  }

  pump(conn) {
    if (conn.pumpTimer) return;
    const wait = this.holdUntil - performance.now();
    if (wait > 0) {
      conn.pumpTimer = setTimeout(() => {
        conn.pumpTimer = null;
        this.pump(conn);
      }, wait + 0.5);
      return;
    }
    while (conn.queue.length && this.conn === conn && !run.aborted) this.handle(conn, conn.queue.shift());
  }

  handle(conn, msg) {
    switch (msg.type) {
      case 'welcome': {
        conn.joined = true;
        const ms = performance.now() - conn.helloAt;
        if (ms > run.stats.maxWelcomeMs) run.stats.maxWelcomeMs = Math.round(ms);
        if (process.env.FUZZ_DEBUG && ms > 500) console.log(`slow welcome: ${this.tag} ${Math.round(ms)} ms at ${Math.round(performance.now() - run.started)}`);
        if (msg.role !== this.role) fail('welcome with the wrong role', { client: this.tag, msg });
        return;
      }
      case 'notes.snapshot': {
        const d = this.docs[msg.doc];
        if (!d) return fail(`${this.role} received a snapshot of ${msg.doc}`, { client: this.tag });
        if (d.state) {
          return fail('snapshot sent to a client that named a version it holds (unconfirmed edits would be lost)', {
            client: this.tag, doc: msg.doc, held: getSyncedVersion(d.state), snapshotVersion: msg.version,
            pending: sendableUpdates(d.state).length,
          });
        }
        d.init(msg.version, msg.text);
        d.ready = true;
        this.schedulePush(d);
        return;
      }
      case 'notes.updates': {
        const d = this.docs[msg.doc];
        if (!d) return fail(`${this.role} received updates of ${msg.doc}`, { client: this.tag });
        if (!d.state) return fail('updates before any snapshot', { client: this.tag, doc: msg.doc, from: msg.from });
        const catchUpOfResend = !d.ready && d.inflight?.pipelined ? d.inflight.remaining : 0;
        const confirmedBefore = run.stats.confirmations;
        d.receive(msg.from, msg.updates);
        // Own updates in the catch-up that were also in the push pipelined behind hello: the
        // server had accepted them before, and must skip them in that push.
        run.stats.resentAlreadyAccepted += Math.min(catchUpOfResend, run.stats.confirmations - confirmedBefore);
        d.ready = true;
        this.schedulePush(d);
        return;
      }
      case 'error':
        if (msg.code === 'rate_limited') {
          // The error names no request (ref is empty), so any push may have been dropped:
          // push again later (the server skips what it had accepted).
          run.stats.rateLimited++;
          for (const d of this.docList) {
            if (d.inflight) {
              d.inflight = null;
              this.schedulePush(d, 100);
            }
          }
          return;
        }
        if (msg.code === 'conflict') {
          // Too far behind (PROTOCOL: pull from the synced version, then push again). The push
          // may already count as done (its own updates came back in a catch-up that crossed
          // it), so catch up every document rather than only the one still in flight; its
          // refused updates are still pending in the collab state and go out again.
          run.stats.conflicts = (run.stats.conflicts ?? 0) + 1;
          for (const d of this.docList) {
            if (d.inflight && d.inflight.id === msg.ref) d.inflight = null;
            if (!d.state || !d.ready) continue;
            this.send(this.conn, { type: 'notes.pull', doc: d.name, version: getSyncedVersion(d.state) });
            this.schedulePush(d, 10);
          }
          return;
        }
        return fail('server error', { client: this.tag, msg });
      case 'presence':
      case 'cursor':
      case 'notes.language':
      case 'question':
      case 'pong':
        return;
      default:
        return fail('unknown message type', { client: this.tag, msg });
    }
  }

  // ---- pushing ----

  schedulePush(d, delay) {
    if (d.pushTimer || !d.writable) return;
    const ms = delay ?? (this.rng.chance(0.5) ? 0 : this.rng.int(4) * opts.pace);
    d.pushTimer = setTimeout(() => {
      d.pushTimer = null;
      this.tryPush(d);
    }, ms);
  }

  tryPush(d) {
    const conn = this.conn;
    if (!conn || !conn.joined || !d.ready || d.inflight || !d.state || run.aborted) return;
    if (sendableUpdates(d.state).length === 0) return;
    const wait = conn.bucket.wait();
    if (wait > 0) return this.schedulePush(d, wait);
    this.sendPush(conn, d);
  }

  sendPush(conn, d) {
    const pending = sendableUpdates(d.state);
    const updates = [];
    let bytes = 200;
    for (const u of pending) {
      if (updates.length >= 100) break;
      const json = { clientID: u.clientID, changes: u.changes.toJSON() };
      const size = Buffer.byteLength(JSON.stringify(json));
      if (updates.length && bytes + size > 40_000) break;
      updates.push(json);
      bytes += size;
    }
    const id = ++this.pushSeq;
    const msg = { type: 'notes.push', id, doc: d.name, version: getSyncedVersion(d.state), updates };
    const dropAfter = !run.stopEditing && this.rng.chance(0.01);
    if (!this.send(conn, msg, dropAfter ? () => {
      // Written to the kernel; the server may or may not have read it yet.
      if (this.conn === conn) {
        run.stats.droppedRightAfterPush++;
        this.drop('right after a push', true);
      }
    } : undefined)) return;
    d.inflight = { id, remaining: updates.length };
    run.stats.pushes++;
    run.stats.updatesPushed += updates.length;
    if (updates.length === 100) run.stats.fullPushes++;
    run.stats.updatesResent += Math.min(updates.length, d.sentAhead);
    d.sentAhead = Math.max(d.sentAhead, updates.length);
    if (!run.stopEditing && !dropAfter && !conn.loseConfirm && this.rng.chance(0.03)) conn.loseConfirm = d.name;
  }

  // ---- actions ----

  async loop() {
    const editor = this.docList.some((d) => d.writable);
    while (!run.stopEditing && !run.aborted) {
      const r0 = this.rng.next();
      const ms = r0 < 0.6 ? 0 : r0 < 0.95 ? 1 + this.rng.int(3) : 5 + this.rng.int(20);
      // The observer only disconnects, holds and pulls: it acts at a steady few ms whatever the
      // pace, so that it does not reconnect in a tight loop.
      if (editor) await pace(ms);
      else await new Promise((resolve) => setTimeout(resolve, 2 + ms));
      if (run.edits >= opts.edits || run.aborted) break;
      if (editor && !this.editableDocs().length) continue; // waiting for confirmations
      const r = this.rng.next();
      if (r < 0.012) {
        // Mostly joined sockets; sometimes one that has sent hello but not had its welcome yet.
        if (this.conn && (this.conn.joined || this.rng.chance(0.1))) this.drop('random', this.rng.chance(0.7));
      } else if (r < 0.04) {
        run.stats.holds++;
        this.holdUntil = performance.now() + (this.rng.chance(0.8) ? this.rng.int(10) : 20 + this.rng.int(80)) * opts.pace;
      } else if (r < 0.045) {
        this.pull();
      } else if (editor) {
        this.edit();
      }
    }
  }

  pull() {
    const d = this.rng.pick(this.docList);
    if (!this.conn || !this.conn.joined || !d.state || !d.ready) return;
    // From a little behind: the answer overlaps what we hold and must be skipped.
    const version = Math.max(0, getSyncedVersion(d.state) - this.rng.int(3));
    if (this.send(this.conn, { type: 'notes.pull', doc: d.name, version })) run.stats.pulls++;
  }

  makeInsert(docName) {
    const token = `${OPEN}${docName === 'private' ? 'P' : 'S'}~${this.tag}~${++this.tokenSeq}${CLOSE}`;
    let before = '';
    let after = '';
    if (this.rng.chance(0.03)) {
      // A paste: several lines.
      const n = 10 + this.rng.int(60);
      for (let i = 0; i < n; i++) (i < n / 2 ? (s) => (before += s) : (s) => (after += s))(this.rng.chance(0.15) ? '\n' : this.rng.pick(FILLER));
    } else {
      for (let i = this.rng.int(4); i > 0; i--) before += this.rng.pick(FILLER);
      for (let i = this.rng.int(3); i > 0; i--) after += this.rng.pick(FILLER);
    }
    return { text: before + token + after, token };
  }

  /** One random change on `doc` (a Text), or null; positions are safe cut points. */
  makeChange(docName, doc) {
    const len = doc.length;
    if (len > 0 && this.rng.chance(0.003)) {
      // Select all, then delete or paste over it: the document becomes empty (or nearly).
      return { from: 0, to: len, kind: this.rng.chance(0.5) ? 'delete' : 'replace' };
    }
    const big = len > opts.maxLen;
    const small = len < 40;
    const rp = this.rng.next();
    const from = safePos(doc, rp < 0.1 ? 0 : rp < 0.2 ? len : this.rng.int(len + 1));
    const rk = this.rng.next();
    let kind = big
      ? rk < 0.6 ? 'delete' : rk < 0.85 ? 'replace' : 'insert'
      : small
        ? rk < 0.8 ? 'insert' : rk < 0.9 ? 'replace' : 'delete'
        : rk < 0.45 ? 'insert' : rk < 0.75 ? 'delete' : 'replace';
    let to = from;
    if (kind !== 'insert') {
      const span = big ? 1 + this.rng.int(Math.min(600, len >> 2)) : 1 + this.rng.int(this.rng.chance(0.8) ? 8 : 60);
      to = safePos(doc, Math.min(len, from + span));
      if (to <= from) {
        // Probably inside a token: take the whole token (or more) instead.
        to = safePos(doc, Math.min(len, from + MAX_TOKEN_UNITS));
        if (to <= from) to = len;
      }
      if (to <= from) kind = 'insert';
    }
    if (kind === 'insert') return { from, to: from, kind };
    return { from, to, kind };
  }

  /**
   * The documents this client may edit now. A person does not type on for ever while nothing
   * gets confirmed: past --max-pending unconfirmed updates a document waits (this keeps the
   * server's rebases, and the run, short). Offline it may go 50 further, so that the resend
   * after a long absence needs more than one push of at most 100 updates.
   */
  editableDocs() {
    const cap = this.conn?.joined ? opts.maxPending : opts.maxPending + 50;
    return this.docList.filter((d) => d.writable && d.state && sendableUpdates(d.state).length < cap);
  }

  edit() {
    const docs = this.editableDocs();
    if (!docs.length) return;
    const d = this.rng.pick(docs);
    const doc = d.state.doc;
    const count = this.rng.chance(0.07) ? 2 + this.rng.int(2) : 1;
    const picked = [];
    for (let i = 0; i < count; i++) {
      const c = this.makeChange(d.name, doc);
      if (picked.some((p) => c.from < p.to && p.from < c.to)) continue; // overlapping
      if (picked.some((p) => c.from === p.from && c.to === p.to)) continue;
      picked.push(c);
    }
    picked.sort((a, b) => a.from - b.from || a.to - b.to);
    const specs = [];
    const newTokens = [];
    for (const c of picked) {
      const spec = { from: c.from, to: c.to };
      if (c.to > c.from) {
        const removed = doc.sliceString(c.from, c.to);
        const whole = tokensIn(removed);
        const opens = removed.split(OPEN).length - 1;
        const closes = removed.split(CLOSE).length - 1;
        if (opens !== whole.length || closes !== whole.length) {
          return fail('fuzz bug: a deletion would cut a token', { client: this.tag, doc: d.name, removed });
        }
        if (isLow(removed.charCodeAt(0)) || isHigh(removed.charCodeAt(removed.length - 1))) {
          return fail('fuzz bug: a deletion would cut a surrogate pair', { client: this.tag, doc: d.name, removed });
        }
        for (const t of whole) run.deleted[d.name].add(t);
        run.stats.tokensDeleted += whole.length;
      }
      if (c.kind !== 'delete') {
        const ins = this.makeInsert(d.name);
        spec.insert = ins.text;
        newTokens.push(ins.token);
      }
      run.stats[c.kind === 'insert' ? 'inserts' : c.kind === 'delete' ? 'deletes' : 'replacements']++;
      specs.push(spec);
    }
    if (!specs.length) return;
    d.state = d.state.update({ changes: specs }).state;
    for (const t of newTokens) run.inserted[d.name].set(t, this.tag);
    run.edits++;
    run.stats.changes += specs.length;
    if (specs.length > 1) run.stats.multiChange++;
    this.schedulePush(d);
  }

  /** Settled: connected, caught up, nothing pending or in flight. */
  settled() {
    const conn = this.conn;
    if (!conn || !conn.joined || conn.queue.length) return false;
    return this.docList.every((d) => d.state && d.ready && !d.inflight && sendableUpdates(d.state).length === 0);
  }

  status() {
    return {
      client: this.tag,
      connected: !!this.conn,
      joined: !!this.conn?.joined,
      queued: this.conn?.queue.length ?? 0,
      docs: Object.fromEntries(
        this.docList.map((d) => [
          d.name,
          d.state
            ? { version: getSyncedVersion(d.state), pending: sendableUpdates(d.state).length, inflight: d.inflight, ready: d.ready, length: d.state.doc.length }
            : null,
        ]),
      ),
    };
  }

  closeForGood() {
    clearTimeout(this.reconnectTimer);
    for (const d of this.docList) clearTimeout(d.pushTimer);
    const conn = this.conn;
    this.conn = null;
    if (conn) conn.ws.close(1000);
  }
}

// ---------------------------------------------------------------------------------------------
// A fresh participant's view: the server's snapshot of every document its role may read.

async function fetchSnapshots(token, role, clientId, deadlineMs) {
  const ws = new WebSocket(run.wsUrl, { perMessageDeflate: false });
  const frames = [];
  const snaps = {};
  const want = role === 'interviewer' ? ['shared', 'private'] : ['shared'];
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no snapshots for the fresh ${role} within ${deadlineMs} ms`)), deadlineMs);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', room: run.room, token, name: `Final ${role}`, client: clientId })));
      ws.on('message', (data) => {
        const raw = data.toString('utf8');
        frames.push(raw);
        const msg = JSON.parse(raw);
        if (msg.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`fresh ${role} got an error: ${raw}`));
        }
        if (msg.type === 'notes.snapshot') snaps[msg.doc] = { version: msg.version, text: msg.text };
        if (want.every((d) => snaps[d])) {
          clearTimeout(timer);
          resolve();
        }
      });
      ws.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  } finally {
    ws.close(1000);
  }
  return { snaps, frames };
}

async function waitUntil(cond, deadlineMs, step = 10) {
  const end = performance.now() + deadlineMs;
  while (performance.now() < end) {
    if (cond()) return true;
    if (run.aborted) return false;
    await new Promise((r) => setTimeout(r, step));
  }
  return cond();
}

// ---------------------------------------------------------------------------------------------
// Main

function summaryLine(extra = {}) {
  const s = run.stats;
  return {
    seed: opts.seed,
    clients: opts.clients,
    edits: run.edits,
    changes: s.changes,
    inserts: s.inserts,
    deletes: s.deletes,
    replacements: s.replacements,
    multiChangeEdits: s.multiChange,
    tokensInserted: run.inserted.shared.size + run.inserted.private.size,
    tokensDeleted: run.deleted.shared.size + run.deleted.private.size,
    pushes: s.pushes,
    updatesPushed: s.updatesPushed,
    updatesResent: s.updatesResent,
    pipelinedResends: s.pipelinedResends,
    pushesOf100Updates: s.fullPushes,
    resentAlreadyAccepted: s.resentAlreadyAccepted,
    confirmations: s.confirmations,
    foreignUpdatesApplied: s.foreignUpdates,
    disconnects: s.disconnects,
    abruptDisconnects: s.abruptDisconnects,
    cleanDisconnects: s.cleanDisconnects,
    lostConfirmations: s.lostConfirmations,
    droppedRightAfterPush: s.droppedRightAfterPush,
    reconnects: s.reconnects,
    holds: s.holds,
    pulls: s.pulls,
    gaps: s.gaps,
    rateLimited: s.rateLimited,
    equivalentJsonDiffers: s.equivalentJsonDiffers,
    framesIn: s.framesIn,
    framesOut: s.framesOut,
    maxWelcomeMs: s.maxWelcomeMs,
    elapsedMs: Math.round(performance.now() - run.started),
    ...extra,
  };
}

async function main() {
  const server = await startServer();
  let serverCrashed = false;
  const watchdog = setInterval(() => {
    if (!server.alive() && !serverCrashed) {
      serverCrashed = true;
      fail('the server exited during the run', { stderr: server.stderr().slice(-4000) });
    }
  }, 200);
  let progressTimer = null;
  const final = {};
  try {
    const res = await fetch(`${server.url}/api/rooms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ bank: 'python-developer', title: `fuzz ${opts.seed}` }),
    });
    if (res.status !== 201) throw new Error(`POST /api/rooms: ${res.status} ${await res.text()}`);
    const room = await res.json();
    run.room = room.room;
    run.wsUrl = `${server.url.replace(/^http/, 'ws')}/ws`;

    for (let i = 0; i < opts.clients; i++) {
      const role = i === 1 ? 'candidate' : 'interviewer';
      run.clients.push(new Client(i, role, room.tokens[role]));
    }
    run.clients.push(new Client(opts.clients, 'observer', room.tokens.observer));
    for (const c of run.clients) for (const d of c.docList) readerCount[d.name]++;
    for (const c of run.clients) c.connect();

    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    if (opts.progress > 0) {
      progressTimer = setInterval(() => {
        const lens = Object.fromEntries(['shared', 'private'].map((n) => [n, run.clients[0].docs[n]?.state?.doc.length]));
        console.log(
          `progress: ${run.edits} edits, ${run.stats.pushes} pushes, ${run.stats.disconnects} disconnects, ` +
            `${run.stats.lostConfirmations} lost confirmations, lengths ${JSON.stringify(lens)}, ` +
            `${Math.round((performance.now() - run.started) / 1000)} s`,
        );
        if (process.env.FUZZ_DEBUG) {
          for (const c of run.clients) console.log(`  ${JSON.stringify(c.status())}`);
          console.log(`  loop delay max ${Math.round(loopDelay.max / 1e6)} ms mean ${Math.round(loopDelay.mean / 1e6)} ms, cpu ${JSON.stringify(process.cpuUsage())}`);
          loopDelay.reset();
        }
      }, opts.progress * 1000);
    }

    // Editing phase, watched for progress.
    const loops = run.clients.map((c) => c.loop());
    let lastEdits = -1;
    let lastChange = performance.now();
    while (!run.aborted && run.edits < opts.edits) {
      await new Promise((r) => setTimeout(r, 100));
      if (run.edits !== lastEdits) {
        lastEdits = run.edits;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > 30_000) {
        fail('no edit for 30 s', { status: run.clients.map((c) => c.status()) });
      }
    }
    run.stopEditing = true;
    await Promise.all(loops);
    const editPhaseMs = Math.round(performance.now() - run.started);

    // Quiesce: everyone back online, nothing held back, until all are settled on one version.
    if (!run.aborted) {
      for (const c of run.clients) {
        c.holdUntil = 0;
        if (c.conn) c.pump(c.conn);
      }
      const settled = await waitUntil(() => {
        if (!run.clients.every((c) => c.settled())) return false;
        for (const name of ['shared', 'private']) {
          const versions = new Set(run.clients.filter((c) => c.docs[name]).map((c) => getSyncedVersion(c.docs[name].state)));
          if (versions.size !== 1) return false;
        }
        return true;
      }, 60_000);
      if (!settled && !run.aborted) fail('did not settle within 60 s', { status: run.clients.map((c) => c.status()) });
    }
    const settleMs = Math.round(performance.now() - run.started) - editPhaseMs;

    // The server's texts, through fresh participants.
    if (!run.aborted) {
      run.finishing = true;
      const interviewer = await fetchSnapshots(room.tokens.interviewer, 'interviewer', 'fz-final-interviewer', 10_000);
      const observer = await fetchSnapshots(room.tokens.observer, 'observer', 'fz-final-observer', 10_000);
      for (const raw of observer.frames) {
        if (raw.includes('"private"') || PRIVATE_CORE_RE.test(raw)) fail('a fresh observer received private notes', { frame: raw.slice(0, 2000) });
      }
      if (observer.snaps.shared.text !== interviewer.snaps.shared.text) {
        fail('observer and interviewer snapshots differ', { doc: 'shared', ...firstDifference(interviewer.snaps.shared.text, observer.snaps.shared.text) });
      }
      for (const name of ['shared', 'private']) {
        const snap = interviewer.snaps[name];
        final[name] = { version: snap.version, length: snap.length ?? snap.text.length, tokens: 0 };
        for (const c of run.clients) {
          const d = c.docs[name];
          if (!d) continue;
          const text = d.state.doc.toString();
          if (text !== snap.text) {
            fail('divergence: client text differs from the server snapshot', {
              doc: name, client: c.tag, serverVersion: snap.version, clientVersion: getSyncedVersion(d.state),
              ...firstDifference(snap.text, text),
            });
          }
          if (getSyncedVersion(d.state) !== snap.version) {
            fail('client version differs from the server', { doc: name, client: c.tag, server: snap.version, client_: getSyncedVersion(d.state) });
          }
          if (sendableUpdates(d.state).length) fail('client still has pending updates', { doc: name, client: c.tag });
        }
        // Tokens: each inserted and not deleted exactly once; deleted ones never; nothing else.
        const counts = new Map();
        for (const t of tokensIn(snap.text)) counts.set(t, (counts.get(t) ?? 0) + 1);
        final[name].tokens = counts.size;
        const missing = [];
        const duplicated = [];
        const resurrected = [];
        const unknown = [];
        for (const [t, by] of run.inserted[name]) {
          const n = counts.get(t) ?? 0;
          if (run.deleted[name].has(t)) {
            if (n) resurrected.push(t);
          } else if (n === 0) missing.push(`${t} by ${by}`);
          else if (n > 1) duplicated.push(`${t} x${n}`);
        }
        for (const t of counts.keys()) if (!run.inserted[name].has(t)) unknown.push(t);
        if (name === 'shared' && [...counts.keys()].some((t) => t.startsWith(`${OPEN}P`))) fail('a private token in the shared notes', {});
        if (missing.length || duplicated.length || resurrected.length || unknown.length) {
          fail('token check failed', {
            doc: name,
            missing: missing.slice(0, 20),
            missingCount: missing.length,
            duplicated: duplicated.slice(0, 20),
            duplicatedCount: duplicated.length,
            resurrected: resurrected.slice(0, 20),
            unknown: unknown.slice(0, 20),
          });
        }
      }
    }
    const summary = summaryLine({
      editPhaseMs,
      settleMs,
      final: Object.fromEntries(Object.entries(final).map(([k, v]) => [k, { version: v.version, length: v.length, tokens: v.tokens }])),
    });
    for (const c of run.clients) c.closeForGood();
    run.clients = [];
    clearInterval(progressTimer);
    clearInterval(watchdog);
    try {
      await server.stop();
    } catch (e) {
      fail('server did not shut down cleanly', { error: String(e.message).slice(0, 4000) });
    }
    report(summary);
  } catch (e) {
    clearInterval(progressTimer);
    clearInterval(watchdog);
    for (const c of run.clients) c.closeForGood();
    await server.stop().catch(() => {});
    fail('exception', { error: String(e?.stack ?? e) });
    report(summaryLine());
  }
}

function report(summary) {
  console.log(`convergence: ${JSON.stringify(summary)}`);
  if (!run.failures.length) {
    console.log(
      `convergence: OK: ${summary.edits} edits by ${opts.clients} clients (seed ${opts.seed}): ` +
        `${summary.pushes} pushes, ${summary.disconnects} disconnects, ${summary.lostConfirmations} lost confirmations, ` +
        `final lengths shared ${summary.final?.shared?.length} / private ${summary.final?.private?.length}, ` +
        `${(summary.elapsedMs / 1000).toFixed(1)} s`,
    );
    process.exit(0);
  }
  console.error(`convergence: FAILED with seed ${opts.seed} (rerun: node tests/fuzz/convergence.mjs --edits ${opts.edits} --clients ${opts.clients} --seed ${opts.seed})`);
  for (const f of run.failures) console.error(JSON.stringify(f, null, 1));
  if (opts.trace) {
    writeFileSync(opts.trace, JSON.stringify({ seed: opts.seed, failures: run.failures, log: run.serverLog }));
    console.error(`convergence: trace written to ${opts.trace}`);
  }
  process.exit(1);
}

main();
