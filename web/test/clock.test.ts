// Clock sync (web/src/clock.ts): the offset/delay math, which sample is used, when samples are
// dropped, the provisional estimate from welcome.now, and the ping schedule.

import { describe, expect, it } from 'vitest';
import {
  BURST_GAP_MS,
  BURST_PINGS,
  CLOCK_SAMPLES,
  PingSchedule,
  ServerClock,
  SYNC_EVERY_MS,
  clockSample,
} from '../src/clock';

/** A local clock the test moves by hand. */
function manualClock(start = 1000) {
  let now = start;
  return {
    now: () => now,
    set: (t: number) => {
      now = t;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/**
 * One exchange with a server whose clock is `offset` ahead of ours: the ping takes `up` ms,
 * the server holds it `hold` ms, the pong takes `down` ms. Returns the pong and its t3.
 */
function exchange(clock: ServerClock, local: ReturnType<typeof manualClock>, id: string, offset: number,
  up: number, down: number, hold = 1) {
  const t0 = local.now();
  clock.sent(id, t0);
  const t1 = t0 + up + offset;
  const t2 = t1 + hold;
  local.advance(up + hold + down);
  return { pong: { id, t0, t1, t2 }, t3: local.now() };
}

describe('clockSample', () => {
  it('computes offset and delay as NTP does', () => {
    // Server 5000 ms ahead, 10 ms each way, 2 ms in the server.
    const s = clockSample(100, 100 + 10 + 5000, 100 + 10 + 5000 + 2, 100 + 22);
    expect(s.offset).toBe(5000);
    expect(s.delay).toBe(20);
  });

  it('splits an asymmetric path evenly: the error is half the asymmetry', () => {
    const s = clockSample(0, 30 + 7000, 30 + 7000, 40); // 30 ms up, 10 ms down
    expect(s.delay).toBe(40);
    expect(s.offset).toBe(7000 + 10);
  });

  it('works with a server behind the client (negative offset)', () => {
    const s = clockSample(50_000, 20_004, 20_005, 50_010);
    expect(s.offset).toBe(-30_000.5);
    expect(s.delay).toBe(9);
  });
});

describe('ServerClock', () => {
  it('has no estimate before a welcome or a pong', () => {
    const clock = new ServerClock(manualClock().now);
    expect(clock.offset).toBeNull();
    expect(clock.serverNow()).toBeNull();
  });

  it('uses welcome.now as a provisional estimate until the first pong', () => {
    const local = manualClock(1000);
    const clock = new ServerClock(local.now);
    clock.provisional(1_764_000_000_000);
    expect(clock.offset).toBe(1_764_000_000_000 - 1000);
    local.advance(250);
    expect(clock.serverNow()).toBe(1_764_000_000_250);
    const { pong, t3 } = exchange(clock, local, 'a', 1_764_000_000_000 - 1000 + 40, 5, 5);
    expect(clock.pong(pong, t3)).toBe(true);
    expect(clock.offset).toBe(1_764_000_000_000 - 1000 + 40);
    // A later welcome (a reconnect before the reset) does not override measured samples.
    clock.provisional(5);
    expect(clock.offset).toBe(1_764_000_000_000 - 1000 + 40);
  });

  it('keeps the sample with the lowest delay among the last 8', () => {
    const local = manualClock();
    const clock = new ServerClock(local.now);
    // Delays 40, 12, 30, ...: the 12 ms one (offset 1000 + 2 from its asymmetry) wins.
    const trips: [number, number][] = [[20, 20], [8, 4], [15, 15], [10, 20], [25, 25]];
    trips.forEach(([up, down], i) => {
      const { pong, t3 } = exchange(clock, local, `p${i}`, 1000, up, down, 0);
      clock.pong(pong, t3);
    });
    expect(clock.sampleCount).toBe(5);
    expect(clock.best?.delay).toBe(12);
    expect(clock.offset).toBe(1000 + (8 - 4) / 2);
  });

  it('evicts the oldest sample once there are more than 8, even the best one', () => {
    const local = manualClock();
    const clock = new ServerClock(local.now);
    const first = exchange(clock, local, 'best', 500, 1, 1, 0); // delay 2: the best ever
    clock.pong(first.pong, first.t3);
    for (let i = 0; i < CLOCK_SAMPLES - 1; i++) {
      const { pong, t3 } = exchange(clock, local, `p${i}`, 700, 10, 10, 0); // delay 20
      clock.pong(pong, t3);
    }
    expect(clock.sampleCount).toBe(CLOCK_SAMPLES);
    expect(clock.best?.delay).toBe(2);
    expect(clock.offset).toBe(500);
    const ninth = exchange(clock, local, 'p9', 700, 9, 9, 0); // delay 18
    clock.pong(ninth.pong, ninth.t3);
    expect(clock.sampleCount).toBe(CLOCK_SAMPLES);
    expect(clock.best?.delay).toBe(18);
    expect(clock.offset).toBe(700);
  });

  it('ignores pongs of pings it did not send, and a t0 that does not match', () => {
    const local = manualClock();
    const clock = new ServerClock(local.now);
    expect(clock.pong({ id: 'nope', t0: 1, t1: 2, t2: 3 }, 4)).toBe(false);
    clock.sent('k1', 100);
    expect(clock.pong({ id: 'k1', t0: 99, t1: 2, t2: 3 }, 104)).toBe(false);
    expect(clock.pong({ id: 'k1', t0: 100, t1: 5102, t2: 5102 }, 104)).toBe(true);
    // Each ping counts once.
    expect(clock.pong({ id: 'k1', t0: 100, t1: 5102, t2: 5102 }, 104)).toBe(false);
    expect(clock.sampleCount).toBe(1);
  });

  it('reset (reconnect, tab visible again) drops the samples but keeps the estimate until new ones', () => {
    const local = manualClock();
    const clock = new ServerClock(local.now);
    const good = exchange(clock, local, 'a', 2000, 1, 1, 0);
    clock.pong(good.pong, good.t3);
    const pending = local.now();
    clock.sent('late', pending); // in flight across the reset
    clock.reset();
    expect(clock.sampleCount).toBe(0);
    expect(clock.offset).toBe(2000); // the last estimate, meanwhile
    // The pong of a ping sent before the reset does not count (the clock may have paused since).
    expect(clock.pong({ id: 'late', t0: pending, t1: pending + 9000, t2: pending + 9000 }, pending + 2)).toBe(false);
    // A welcome after the reset replaces the old estimate...
    clock.provisional(local.now() + 2500);
    expect(clock.offset).toBe(2500);
    // ...and the first pong after it wins, even with a worse delay than the old best.
    const slow = exchange(clock, local, 'b', 2600, 40, 40, 0);
    clock.pong(slow.pong, slow.t3);
    expect(clock.best?.delay).toBe(80);
    expect(clock.offset).toBe(2600);
  });

  it('reads the server clock as local time plus offset', () => {
    const local = manualClock(10_000);
    const clock = new ServerClock(local.now);
    const { pong, t3 } = exchange(clock, local, 'a', -3000, 2, 2, 0);
    clock.pong(pong, t3);
    local.set(20_000);
    expect(clock.serverNow()).toBe(17_000);
  });
});

describe('PingSchedule', () => {
  /** Fake timers: run() fires due callbacks in time order. */
  function fakeTimers() {
    let now = 0;
    let seq = 0;
    const queue = new Map<number, { at: number; fn: () => void }>();
    return {
      setTimeout: (fn: () => void, ms: number) => {
        seq += 1;
        queue.set(seq, { at: now + ms, fn });
        return seq;
      },
      clearTimeout: (h: unknown) => void queue.delete(h as number),
      now: () => now,
      pending: () => queue.size,
      runUntil(t: number) {
        for (;;) {
          const next = [...queue.entries()].sort((a, b) => a[1].at - b[1].at)[0];
          if (!next || next[1].at > t) break;
          queue.delete(next[0]);
          now = next[1].at;
          next[1].fn();
        }
        now = t;
      },
    };
  }

  it('pings a burst of 4, 150 ms apart, then every 20 s', () => {
    const timers = fakeTimers();
    const pings: number[] = [];
    const schedule = new PingSchedule({ ...timers, ping: () => pings.push(timers.now()) });
    schedule.burst();
    timers.runUntil(3 * SYNC_EVERY_MS);
    const burst = Array.from({ length: BURST_PINGS }, (_, i) => i * BURST_GAP_MS);
    const last = burst[burst.length - 1]!;
    expect(pings).toEqual([...burst, last + SYNC_EVERY_MS, last + 2 * SYNC_EVERY_MS]);
    expect(BURST_PINGS).toBe(4);
    expect(BURST_GAP_MS).toBe(150);
  });

  it('a new burst (visibility, reconnect) restarts the pattern; stop ends it', () => {
    const timers = fakeTimers();
    const pings: number[] = [];
    const schedule = new PingSchedule({ ...timers, ping: () => pings.push(timers.now()) });
    schedule.burst();
    timers.runUntil(10_000);
    pings.length = 0;
    schedule.burst();
    timers.runUntil(10_000 + 3 * BURST_GAP_MS);
    expect(pings).toEqual([10_000, 10_150, 10_300, 10_450]);
    expect(timers.pending()).toBe(1);
    schedule.stop();
    expect(timers.pending()).toBe(0);
    expect(schedule.running).toBe(false);
  });

  it('a ping that stops the schedule (a dead socket) leaves no timer behind', () => {
    const timers = fakeTimers();
    let count = 0;
    const schedule: PingSchedule = new PingSchedule({
      ...timers,
      ping: () => {
        count += 1;
        if (count === 2) schedule.stop();
      },
    });
    schedule.burst();
    timers.runUntil(60_000);
    expect(count).toBe(2);
    expect(timers.pending()).toBe(0);
  });
});
