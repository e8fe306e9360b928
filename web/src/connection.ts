// One participant's WebSocket to the room, reconnecting with backoff until told to stop.

import { PingSchedule, ServerClock } from './clock';
import { parseServerMessage, pingMessage, type ClientMessage, type ServerMessage } from './protocol';
import { backoffDelay } from './state';

export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  /** `at`: when the next attempt starts, on the local monotonic clock (`clock.now()`) */
  | { kind: 'reconnecting'; at: number }
  | { kind: 'offline' }
  | { kind: 'stopped'; reason: StopReason };

/** unauthorized: the link is invalid; left: the user left; refused: the hello was refused */
export type StopReason = 'unauthorized' | 'left' | 'refused';

export interface ConnectionOptions {
  url: string;
  /** the first message on every socket (re-sent on each reconnect) */
  hello: () => ClientMessage;
  onMessage: (msg: ServerMessage) => void;
  onState: (state: ConnectionState) => void;
  /** the server clock estimate this connection's pings feed (a fresh one if absent) */
  clock?: ServerClock;
}

/**
 * How long a ping may go without any message arriving before the socket counts as dead. The
 * clock-sync pings (one about every 20 s, see clock.ts) double as keep-alives, so a dead
 * network is found within about 40 s. Counting from an unanswered ping rather than from the
 * last message keeps a hidden tab, whose timers the browser may run only once a minute, from
 * dropping a healthy socket.
 */
const DEAD_AFTER_MS = 30_000;

export class RoomConnection {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /**
   * When the oldest ping with no message after it was sent, or null; on the monotonic clock,
   * never Date: a wall-clock jump must not kill the socket.
   */
  private unansweredSince: number | null = null;
  private pingSeq = 0;
  private stopped = false;
  private state: ConnectionState = { kind: 'connecting' };
  readonly clock: ServerClock;
  private readonly pings: PingSchedule;
  private readonly onOnline = (): void => this.reconnectNow();
  private readonly onOffline = (): void => {
    if (this.state.kind !== 'connected') this.setState({ kind: 'offline' });
  };
  private readonly onVisibility = (): void => {
    // Back from a hidden tab, maybe from a suspended machine: measure again from scratch.
    if (document.visibilityState !== 'visible' || !this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    this.clock.reset();
    this.pings.burst();
  };

  constructor(private readonly opts: ConnectionOptions) {
    this.clock = opts.clock ?? new ServerClock();
    this.pings = new PingSchedule({ ping: () => this.ping() });
  }

  start(): void {
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    document.addEventListener('visibilitychange', this.onVisibility);
    this.connect();
  }

  /** Stops for good: no more reconnects. `farewell` is sent first if the room is joined. */
  stop(reason: StopReason, farewell?: ClientMessage): void {
    if (farewell) this.send(farewell);
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.dropSocket();
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.setState({ kind: 'stopped', reason });
  }

  /**
   * Drops the socket and joins again at once, with a fresh `hello` (e.g. so the server sends
   * a snapshot of a notes document the client has to reload).
   */
  restart(): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.dropSocket();
    this.attempt = 0;
    this.connect();
  }

  get connected(): boolean {
    return this.state.kind === 'connected';
  }

  /** Sends if the room is joined; returns false otherwise (the caller tells the user). */
  send(msg: ClientMessage): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || !this.connected) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  private setState(s: ConnectionState): void {
    this.state = s;
    this.opts.onState(s);
  }

  private connect(): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    if (!navigator.onLine) {
      this.setState({ kind: 'offline' }); // the 'online' event brings us back
      return;
    }
    this.setState({ kind: 'connecting' });
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.opts.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.unansweredSince = null;
      ws.send(JSON.stringify(this.opts.hello()));
      // A new socket may reach another server process, or come after a suspend: sample anew.
      this.clock.reset();
      this.pings.burst();
    };
    ws.onmessage = (ev: MessageEvent) => {
      const arrived = this.clock.now(); // t3 of a pong: read before any parsing
      this.unansweredSince = null;
      if (typeof ev.data !== 'string') return;
      const msg = parseServerMessage(ev.data);
      if (!msg) return; // unknown or malformed: ignore
      if (msg.type === 'pong') {
        this.clock.pong(msg, arrived);
        return;
      }
      if (msg.type === 'welcome') {
        this.attempt = 0;
        this.setState({ kind: 'connected' });
      }
      if (msg.type === 'error' && msg.code === 'unauthorized') {
        this.opts.onMessage(msg);
        this.stop('unauthorized');
        return;
      }
      this.opts.onMessage(msg);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.dropSocket();
      this.scheduleReconnect();
    };
    // 'error' is always followed by 'close'.
  }

  /** One clock-sync ping; also the keep-alive that finds a silently dead socket. */
  private ping(): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const now = this.clock.now();
    if (this.unansweredSince !== null && now - this.unansweredSince > DEAD_AFTER_MS) {
      // A silently dead network: give up on this socket without waiting for TCP.
      this.dropSocket();
      this.scheduleReconnect();
      return;
    }
    this.pingSeq += 1;
    const id = `k${this.pingSeq}`;
    // Times are whole milliseconds on the wire; the server echoes t0 as sent.
    const t0 = Math.round(now);
    this.unansweredSince ??= now;
    this.clock.sent(id, t0);
    ws.send(JSON.stringify(pingMessage(id, t0)));
  }

  private dropSocket(): void {
    this.pings.stop();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close(1000);
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    if (!navigator.onLine) {
      this.setState({ kind: 'offline' });
      return;
    }
    const delay = backoffDelay(this.attempt);
    this.attempt += 1;
    this.setState({ kind: 'reconnecting', at: this.clock.now() + delay });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private reconnectNow(): void {
    if (this.stopped || this.ws) return;
    this.attempt = 0;
    this.connect();
  }
}
