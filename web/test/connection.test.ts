// The connection's side of clock sync (web/src/connection.ts): one ping mechanism for clock
// sync and keep-alive, a burst after every (re)connect and when the tab becomes visible again
// (with the old samples dropped), and dead-socket detection on the monotonic clock, not Date.
// A fake WebSocket, window and document; fake timers; a hand-moved monotonic clock.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BURST_GAP_MS, ServerClock, SYNC_EVERY_MS } from '../src/clock';
import { RoomConnection, type ConnectionState } from '../src/connection';
import type { ClientMessage, ServerMessage } from '../src/protocol';

type Sent = ClientMessage & { t0?: number; id?: string | number };

class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static all: FakeSocket[] = [];
  readyState = FakeSocket.CONNECTING;
  sent: Sent[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(text: string): void {
    this.sent.push(JSON.parse(text) as Sent);
  }
  close(): void {
    this.readyState = FakeSocket.CLOSED;
  }
  // test side
  open(): void {
    this.readyState = FakeSocket.OPEN;
    this.onopen?.();
  }
  receive(msg: unknown): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop(): void {
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.();
  }
  pings(): Sent[] {
    return this.sent.filter((m) => m.type === 'ping');
  }
}

const WELCOME = {
  type: 'welcome', role: 'candidate', you: 'p2',
  room: { id: 'r', title: 'T', bank: { id: 'b', title: 'B' } },
  now: 1_764_000_000_000,
  state: {
    participants: [], current: null, history: [], language: 'plain',
    timers: {
      interview: { state: 'idle', duration_ms: 60000, deadline: null, remaining_ms: 60000, rev: 0, warn_ms: [] },
      question: { state: 'idle', duration_ms: 60000, deadline: null, remaining_ms: 60000, rev: 0, warn_ms: [], question: null },
    },
  },
};

let mono = 0; // the monotonic clock the connection reads
let doc: EventTarget & { visibilityState: string };

/** Moves the monotonic clock and the timers together, in small steps. */
function advance(ms: number, step = 10): void {
  for (let t = 0; t < ms; t += step) {
    mono += step;
    vi.advanceTimersByTime(step);
  }
}

/** Answers every unanswered ping of `ws` (server clock 5 s ahead, 2 ms each way). */
function answerPings(ws: FakeSocket, answered: Set<string | number>): void {
  for (const p of ws.pings()) {
    if (answered.has(p.id!)) continue;
    answered.add(p.id!);
    ws.receive({ type: 'pong', id: p.id, t0: p.t0, t1: p.t0! + 5002, t2: p.t0! + 5002 });
  }
}

function setup() {
  const clock = new ServerClock(() => mono);
  const messages: ServerMessage[] = [];
  const states: ConnectionState['kind'][] = [];
  const conn = new RoomConnection({
    url: 'ws://test/ws',
    hello: () => ({ type: 'hello', room: 'r', token: 't', name: 'n', client: 'c' }),
    onMessage: (m) => messages.push(m),
    onState: (s) => states.push(s.kind),
    clock,
  });
  conn.start();
  return { clock, conn, messages, states };
}

beforeEach(() => {
  vi.useFakeTimers();
  mono = 1_000_000;
  FakeSocket.all = [];
  doc = Object.assign(new EventTarget(), { visibilityState: 'visible' });
  vi.stubGlobal('WebSocket', FakeSocket);
  vi.stubGlobal('window', new EventTarget());
  vi.stubGlobal('document', doc);
  vi.stubGlobal('navigator', { onLine: true });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('RoomConnection clock sync', () => {
  it('says hello, then pings a burst of 4 from the monotonic clock, then every 20 s', () => {
    const { conn } = setup();
    const ws = FakeSocket.all[0]!;
    ws.open();
    expect(ws.sent[0]?.type).toBe('hello');
    advance(3 * BURST_GAP_MS);
    const burst = ws.pings();
    expect(burst.map((p) => p.t0)).toEqual([0, 1, 2, 3].map((i) => mono - (3 - i) * BURST_GAP_MS));
    expect(new Set(burst.map((p) => p.id)).size).toBe(4);
    advance(SYNC_EVERY_MS - 3 * BURST_GAP_MS - 10);
    expect(ws.pings()).toHaveLength(4);
    advance(3 * BURST_GAP_MS + 20);
    expect(ws.pings()).toHaveLength(5);
    conn.stop('left');
  });

  it('feeds pongs to the clock (not to the room), and welcome.now is left to the room', () => {
    const { clock, conn, messages } = setup();
    const ws = FakeSocket.all[0]!;
    ws.open();
    ws.receive(WELCOME);
    advance(3 * BURST_GAP_MS);
    advance(4);
    answerPings(ws, new Set());
    expect(clock.sampleCount).toBe(4);
    expect(messages.map((m) => m.type)).toEqual(['welcome']);
    // 5 s ahead, 2 ms up and 2 ms down on average: the clock's estimate is close.
    expect(Math.abs(clock.offset! - 5000)).toBeLessThan(300);
    conn.stop('left');
  });

  it('drops the samples and pings a new burst when the tab becomes visible again', () => {
    const { clock, conn } = setup();
    const ws = FakeSocket.all[0]!;
    ws.open();
    advance(3 * BURST_GAP_MS + 10);
    answerPings(ws, new Set());
    expect(clock.sampleCount).toBe(4);
    advance(5000);
    doc.visibilityState = 'hidden';
    doc.dispatchEvent(new Event('visibilitychange'));
    expect(clock.sampleCount).toBe(4);
    doc.visibilityState = 'visible';
    doc.dispatchEvent(new Event('visibilitychange'));
    expect(clock.sampleCount).toBe(0);
    expect(clock.offset).not.toBeNull(); // the old estimate until new pongs
    advance(3 * BURST_GAP_MS + 10);
    expect(ws.pings()).toHaveLength(8);
    conn.stop('left');
  });

  it('drops the samples and pings a new burst on every reconnect', () => {
    const { clock, conn } = setup();
    const first = FakeSocket.all[0]!;
    first.open();
    advance(3 * BURST_GAP_MS + 10);
    const answered = new Set<string | number>();
    answerPings(first, answered);
    expect(clock.sampleCount).toBe(4);
    first.drop();
    advance(11_000); // the first retry comes within the backoff
    const second = FakeSocket.all[1]!;
    expect(second).toBeDefined();
    second.open();
    expect(clock.sampleCount).toBe(0);
    advance(3 * BURST_GAP_MS + 10);
    expect(second.pings()).toHaveLength(4);
    conn.stop('left');
  });

  it('finds a silently dead socket from unanswered pings, on the monotonic clock', () => {
    const { conn, states } = setup();
    const ws = FakeSocket.all[0]!;
    ws.open();
    ws.receive(WELCOME);
    advance(SYNC_EVERY_MS + 3 * BURST_GAP_MS); // pings go out, nothing comes back
    expect(states.at(-1)).toBe('connected');
    advance(2 * SYNC_EVERY_MS);
    expect(states).toContain('reconnecting');
    expect(ws.readyState).toBe(FakeSocket.CLOSED);
    conn.stop('left');
  });

  it('a wall-clock jump (Date) never kills a healthy socket', () => {
    const { conn, states } = setup();
    const ws = FakeSocket.all[0]!;
    ws.open();
    ws.receive(WELCOME);
    const answered = new Set<string | number>();
    for (let i = 0; i < 6; i++) {
      vi.setSystemTime(Date.now() + (i % 2 ? -1 : 1) * 3_600_000); // an hour forward, then back
      advance(SYNC_EVERY_MS / 2);
      answerPings(ws, answered);
    }
    expect(states.at(-1)).toBe('connected');
    expect(FakeSocket.all).toHaveLength(1);
    conn.stop('left');
  });

  it('a tab whose timers run late (hidden) keeps a socket that answers', () => {
    const { conn, states } = setup();
    const ws = FakeSocket.all[0]!;
    ws.open();
    ws.receive(WELCOME);
    advance(3 * BURST_GAP_MS + 10);
    const answered = new Set<string | number>();
    answerPings(ws, answered);
    // The monotonic clock moves 70 s between two runs of the timer (a throttled tab).
    mono += 70_000;
    advance(SYNC_EVERY_MS);
    answerPings(ws, answered);
    advance(SYNC_EVERY_MS);
    expect(states.at(-1)).toBe('connected');
    conn.stop('left');
  });
});
