// One participant's WebSocket to the room, reconnecting with backoff until told to stop.

import { parseServerMessage, pingMessage, type ClientMessage, type ServerMessage } from './protocol';
import { backoffDelay } from './state';

export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'connected' }
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
}

/** How often to ping, and how long without any message before the socket counts as dead. */
const PING_EVERY_MS = 15_000;
const DEAD_AFTER_MS = 40_000;

export class RoomConnection {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private lastHeard = 0;
  private pingSeq = 0;
  private stopped = false;
  private state: ConnectionState = { kind: 'connecting' };
  private readonly onOnline = (): void => this.reconnectNow();
  private readonly onOffline = (): void => {
    if (this.state.kind !== 'connected') this.setState({ kind: 'offline' });
  };

  constructor(private readonly opts: ConnectionOptions) {}

  start(): void {
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
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
      this.lastHeard = Date.now();
      ws.send(JSON.stringify(this.opts.hello()));
      this.pingTimer = setInterval(() => this.keepAlive(ws), PING_EVERY_MS);
    };
    ws.onmessage = (ev: MessageEvent) => {
      this.lastHeard = Date.now();
      if (typeof ev.data !== 'string') return;
      const msg = parseServerMessage(ev.data);
      if (!msg) return; // unknown or malformed: ignore
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

  private keepAlive(ws: WebSocket): void {
    if (this.ws !== ws) return;
    if (Date.now() - this.lastHeard > DEAD_AFTER_MS) {
      // A silently dead network: give up on this socket without waiting for TCP.
      this.dropSocket();
      this.scheduleReconnect();
      return;
    }
    this.pingSeq += 1;
    ws.send(JSON.stringify(pingMessage(`k${this.pingSeq}`, Date.now())));
  }

  private dropSocket(): void {
    clearInterval(this.pingTimer);
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
    this.setState({ kind: 'reconnecting', at: Date.now() + delay });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private reconnectNow(): void {
    if (this.stopped || this.ws) return;
    this.attempt = 0;
    this.connect();
  }
}
