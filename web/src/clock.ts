// The server clock as seen from this tab: an offset estimated from ping/pong ("Clock sync" in
// PROTOCOL.md). Local times come from the monotonic clock (performance.now(), never Date, so a
// wall-clock adjustment changes nothing). Pure apart from the default time source: tests inject
// their own clock and timers.

/** How many recent samples are kept; the one with the lowest delay is used. */
export const CLOCK_SAMPLES = 8;
/** After every (re)connect and when the tab becomes visible: this many pings, this far apart. */
export const BURST_PINGS = 4;
export const BURST_GAP_MS = 150;
/** Then one ping about this often (it also keeps the connection alive). */
export const SYNC_EVERY_MS = 20_000;

export interface ClockSample {
  /** server clock minus local clock */
  offset: number;
  /** round trip minus the server's own time between reading the ping and writing the pong */
  delay: number;
}

/**
 * One ping/pong exchange: `t0` local send time, `t1` server read time, `t2` server write
 * time, `t3` local receive time.
 */
export function clockSample(t0: number, t1: number, t2: number, t3: number): ClockSample {
  return { offset: (t1 - t0 + (t2 - t3)) / 2, delay: t3 - t0 - (t2 - t1) };
}

/**
 * The local monotonic clock in ms. `performance.timeOrigin + performance.now()`: it only
 * moves with performance.now() (timeOrigin is fixed for the page), and it reads as a positive,
 * plausible Unix time, which keeps the `t0` we send an ordinary positive integer.
 */
export function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface PongLike {
  id: string | number;
  t0: number;
  t1: number;
  t2: number;
}

export class ServerClock {
  private samples: ClockSample[] = [];
  /** pings sent since the last reset, by id: their t0 */
  private pending = new Map<string | number, number>();
  /** used while there is no sample: welcome.now, or the estimate before the last reset */
  private fallback: number | null = null;

  constructor(private readonly localNow: () => number = monotonicNow) {}

  /** The local monotonic clock (for `t0`, `t3` and drawing). */
  now(): number {
    return this.localNow();
  }

  /**
   * Forgets the samples (after a reconnect, or when the tab becomes visible: a suspended
   * machine's monotonic clock may have paused). Until a new pong arrives, the last estimate
   * goes on being used.
   */
  reset(): void {
    const last = this.offset;
    this.samples = [];
    this.pending.clear();
    this.fallback = last;
  }

  /** `welcome.now`, read when the welcome arrived: a coarse estimate until the first pong. */
  provisional(serverNow: number, at: number = this.localNow()): void {
    this.fallback = serverNow - at;
  }

  /** Records a ping we are sending, so that only its pong counts. */
  sent(id: string | number, t0: number): void {
    this.pending.set(id, t0);
    // A lost pong must not make the map grow forever.
    if (this.pending.size > 4 * CLOCK_SAMPLES) this.pending.delete(this.pending.keys().next().value!);
  }

  /**
   * A pong arrived at local time `t3`. Returns false (and changes nothing) for a pong of no
   * ping sent since the last reset.
   */
  pong(msg: PongLike, t3: number = this.localNow()): boolean {
    const t0 = this.pending.get(msg.id);
    if (t0 === undefined || t0 !== msg.t0) return false;
    this.pending.delete(msg.id);
    this.samples.push(clockSample(msg.t0, msg.t1, msg.t2, t3));
    if (this.samples.length > CLOCK_SAMPLES) this.samples.shift();
    return true;
  }

  /** The sample in use: the lowest delay of the last ones (the earliest of equals). */
  get best(): ClockSample | null {
    let best: ClockSample | null = null;
    for (const s of this.samples) if (!best || s.delay < best.delay) best = s;
    return best;
  }

  get sampleCount(): number {
    return this.samples.length;
  }

  /** server clock minus local clock, or null before any estimate */
  get offset(): number | null {
    return this.best?.offset ?? this.fallback;
  }

  /** The server clock now, or null before any estimate. */
  serverNow(): number | null {
    const offset = this.offset;
    return offset === null ? null : this.localNow() + offset;
  }
}

export interface PingHost {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** sends one ping (or finds the socket dead and drops it, which stops the schedule) */
  ping(): void;
}

const realTimers = {
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimeout: (h: unknown): void => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * When to ping: a burst of BURST_PINGS, BURST_GAP_MS apart, then one every SYNC_EVERY_MS.
 * `burst()` (again) restarts that pattern.
 */
export class PingSchedule {
  private timer: unknown = null;
  private readonly host: PingHost;

  constructor(host: Pick<PingHost, 'ping'> & Partial<PingHost>) {
    this.host = { ...realTimers, ...host } as PingHost;
  }

  burst(): void {
    this.stop();
    this.step(BURST_PINGS);
  }

  stop(): void {
    if (this.timer !== null) this.host.clearTimeout(this.timer);
    this.timer = null;
  }

  get running(): boolean {
    return this.timer !== null;
  }

  private step(burstLeft: number): void {
    this.timer = null;
    const next = burstLeft - 1;
    // Arm the next ping first: ping() may stop the schedule (a dead socket).
    this.timer = this.host.setTimeout(() => this.step(Math.max(0, next)), next > 0 ? BURST_GAP_MS : SYNC_EVERY_MS);
    this.host.ping();
  }
}
