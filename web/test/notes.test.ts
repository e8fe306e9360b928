// The notes sync core (web/src/notes.ts) with the real @codemirror/state and @codemirror/collab:
// simulated clients and a small reference server (the "central authority" of
// @codemirror/collab, written here from PROTOCOL.md) exchanging messages in adversarial orders.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChangeSet, EditorSelection, EditorState, Text, type TransactionSpec } from '@codemirror/state';
import * as collabModule from '@codemirror/collab';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DocSync,
  Throttle,
  colourFor,
  CURSOR_COLOURS,
  normalizeInsertedText,
  remoteCursorsField,
  type Clock,
  type DocHost,
} from '../src/notes';
import {
  notesPush,
  parseServerMessage,
  type ChangeSetJSON,
  type ClientMessage,
  type CursorRange,
  type ErrorMessage,
  type NotesDoc,
  type NotesUpdateJSON,
  type ServerMessage,
} from '../src/protocol';

// Every call of receiveUpdates is recorded: the client must pass one update per call.
const receiveCalls = vi.hoisted(() => [] as number[]);
vi.mock('@codemirror/collab', async (importOriginal) => {
  const real = await importOriginal<typeof import('@codemirror/collab')>();
  return {
    ...real,
    receiveUpdates: (state: EditorState, updates: readonly collabModule.Update[]) => {
      receiveCalls.push(updates.length);
      return real.receiveUpdates(state, updates);
    },
  };
});

const { getSyncedVersion, sendableUpdates, collab } = collabModule;

const EXAMPLES = fileURLToPath(new URL('../../shared/protocol/examples/', import.meta.url));
const example = (name: string): string => readFileSync(path.join(EXAMPLES, name), 'utf8');

// ---------------------------------------------------------------------------------------------
// The reference server: one document, its text and its log of accepted updates.

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isHigh(c) && isLow(s.charCodeAt(i + 1))) i++;
    else if (isHigh(c) || isLow(c)) return true;
  }
  return false;
}

interface Logged {
  clientID: string;
  changes: ChangeSet;
}

class RefServer {
  doc: Text;
  readonly log: Logged[] = [];
  readonly online = new Set<Client>();
  /** every push the server has seen, for assertions */
  readonly pushes: { version: number; updates: NotesUpdateJSON[] }[] = [];

  constructor(initial = '', readonly docName: NotesDoc = 'shared') {
    this.doc = Text.of(initial.split('\n'));
    this.initial = this.doc;
  }

  get version(): number {
    return this.log.length;
  }

  private readonly initial: Text;

  /** The text at a past version. */
  textAt(version: number): string {
    let doc = this.initial;
    for (const u of this.log.slice(0, version)) doc = u.changes.apply(doc);
    return doc.toString();
  }

  join(client: Client, held: number | undefined): void {
    this.online.add(client);
    if (held === undefined || held > this.version) {
      client.inbox.push({ type: 'notes.snapshot', doc: this.docName, version: this.version, text: this.doc.toString() });
    } else {
      client.inbox.push(this.updatesFrom(held));
    }
  }

  leave(client: Client): void {
    this.online.delete(client);
    for (const other of this.online) {
      other.inbox.push({ type: 'cursor', doc: this.docName, version: this.version, participant: client.participant, ranges: [] });
    }
  }

  private updatesFrom(version: number): ServerMessage {
    return {
      type: 'notes.updates',
      doc: this.docName,
      from: version,
      updates: this.log.slice(version).map((u) => ({ clientID: u.clientID, changes: u.changes.toJSON() as ChangeSetJSON })),
    };
  }

  private error(client: Client, code: string, ref: number | string | undefined): void {
    client.inbox.push({ type: 'error', code, message: code, ...(ref === undefined ? {} : { ref }) });
  }

  receive(client: Client, msg: ClientMessage): void {
    switch (msg.type) {
      case 'notes.push':
        this.push(client, msg.version, msg.updates, msg.id);
        break;
      case 'notes.pull':
        client.inbox.push(msg.version > this.version
          ? { type: 'notes.snapshot', doc: this.docName, version: this.version, text: this.doc.toString() }
          : this.updatesFrom(msg.version));
        break;
      case 'cursor': {
        if (msg.version > this.version) return;
        const mapPos = (p: number): number => {
          for (const u of this.log.slice(msg.version)) p = u.changes.mapPos(p, 1);
          return p;
        };
        const ranges = msg.ranges.map(([a, h]) => [mapPos(a), mapPos(h)] as CursorRange);
        for (const other of this.online) {
          if (other !== client) {
            other.inbox.push({ type: 'cursor', doc: this.docName, version: this.version, participant: client.participant, ranges });
          }
        }
        break;
      }
      default:
        break;
    }
  }

  /**
   * The authority's push: rebase over the updates accepted since `version` ONE UPDATE AT A
   * TIME (never composing them first), skipping the pusher's own already-accepted prefix.
   */
  private push(client: Client, version: number, updates: NotesUpdateJSON[], id: string | number | undefined): void {
    this.pushes.push({ version, updates });
    if (version > this.version) return this.error(client, 'conflict', id);
    if (updates.length > 100) return this.error(client, 'too_large', id);
    let ops: Logged[];
    try {
      ops = updates.map((u) => ({ clientID: u.clientID, changes: ChangeSet.fromJSON(u.changes) }));
    } catch {
      return this.error(client, 'bad_request', id);
    }
    if (ops.some((u) => u.clientID !== client.clientID)) return this.error(client, 'forbidden', id);
    for (const u of updates) {
      for (const part of u.changes) {
        if (Array.isArray(part) && part.slice(1).some((s) => typeof s === 'string' && (s.includes('\r') || hasLoneSurrogate(s)))) {
          return this.error(client, 'bad_request', id);
        }
      }
    }
    for (const accepted of this.log.slice(version)) {
      if (ops.length > 0 && accepted.clientID === ops[0]!.clientID) {
        // Already accepted (a resend): the same update, rebased the same way. What follows
        // is already based on it.
        ops = ops.slice(1);
        continue;
      }
      let other = accepted.changes;
      ops = ops.map((u) => {
        const mapped = u.changes.map(other);
        other = other.map(u.changes, true);
        return { clientID: u.clientID, changes: mapped };
      });
    }
    // All or nothing.
    let doc = this.doc;
    for (const u of ops) {
      if (u.changes.length !== doc.length) return this.error(client, 'bad_request', id);
      doc = u.changes.apply(doc);
    }
    if (ops.length === 0) return;
    const from = this.version;
    this.doc = doc;
    this.log.push(...ops);
    const msg: ServerMessage = {
      type: 'notes.updates',
      doc: this.docName,
      from,
      updates: ops.map((u) => ({ clientID: u.clientID, changes: u.changes.toJSON() as ChangeSetJSON })),
    };
    for (const c of this.online) c.inbox.push(JSON.parse(JSON.stringify(msg)) as ServerMessage);
  }
}

// ---------------------------------------------------------------------------------------------
// A simulated browser tab: a DocSync over a plain EditorState, with its two message queues.

class Client {
  state: EditorState | null = null;
  readonly sync: DocSync;
  /** sent by the client, not yet read by the server */
  outbox: ClientMessage[] = [];
  /** sent by the server, not yet read by the client */
  inbox: ServerMessage[] = [];
  /** everything delivered so far (for duplicate delivery) */
  readonly delivered: ServerMessage[] = [];
  readonly notices: string[] = [];
  readonly unhandledErrors: ErrorMessage[] = [];
  online = false;
  rejoinRequested = false;
  private nextId = 1;

  constructor(
    readonly server: RefServer,
    readonly clientID: string,
    readonly participant: string,
    clock?: Clock,
  ) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    const host: DocHost = {
      get state() {
        return self.state;
      },
      dispatch(tr) {
        expect(tr.startState).toBe(self.state);
        self.state = tr.state;
      },
      replace(state) {
        self.state = state;
      },
    };
    this.sync = new DocSync({
      doc: server.docName,
      clientID,
      host,
      link: {
        send: (msg) => {
          if (!this.online) return false;
          this.outbox.push(JSON.parse(JSON.stringify(msg)) as ClientMessage);
          return true;
        },
        nextId: () => this.nextId++,
        rejoin: () => {
          this.rejoinRequested = true;
        },
        notify: (text) => this.notices.push(text),
      },
      retryDelayMs: 10,
      extensions: () => EditorState.allowMultipleSelections.of(true),
      ...(clock ? { clock } : {}),
    });
  }

  connect(): void {
    this.online = true;
    this.rejoinRequested = false;
    this.sync.connected(); // the welcome
    this.server.join(this, this.sync.heldVersion());
  }

  disconnect(): void {
    this.online = false;
    this.inbox = [];
    this.outbox = [];
    this.sync.disconnected();
    this.server.leave(this);
  }

  reconnect(): void {
    this.disconnect();
    this.connect();
  }

  edit(spec: TransactionSpec): void {
    this.state = this.state!.update(spec).state;
    this.sync.flush();
  }

  insert(pos: number, text: string): void {
    this.edit({ changes: { from: pos, insert: text } });
  }

  remove(from: number, to: number): void {
    this.edit({ changes: { from, to } });
  }

  get text(): string {
    return this.state!.doc.toString();
  }

  get version(): number {
    return getSyncedVersion(this.state!);
  }

  get pending(): number {
    return sendableUpdates(this.state!).length;
  }

  /**
   * The editor's document is the server's text at the synced version (DocSync's `confirmed`)
   * with the unconfirmed updates applied, and that text is what the server had at that version.
   */
  checkInvariant(): void {
    if (!this.state) return;
    const confirmed = (this.sync as unknown as { confirmed: Text }).confirmed;
    let doc = confirmed;
    for (const u of sendableUpdates(this.state)) {
      expect(u.changes.length, `${this.clientID}: unconfirmed update fits`).toBe(doc.length);
      doc = u.changes.apply(doc);
    }
    expect(doc.toString(), `${this.clientID}: confirmed + unconfirmed = editor`).toBe(this.text);
    expect(confirmed.toString(), `${this.clientID}: confirmed = server at v${this.version}`).toBe(this.server.textAt(this.version));
  }

  /** Delivers up to `n` messages from the server. */
  receive(n = Infinity): void {
    for (let i = 0; i < n && this.inbox.length > 0; i++) this.handle(this.inbox.shift()!);
  }

  handle(msg: ServerMessage): void {
    this.delivered.push(msg);
    switch (msg.type) {
      case 'notes.snapshot':
        this.sync.onSnapshot(msg);
        break;
      case 'notes.updates':
        this.sync.onUpdates(msg);
        break;
      case 'cursor':
        this.sync.onCursor(msg);
        break;
      case 'error':
        if (!this.sync.onError(msg)) this.unhandledErrors.push(msg);
        break;
      default:
        break;
    }
  }

  /** Delivers up to `n` of our messages to the server. */
  send(n = Infinity): void {
    for (let i = 0; i < n && this.outbox.length > 0; i++) this.server.receive(this, this.outbox.shift()!);
  }
}

/** Delivers everything everywhere (rejoining where asked) until nothing moves. */
function settle(server: RefServer, clients: Client[], trace?: string[]): void {
  for (let round = 0; round < 1000; round++) {
    let moved = false;
    for (const c of clients) {
      if (c.rejoinRequested) {
        trace?.push(`settle ${c.clientID} rejoin`);
        c.reconnect();
        moved = true;
      }
      if (c.outbox.length > 0) {
        trace?.push(`settle ${c.clientID} send ${JSON.stringify(c.outbox)}`);
        c.send();
        moved = true;
      }
      while (c.inbox.length > 0) {
        trace?.push(`settle ${c.clientID} receive ${JSON.stringify(c.inbox[0])}`);
        c.receive(1);
        if (c.state) trace?.push(`   -> ${JSON.stringify(c.text)} v${c.version} pending ${c.pending}`);
        if (trace) for (const x of clients) x.checkInvariant();
        moved = true;
      }
    }
    if (!moved) return;
  }
  throw new Error('the clients never settled');
}

function expectConverged(server: RefServer, clients: Client[]): void {
  for (const c of clients) {
    expect(c.text, `${c.clientID}'s text`).toBe(server.doc.toString());
    expect(c.version, `${c.clientID}'s version`).toBe(server.version);
    expect(c.pending, `${c.clientID}'s unconfirmed updates`).toBe(0);
  }
}

beforeEach(() => {
  receiveCalls.length = 0;
});

afterEach(() => {
  // Incoming updates always went to receiveUpdates one at a time.
  expect(receiveCalls.every((n) => n === 1), `receiveUpdates batch sizes: ${receiveCalls.join(',')}`).toBe(true);
});

// ---------------------------------------------------------------------------------------------

describe('the brief\'s case: "ab", A inserts X at 0 while B deletes "a" then inserts "2" at 0', () => {
  function setUp(): { server: RefServer; a: Client; b: Client } {
    const server = new RefServer('ab');
    const a = new Client(server, 'A', 'pA');
    const b = new Client(server, 'B', 'pB');
    a.connect();
    b.connect();
    settle(server, [a, b]);
    expect(a.text).toBe('ab');
    return { server, a, b };
  }

  it('everyone ends with "2Xb" when A\'s push arrives based on the old version', () => {
    const { server, a, b } = setUp();
    a.insert(0, 'X'); // push in flight, held in A's outbox
    expect(a.outbox).toHaveLength(1);
    b.remove(0, 1);
    b.send();
    b.receive();
    b.insert(0, '2');
    b.send();
    b.receive();
    expect(server.doc.toString()).toBe('2b');
    a.send(); // version 0: the server rebases it over both, one at a time
    expect(server.pushes.at(-1)!.version).toBe(0);
    expect(server.doc.toString()).toBe('2Xb');
    settle(server, [a, b]);
    expectConverged(server, [a, b]);
    expect(a.text).toBe('2Xb');
    expect(receiveCalls.length).toBeGreaterThan(0);
  });

  it('also when A gets B\'s updates and its own confirmation in one message after a reconnect', () => {
    const { server, a, b } = setUp();
    a.insert(0, 'X');
    b.remove(0, 1);
    b.send();
    b.receive();
    b.insert(0, '2');
    b.send();
    b.receive();
    a.send(); // accepted as version 3 ...
    a.disconnect(); // ... but A never hears of it: all three come back in one catch-up
    a.connect();
    expect(a.inbox).toHaveLength(1);
    expect(a.inbox[0]).toMatchObject({ type: 'notes.updates', from: 0 });
    settle(server, [a, b]);
    expectConverged(server, [a, b]);
    expect(a.text).toBe('2Xb');
    expect(server.version).toBe(3); // X was not applied twice
  });

  it('(control) batching those updates in one receiveUpdates call would disagree with the server', async () => {
    const real = await vi.importActual<typeof import('@codemirror/collab')>('@codemirror/collab');
    let s = EditorState.create({ doc: 'ab', extensions: real.collab({ clientID: 'A' }) });
    s = s.update({ changes: { from: 0, insert: 'X' } }).state;
    const del = ChangeSet.of({ from: 0, to: 1 }, 2);
    const two = ChangeSet.of({ from: 0, insert: '2' }, 1);
    const batched = real.receiveUpdates(s, [{ clientID: 'B', changes: del }, { clientID: 'B', changes: two }]).state;
    expect(batched.doc.toString()).not.toBe('2Xb');
  });
});

describe('convergence in adversarial orders', () => {
  it('delayed confirmations: several edits while a push is in flight go in the next push', () => {
    const server = new RefServer('');
    const a = new Client(server, 'A', 'pA');
    const b = new Client(server, 'B', 'pB');
    a.connect();
    b.connect();
    settle(server, [a, b]);
    a.insert(0, 'one ');
    expect(a.outbox).toHaveLength(1);
    a.insert(4, 'two ');
    a.insert(8, 'three');
    expect(a.outbox).toHaveLength(1); // at most one push in flight
    a.send();
    b.insert(0, 'B!');
    b.send();
    expect(a.outbox).toHaveLength(0);
    a.receive(1); // the confirmation of the first push: the rest goes now
    expect(a.outbox).toHaveLength(1);
    expect(a.outbox[0]).toMatchObject({ type: 'notes.push', version: 1 });
    expect((a.outbox[0] as { updates: unknown[] }).updates).toHaveLength(2);
    settle(server, [a, b]);
    expectConverged(server, [a, b]);
    // B's insertion at 0 was rebased over A's earlier accepted one: it comes after "one ".
    expect(a.text).toBe('one B!two three');
  });

  it('duplicate delivery is harmless', () => {
    const server = new RefServer('hello');
    const a = new Client(server, 'A', 'pA');
    const b = new Client(server, 'B', 'pB');
    a.connect();
    b.connect();
    settle(server, [a, b]);
    b.insert(5, ' world');
    b.send();
    const msg = a.inbox.at(-1)!;
    a.receive();
    a.handle(msg);
    a.handle(msg);
    b.receive();
    b.handle(msg); // its own confirmation twice
    a.insert(0, '>');
    a.handle(msg); // with unconfirmed local updates
    settle(server, [a, b]);
    expectConverged(server, [a, b]);
    expect(a.text).toBe('>hello world');
  });

  it('a reconnect resends unconfirmed updates; those the server had accepted are not applied twice', () => {
    const server = new RefServer('');
    const a = new Client(server, 'A', 'pA');
    const b = new Client(server, 'B', 'pB');
    a.connect();
    b.connect();
    settle(server, [a, b]);
    a.insert(0, 'abc');
    a.send(); // accepted, confirmation lost
    a.insert(3, 'def'); // pending, never sent
    b.insert(0, 'B');
    b.send();
    a.disconnect();
    a.insert(6, 'ghi'); // typed offline
    expect(a.sync.heldVersion()).toBe(0);
    a.connect(); // hello names version 0: updates from 0, no snapshot
    expect(a.inbox[0]).toMatchObject({ type: 'notes.updates', from: 0 });
    expect(a.outbox).toHaveLength(0); // waits for the catch-up before pushing
    settle(server, [a, b]);
    expectConverged(server, [a, b]);
    expect(server.doc.toString().match(/abc/g)).toHaveLength(1);
    // B's "B" at 0 was accepted after "abc" (also at 0); A's later "def" at 3 goes after "B".
    expect(a.text).toBe('abcBdefghi');
  });

  it('a reconnect whose earlier push the server reads only later still converges', () => {
    const server = new RefServer('x');
    const a = new Client(server, 'A', 'pA');
    const b = new Client(server, 'B', 'pB');
    a.connect();
    b.connect();
    settle(server, [a, b]);
    a.insert(1, '1');
    const lost = a.outbox.splice(0); // the old socket's push, still on its way
    a.disconnect();
    a.insert(2, '2');
    a.connect();
    a.receive(); // catch-up: nothing new
    expect(a.outbox).toHaveLength(1); // resend of both
    for (const m of lost) server.receive(a, m); // the old push arrives after all
    settle(server, [a, b]);
    expectConverged(server, [a, b]);
    expect(a.text).toBe('x12');
  });

  it('a gap in the updates is filled with a pull', () => {
    const server = new RefServer('');
    const a = new Client(server, 'A', 'pA');
    const b = new Client(server, 'B', 'pB');
    a.connect();
    b.connect();
    settle(server, [a, b]);
    b.insert(0, 'one');
    b.send();
    b.insert(3, 'two');
    b.receive();
    b.send();
    a.inbox.shift(); // lost
    a.receive(); // from 1 > 0
    expect(a.outbox).toEqual([{ type: 'notes.pull', doc: 'shared', version: 0 }]);
    settle(server, [a, b]);
    expectConverged(server, [a, b]);
  });

  it('a randomized mix of edits, delays, duplicates and reconnects converges', () => {
    const alphabet = ['a', 'b', 'é', '😀', '\n', ' ', 'xyz', '\r\n', 'Ω\n😀'];
    for (let seed = 1; seed <= 60; seed++) {
      const rand = mulberry32(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
      const server = new RefServer('start\n');
      const clients = [0, 1, 2].map((i) => new Client(server, `c${i}`, `p${i}`));
      for (const c of clients) c.connect();
      const trace: string[] = [];
      try {
      for (let step = 0; step < 120; step++) {
        const c = pick(clients);
        const r = rand();
        const who = `${step} ${c.clientID}`;
        if (c.state && r < 0.4) {
          const doc = c.state.doc;
          const pos = boundary(doc, Math.floor(rand() * (doc.length + 1)));
          if (rand() < 0.7 || doc.length === 0) {
            const text = pick(alphabet);
            trace.push(`${who} insert ${pos} ${JSON.stringify(text)}`);
            c.insert(pos, text);
          } else {
            const to = boundary(doc, Math.min(doc.length, pos + 1 + Math.floor(rand() * 3)));
            trace.push(`${who} delete ${pos}-${to}`);
            c.remove(pos, to);
          }
        } else if (r < 0.6) {
          const n = 1 + Math.floor(rand() * 2);
          trace.push(`${who} send ${JSON.stringify(c.outbox.slice(0, n))}`);
          c.send(n);
        } else if (r < 0.8) {
          const n = 1 + Math.floor(rand() * 2);
          trace.push(`${who} receive ${JSON.stringify(c.inbox.slice(0, n))}`);
          c.receive(n);
        } else if (r < 0.88) {
          // A message delivered twice (a snapshot is not repeated: a stale one that answers
          // a hello is, by the protocol, the server saying our version is unknown).
          const seen = c.delivered.filter((m) => m.type !== 'notes.snapshot');
          if (c.online && seen.length > 0) {
            const dup = pick(seen);
            trace.push(`${who} duplicate ${JSON.stringify(dup)}`);
            c.handle(dup);
          }
        } else if (r < 0.94) {
          if (rand() < 0.5) {
            trace.push(`${who} send all ${JSON.stringify(c.outbox)}`);
            c.send(); // the server got our pushes, we lose its answers
          }
          trace.push(`${who} ${c.online ? 'disconnect' : 'connect'}`);
          if (c.online) c.disconnect();
          else c.connect();
        } else if (!c.online) {
          trace.push(`${who} connect`);
          c.connect();
        }
        if (c.state) trace.push(`   -> ${JSON.stringify(c.text)} v${c.version} pending ${c.pending}; server ${JSON.stringify(server.doc.toString())} v${server.version}`);
        for (const x of clients) x.checkInvariant();
      }
      for (const c of clients) if (!c.online) c.connect();
      settle(server, clients, trace);
      expectConverged(server, clients);
      } catch (e) {
        throw new Error(`seed ${seed}: ${(e as Error).message}\n${trace.join('\n')}`);
      }
      for (const c of clients) {
        expect(c.notices, `seed ${seed}: no error reached the user`).toEqual([]);
        expect(c.unhandledErrors).toEqual([]);
      }
      expect(server.doc.toString()).not.toMatch(/\r/);
    }
  }, 30_000); // CPU-bound (~2.5 s alone): room for a busy machine
});

describe('two tabs with one client id (a duplicated tab shares sessionStorage)', () => {
  it('an update with our clientID that is not our pending one is not taken for its confirmation', () => {
    const server = new RefServer('abc');
    const one = new Client(server, 'C', 'p1');
    const two = new Client(server, 'C', 'p1');
    one.connect();
    two.connect();
    settle(server, [one, two]);
    one.insert(0, '1'); // in flight
    two.insert(3, '2');
    two.send();
    expect(() => one.receive()).not.toThrow();
    expect(one.rejoinRequested).toBe(true); // reloads instead of corrupting its state
    settle(server, [one, two]);
    expectConverged(server, [one, two]);
    expect(one.notices.length).toBeGreaterThan(0);
  });
});

describe('snapshots', () => {
  it('a fresh join gets a snapshot and becomes a collab state at its version', () => {
    const server = new RefServer('abc');
    const seed = new Client(server, 'S', 'pS');
    seed.connect();
    seed.receive();
    seed.insert(3, 'def');
    seed.send();
    const a = new Client(server, 'A', 'pA');
    expect(a.sync.heldVersion()).toBeUndefined();
    a.connect();
    expect(a.inbox[0]).toMatchObject({ type: 'notes.snapshot', version: 1, text: 'abcdef' });
    a.receive();
    expect(a.text).toBe('abcdef');
    expect(a.version).toBe(1);
    expect(a.sync.heldVersion()).toBe(1);
  });

  it('a snapshot answering nothing does not discard unconfirmed edits: the client pulls instead', () => {
    const server = new RefServer('abc');
    const a = new Client(server, 'A', 'pA');
    a.connect();
    a.receive();
    a.insert(0, 'mine ');
    a.outbox.length = 0; // the push is lost on the way
    a.handle({ type: 'notes.snapshot', doc: 'shared', version: 0, text: 'abc' }); // same state: kept
    expect(a.text).toBe('mine abc');
    a.handle({ type: 'notes.snapshot', doc: 'shared', version: 0, text: 'zzz' }); // unsolicited, different
    expect(a.text).toBe('mine abc');
    expect(a.outbox).toEqual([{ type: 'notes.pull', doc: 'shared', version: 0 }]);
    a.reconnect();
    settle(server, [a]);
    expectConverged(server, [a]);
    expect(a.text).toBe('mine abc');
    expect(a.notices).toEqual([]);
  });

  it('a snapshot answering a hello that named an unknown version replaces the doc and says so', () => {
    const server = new RefServer('server text');
    const a = new Client(server, 'A', 'pA');
    a.connect();
    a.receive();
    a.disconnect();
    // The server lost its history (e.g. it was replaced): our version 3 means nothing to it.
    a.state = EditorState.create({ doc: 'old', extensions: [collab({ startVersion: 3, clientID: 'A' })] });
    (a.sync as unknown as { confirmed: Text }).confirmed = Text.of(['old']);
    a.insert(0, 'unsent ');
    a.connect();
    expect(a.inbox[0]).toMatchObject({ type: 'notes.snapshot', version: 0 });
    settle(server, [a]);
    expectConverged(server, [a]);
    expect(a.text).toBe('server text');
    expect(a.notices.join()).toMatch(/1 unsent edit could not be kept/);
  });
});

describe('push errors', () => {
  function joined(text = 'abc'): { server: RefServer; a: Client } {
    const server = new RefServer(text);
    const a = new Client(server, 'A', 'pA');
    a.connect();
    a.receive();
    return { server, a };
  }

  it('conflict with an unknown version: pull from it, then replace from the snapshot', () => {
    const { server, a } = joined();
    // Our state is from elsewhere: version 3 of a document the server is at version 0 of.
    a.state = EditorState.create({ doc: 'abc', extensions: [collab({ startVersion: 3, clientID: 'A' })] });
    a.insert(0, 'x');
    a.send();
    expect(a.inbox[0]).toMatchObject({ type: 'error', code: 'conflict' });
    a.receive();
    expect(a.outbox).toEqual([{ type: 'notes.pull', doc: 'shared', version: 3 }]);
    settle(server, [a]);
    expectConverged(server, [a]);
    expect(a.text).toBe('abc');
    expect(a.notices.length).toBeGreaterThan(0);
  });

  it('conflict when too far behind: pull, rebase locally, push again, nothing lost', () => {
    const { server, a } = joined();
    a.insert(3, '!');
    const push = a.outbox.shift() as { id: number };
    // The server refused it (too far behind): the client catches up and pushes again.
    a.handle({ type: 'error', code: 'conflict', message: '10 versions behind', ref: push.id });
    expect(a.outbox).toEqual([{ type: 'notes.pull', doc: 'shared', version: 0 }]);
    settle(server, [a]);
    expectConverged(server, [a]);
    expect(a.text).toBe('abc!');
    expect(a.notices).toHaveLength(0);
  });

  it('too_large: drops the rejected updates and those after them, no loop', () => {
    const { server, a } = joined();
    a.insert(3, '!');
    const push = a.outbox.shift() as { id: number };
    a.insert(4, '?');
    a.handle({ type: 'error', code: 'too_large', message: 'too big', ref: push.id });
    expect(a.text).toBe('abc');
    expect(a.pending).toBe(0);
    expect(a.outbox).toHaveLength(0);
    expect(a.notices.join()).toMatch(/too big/);
    a.insert(3, 'd');
    settle(server, [a]);
    expectConverged(server, [a]);
    expect(a.text).toBe('abcd');
  });

  it('bad_request: drops the rejected updates and reloads from a snapshot; edits typed meanwhile survive', () => {
    const { server, a } = joined();
    a.insert(0, 'x');
    const push = a.outbox.shift() as { id: number };
    a.handle({ type: 'error', code: 'bad_request', message: 'length mismatch', ref: push.id });
    expect(a.text).toBe('abc');
    expect(a.rejoinRequested).toBe(true);
    a.insert(3, 'd'); // based on the confirmed state, which the snapshot turns out to be
    settle(server, [a]);
    expectConverged(server, [a]);
    expect(a.text).toBe('abcd');
  });

  it('rate_limited: retries a few times, then gives up', () => {
    vi.useFakeTimers();
    try {
      const { server, a } = joined();
      a.insert(0, 'x');
      for (let i = 0; i < 5; i++) {
        const push = a.outbox.shift() as { id: number };
        a.handle({ type: 'error', code: 'rate_limited', message: 'slow down', ref: push.id });
        expect(a.outbox).toHaveLength(0);
        vi.advanceTimersByTime(10 * (i + 1));
        expect(a.outbox).toHaveLength(1);
      }
      const push = a.outbox.shift() as { id: number };
      a.handle({ type: 'error', code: 'rate_limited', message: 'slow down', ref: push.id });
      vi.advanceTimersByTime(1000);
      expect(a.outbox).toHaveLength(0);
      expect(a.text).toBe('abc');
      settle(server, [a]);
      expectConverged(server, [a]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a push dropped unread by the rate limit (rate_limited without ref) is sent again', () => {
    vi.useFakeTimers();
    try {
      const { server, a } = joined();
      a.insert(0, 'x');
      a.outbox.length = 0; // dropped unread
      a.handle({ type: 'error', code: 'rate_limited', message: 'too many messages' });
      expect(a.unhandledErrors).toHaveLength(1); // not about a push: the room shows it
      a.sync.onMessageDropped();
      vi.advanceTimersByTime(1000);
      expect(a.outbox).toHaveLength(1);
      settle(server, [a]);
      expectConverged(server, [a]);
      expect(a.text).toBe('xabc');
    } finally {
      vi.useRealTimers();
    }
  });

  it('a needless resend after a dropped message is harmless (the server skips what it has)', () => {
    vi.useFakeTimers();
    try {
      const { server, a } = joined();
      a.insert(0, 'x');
      a.send(); // accepted; the confirmation is still on its way
      a.sync.onMessageDropped(); // some other message of ours was dropped
      a.insert(1, 'y');
      vi.advanceTimersByTime(1000);
      expect(a.outbox).toHaveLength(1); // x and y, based on version 0
      settle(server, [a]);
      expectConverged(server, [a]);
      expect(a.text).toBe('xyabc');
      expect(server.version).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('an error about something else is not taken for ours', () => {
    const { a } = joined();
    a.insert(0, 'x');
    expect(a.sync.onError({ type: 'error', code: 'bad_request', message: 'm', ref: 999 })).toBe(false);
    expect(a.sync.onError({ type: 'error', code: 'bad_request', message: 'm' })).toBe(false);
    expect(a.text).toBe('xabc');
  });

  it('a server that keeps asking for reloads cannot make the client rejoin forever', () => {
    const { server, a } = joined();
    let rejoins = 0;
    for (let i = 0; i < 10; i++) {
      a.insert(0, 'x');
      const push = a.outbox.shift() as { id: number } | undefined;
      if (!push) break;
      a.handle({ type: 'error', code: 'conflict', message: 'no', ref: push.id });
      if (a.rejoinRequested) rejoins++;
      settle(server, [a]);
    }
    expect(rejoins).toBeLessThanOrEqual(3);
  });
});

describe('text normalization', () => {
  function state(doc: string): EditorState {
    return EditorState.create({ doc, extensions: [collab({ clientID: 'A' }), normalizeInsertedText] });
  }
  const pushedJSON = (s: EditorState): string => JSON.stringify(sendableUpdates(s).map((u) => u.changes.toJSON()));

  it('CRLF and CR in inserted strings become LF', () => {
    const s = state('').update({ changes: { from: 0, insert: 'a\r\nb\rc\nd' } }).state;
    expect(s.doc.toString()).toBe('a\nb\nc\nd');
    expect(pushedJSON(s)).not.toMatch(/\\r/);
  });

  it('CR inside a hand-built Text (as DOM input could make) becomes LF', () => {
    const s = state('xy').update({ changes: { from: 1, insert: Text.of(['1\r\n2\r3', '4\r']) } }).state;
    expect(s.doc.toString()).toBe('x1\n2\n3\n4\ny');
    expect(pushedJSON(s)).not.toMatch(/\\r/);
    expect(s.selection.main.head).toBeLessThanOrEqual(s.doc.length);
  });

  it('a change cutting a surrogate pair is widened to whole pairs', () => {
    // Replacing 😀 (d83d de00) by 😃 (d83d de03) as a DOM diff would: only the low half.
    const s = state('a😀b').update({ changes: { from: 2, to: 3, insert: '\ude03' } }).state;
    expect(s.doc.toString()).toBe('a😃b');
    const json = sendableUpdates(s)[0]!.changes.toJSON();
    expect(json).toEqual([1, [2, '😃'], 1]);
  });

  it('lone surrogates become U+FFFD', () => {
    const s = state('ab').update({ changes: { from: 1, insert: 'x\ud83dy' } }).state;
    expect(s.doc.toString()).toBe('ax\ufffdyb');
  });

  it('ordinary typing is untouched', () => {
    const start = state('abc');
    const tr = start.update({ changes: { from: 1, insert: 'é😀\n' }, selection: { anchor: 5 } });
    expect(tr.state.doc.toString()).toBe('aé😀\nbc');
    expect(tr.state.selection.main.head).toBe(5);
  });
});

describe('cursors', () => {
  function pair(text = 'hello world'): { server: RefServer; a: Client; b: Client } {
    const server = new RefServer(text);
    const a = new Client(server, 'A', 'pA');
    const b = new Client(server, 'B', 'pB');
    a.connect();
    b.connect();
    settle(server, [a, b]);
    const names = new Map([['pA', 'Ada'], ['pB', 'Bob']]);
    a.sync.setParticipants(new Map([['pB', names.get('pB')!]]));
    b.sync.setParticipants(new Map([['pA', names.get('pA')!]]));
    return { server, a, b };
  }
  const cursorsOf = (c: Client) => c.state!.field(remoteCursorsField).cursors;

  it('our selection is sent relative to the synced version (unconfirmed text mapped out)', () => {
    const { a } = pair();
    a.insert(0, 'NEW ');
    a.outbox.length = 0;
    // "NEW hello world": the main caret after "wor", a second range from inside "NEW " to "he".
    a.edit({ selection: EditorSelection.create([EditorSelection.range(2, 6), EditorSelection.cursor(12)], 1) });
    expect(a.sync.cursorMessage()).toEqual({ type: 'cursor', doc: 'shared', version: 0, ranges: [[8, 8], [0, 2]] });
  });

  it('a remote cursor is drawn where its owner put it, and moves with later changes', () => {
    const { server, a, b } = pair();
    b.edit({ selection: { anchor: 6 } });
    server.receive(b, b.sync.cursorMessage()!);
    a.receive();
    expect(cursorsOf(a).get('pB')?.ranges).toEqual([{ anchor: 6, head: 6 }]);
    a.insert(0, '>> '); // local, unconfirmed
    expect(cursorsOf(a).get('pB')?.ranges).toEqual([{ anchor: 9, head: 9 }]);
    expect(a.state!.field(remoteCursorsField).names.get('pB')).toBe('Bob');
  });

  it('a caret stays before text we type at it, and follows text its owner types there', () => {
    const { server, a, b } = pair('abc');
    a.handle({ type: 'cursor', doc: 'shared', version: 0, participant: 'pB', ranges: [[1, 1]] });
    a.insert(1, 'mine'); // as in B's own editor, B's caret stays in front of our text
    expect(cursorsOf(a).get('pB')?.ranges).toEqual([{ anchor: 1, head: 1 }]);
    a.send();
    a.receive();
    b.receive();
    b.insert(1, 'B'); // B types at its caret: on our page the caret moves with it
    b.send();
    a.receive();
    expect(a.text).toBe('aBminebc');
    expect(cursorsOf(a).get('pB')?.ranges).toEqual([{ anchor: 2, head: 2 }]);
    expect(server.doc.toString()).toBe('aBminebc');
  });

  it('a cursor for an older version is mapped through the updates since, and through unconfirmed ones', () => {
    const { server, a, b } = pair('0123456789');
    b.insert(0, 'AB'); // B's own edit, version 1
    b.send();
    a.receive(); // a is at version 1
    a.insert(0, 'Z'); // unconfirmed
    a.handle({ type: 'cursor', doc: 'shared', version: 0, participant: 'pB', ranges: [[5, 5], [2, 4]] });
    expect(cursorsOf(a).get('pB')?.ranges).toEqual([{ anchor: 8, head: 8 }, { anchor: 5, head: 7 }]);
    expect(server.version).toBe(1);
  });

  it('a cursor for a version not reached yet waits for the updates', () => {
    const { server, a, b } = pair('abc');
    b.insert(3, 'def');
    b.send();
    b.receive();
    b.edit({ selection: { anchor: 6 } });
    server.receive(b, b.sync.cursorMessage()!);
    // The cursor (version 1) overtakes the update (version 0 -> 1).
    const update = a.inbox.shift()!;
    a.receive();
    expect(cursorsOf(a).has('pB')).toBe(false);
    a.handle(update);
    expect(cursorsOf(a).get('pB')?.ranges).toEqual([{ anchor: 6, head: 6 }]);
  });

  it('positions past the end are clamped', () => {
    const { a } = pair('abc');
    a.handle({ type: 'cursor', doc: 'shared', version: 0, participant: 'pB', ranges: [[99, 99]] });
    expect(cursorsOf(a).get('pB')?.ranges).toEqual([{ anchor: 3, head: 3 }]);
  });

  it('empty ranges and going offline remove the cursor', () => {
    const { a, b } = pair('abc');
    a.handle({ type: 'cursor', doc: 'shared', version: 0, participant: 'pB', ranges: [[1, 1]] });
    expect(cursorsOf(a).has('pB')).toBe(true);
    a.handle({ type: 'cursor', doc: 'shared', version: 0, participant: 'pB', ranges: [] });
    expect(cursorsOf(a).has('pB')).toBe(false);
    a.handle({ type: 'cursor', doc: 'shared', version: 0, participant: 'pB', ranges: [[1, 1]] });
    a.sync.setParticipants(new Map()); // presence: B went offline
    expect(cursorsOf(a).has('pB')).toBe(false);
    // and the server's `ranges: []` on disconnect
    a.handle({ type: 'cursor', doc: 'shared', version: 0, participant: 'pB', ranges: [[1, 1]] });
    a.sync.setParticipants(new Map([['pB', 'Bob']]));
    b.disconnect();
    a.receive();
    expect(cursorsOf(a).has('pB')).toBe(false);
  });

  it('colours are stable per participant and from the palette', () => {
    expect(colourFor('p1')).toBe(colourFor('p1'));
    expect(CURSOR_COLOURS).toContain(colourFor('p2'));
    const used = new Set(['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9'].map(colourFor));
    expect(used.size).toBeGreaterThan(3);
  });
});

describe('Throttle', () => {
  function fakeClock(): Clock & { t: number; run(to: number): void } {
    const timers: { at: number; fn: () => void }[] = [];
    const clock = {
      t: 0,
      now: () => clock.t,
      setTimeout: (fn: () => void, ms: number) => {
        const timer = { at: clock.t + ms, fn };
        timers.push(timer);
        return timer;
      },
      clearTimeout: (h: unknown) => {
        const i = timers.indexOf(h as (typeof timers)[number]);
        if (i >= 0) timers.splice(i, 1);
      },
      run(to: number) {
        for (;;) {
          timers.sort((x, y) => x.at - y.at);
          const next = timers[0];
          if (!next || next.at > to) break;
          timers.shift();
          clock.t = next.at;
          next.fn();
        }
        clock.t = to;
      },
    };
    return clock;
  }

  it('fires at most once per window and always after the last request', () => {
    const clock = fakeClock();
    const fired: number[] = [];
    const t = new Throttle(50, () => fired.push(clock.t), clock);
    t.schedule(); // leading edge
    clock.run(10);
    t.schedule();
    clock.run(20);
    t.schedule();
    clock.run(100);
    expect(fired).toEqual([0, 50]);
    clock.run(200);
    t.schedule();
    expect(fired).toEqual([0, 50, 200]);
  });
});

describe('golden examples', () => {
  it('s2c.notes.updates.json applies to a 7-unit document at version 12', () => {
    const msg = parseServerMessage(example('s2c.notes.updates.json'));
    expect(msg?.type).toBe('notes.updates');
    const server = new RefServer('');
    const a = new Client(server, 'A', 'pA');
    a.connect();
    a.inbox.length = 0;
    a.handle({ type: 'notes.snapshot', doc: 'shared', version: 12, text: 'abcdefg' });
    a.handle(msg!);
    expect(a.text).toBe('abcxdefg');
    expect(a.version).toBe(13);
  });

  it('c2s.notes.push.json is what a client pushes after inserting "x" at 3', () => {
    const server = new RefServer('');
    const a = new Client(server, 'c-4f1e2d', 'p2');
    a.connect();
    a.inbox.length = 0;
    a.handle({ type: 'notes.snapshot', doc: 'shared', version: 12, text: 'abcdefg' });
    (a as unknown as { nextId: number }).nextId = 5;
    a.insert(3, 'x');
    expect(a.outbox).toEqual([JSON.parse(example('c2s.notes.push.json'))]);
    expect(a.outbox[0]).toEqual(
      notesPush('shared', 12, [{ clientID: 'c-4f1e2d', changes: [3, [0, 'x'], 4] }], 5),
    );
  });

  it('s2c.cursor.json and s2c.notes.snapshot.json decode', () => {
    expect(parseServerMessage(example('s2c.cursor.json'))).toMatchObject({ participant: 'p2', ranges: [[6, 6], [9, 13]] });
    expect(parseServerMessage(example('s2c.notes.snapshot.json'))).toMatchObject({ version: 12, text: '...' });
  });
});

// ---------------------------------------------------------------------------------------------

/** A small seeded PRNG, so a failing seed can be replayed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A position moved off the middle of a surrogate pair. */
function boundary(doc: Text, pos: number): number {
  if (pos > 0 && pos < doc.length) {
    const s = doc.sliceString(pos - 1, pos + 1);
    if (isHigh(s.charCodeAt(0)) && isLow(s.charCodeAt(1))) return pos - 1;
  }
  return pos;
}
