// What the timers show (web/src/timers.ts): formatting and rounding at the boundaries, overtime,
// the warning, threshold crossings and the announcements.

import { describe, expect, it } from 'vitest';
import type { TimerMessage, TimerState } from '../src/protocol';
import {
  changeAnnouncement,
  crossedThresholds,
  expiryAnnouncement,
  formatCountdown,
  formatLength,
  formatOvertime,
  formatSeconds,
  parseMinutes,
  remainingAt,
  spokenLength,
  thresholdAnnouncement,
  timerDisplay,
  warnThreshold,
} from '../src/timers';

const DEADLINE = 1_764_000_900_000;

const timer = (extra: Partial<TimerState> = {}): TimerState => ({
  state: 'running',
  duration_ms: 900_000,
  deadline: DEADLINE,
  remaining_ms: 900_000,
  rev: 1,
  warn_ms: [120_000],
  question: 1,
  ...extra,
});

describe('formatting', () => {
  it('shows M:SS under an hour and H:MM:SS from an hour', () => {
    expect(formatSeconds(0)).toBe('0:00');
    expect(formatSeconds(5)).toBe('0:05');
    expect(formatSeconds(59)).toBe('0:59');
    expect(formatSeconds(60)).toBe('1:00');
    expect(formatSeconds(15 * 60)).toBe('15:00');
    expect(formatSeconds(3599)).toBe('59:59');
    expect(formatSeconds(3600)).toBe('1:00:00');
    expect(formatSeconds(3600 + 65)).toBe('1:01:05');
    expect(formatSeconds(24 * 3600)).toBe('24:00:00');
  });

  it('a countdown rounds up: 0:00 only once nothing is left', () => {
    expect(formatCountdown(900_000)).toBe('15:00');
    expect(formatCountdown(899_999)).toBe('15:00'); // the whole first second shows the full length
    expect(formatCountdown(899_000)).toBe('14:59');
    expect(formatCountdown(60_001)).toBe('1:01');
    expect(formatCountdown(60_000)).toBe('1:00');
    expect(formatCountdown(59_999)).toBe('1:00');
    expect(formatCountdown(1_000)).toBe('0:01');
    expect(formatCountdown(1)).toBe('0:01');
    expect(formatCountdown(0.001)).toBe('0:01');
    expect(formatCountdown(0)).toBe('0:00');
    expect(formatCountdown(-5)).toBe('0:00');
    expect(formatCountdown(3_600_000)).toBe('1:00:00');
    expect(formatCountdown(3_600_001)).toBe('1:00:01');
  });

  it('overtime counts up from +0:00, rounding down', () => {
    expect(formatOvertime(0)).toBe('+0:00');
    expect(formatOvertime(999)).toBe('+0:00');
    expect(formatOvertime(1_000)).toBe('+0:01');
    expect(formatOvertime(83_500)).toBe('+1:23');
    expect(formatOvertime(3_600_000)).toBe('+1:00:00');
  });

  it('lengths round to the nearest second and read aloud in words', () => {
    expect(formatLength(183_000)).toBe('3:03');
    expect(formatLength(182_600)).toBe('3:03');
    expect(spokenLength(120_000)).toBe('2 minutes');
    expect(spokenLength(60_000)).toBe('1 minute');
    expect(spokenLength(90_000)).toBe('1 minute 30 seconds');
    expect(spokenLength(30_000)).toBe('30 seconds');
    expect(spokenLength(1_000)).toBe('1 second');
    expect(spokenLength(0)).toBe('0 seconds');
    expect(spokenLength(3_900_000)).toBe('1 hour 5 minutes');
  });

  it('parses minutes typed by the user', () => {
    expect(parseMinutes('')).toBeNull();
    expect(parseMinutes('  ')).toBeNull();
    expect(parseMinutes('7')).toBe(420_000);
    expect(parseMinutes('0.5')).toBe(30_000);
    expect(parseMinutes('0,05')).toBe(3_000);
    expect(parseMinutes('.5')).toBe(30_000);
    expect(parseMinutes('0')).toBe('invalid');
    expect(parseMinutes('-1')).toBe('invalid');
    expect(parseMinutes('1e3')).toBe('invalid');
    expect(parseMinutes('ten')).toBe('invalid');
  });
});

describe('remainingAt and timerDisplay', () => {
  it('a running timer counts from its deadline on the server clock', () => {
    expect(remainingAt(timer(), DEADLINE - 61_500)).toBe(61_500);
    expect(timerDisplay(timer(), DEADLINE - 61_500)).toEqual({ phase: 'running', text: '1:02', remaining: 61_500, warn: true });
    expect(timerDisplay(timer(), DEADLINE - 600_000).warn).toBe(false);
  });

  it('idle and paused timers show remaining_ms whatever the clock says', () => {
    const paused = timer({ state: 'paused', deadline: null, remaining_ms: 95_000 });
    expect(timerDisplay(paused, DEADLINE + 1e9)).toEqual({ phase: 'paused', text: '1:35', remaining: 95_000, warn: true });
    const idle = timer({ state: 'idle', deadline: null, remaining_ms: 100_000 });
    expect(timerDisplay(idle, null)).toEqual({ phase: 'idle', text: '1:40', remaining: 100_000, warn: false });
  });

  it('without a clock estimate a running timer shows what the server wrote', () => {
    expect(timerDisplay(timer({ remaining_ms: 840_000 }), null).text).toBe('14:00');
  });

  it('a running timer whose deadline passed here shows as expired at once, with overtime', () => {
    expect(timerDisplay(timer(), DEADLINE - 1).text).toBe('0:01');
    expect(timerDisplay(timer(), DEADLINE - 1).phase).toBe('running');
    expect(timerDisplay(timer(), DEADLINE)).toEqual({ phase: 'expired', text: '+0:00', remaining: 0, warn: false });
    expect(timerDisplay(timer(), DEADLINE + 83_200).text).toBe('+1:23');
  });

  it('an expired timer counts overtime from its deadline', () => {
    const expired = timer({ state: 'expired', remaining_ms: 0 });
    expect(timerDisplay(expired, DEADLINE + 5_000)).toEqual({ phase: 'expired', text: '+0:05', remaining: -5_000, warn: false });
    expect(timerDisplay(expired, null).text).toBe('+0:00');
  });

  it('the warning starts exactly when the shown time reaches the highest threshold', () => {
    const t = timer({ warn_ms: [30_000, 120_000] });
    expect(timerDisplay(t, DEADLINE - 120_001)).toMatchObject({ text: '2:01', warn: false });
    expect(timerDisplay(t, DEADLINE - 120_000)).toMatchObject({ text: '2:00', warn: true });
    expect(timerDisplay(t, DEADLINE - 1)).toMatchObject({ warn: true });
    expect(timerDisplay(timer({ warn_ms: [] }), DEADLINE - 1).warn).toBe(false);
    expect(warnThreshold([30_000, 120_000, 60_000])).toBe(120_000);
    expect(warnThreshold([])).toBeNull();
  });
});

describe('threshold crossings', () => {
  const warn = [60_000, 120_000, 30_000];

  it('reports each threshold passed, highest first', () => {
    expect(crossedThresholds(120_001, 120_000, warn)).toEqual([120_000]);
    expect(crossedThresholds(120_000, 119_000, warn)).toEqual([]); // already at it before
    expect(crossedThresholds(130_000, 45_000, warn)).toEqual([120_000, 60_000]);
    expect(crossedThresholds(500_000, 1, warn)).toEqual([120_000, 60_000, 30_000]);
  });

  it('reports nothing going up (time added) or once the time is up', () => {
    expect(crossedThresholds(100_000, 160_000, warn)).toEqual([]);
    expect(crossedThresholds(10_000, 0, warn)).toEqual([]);
    expect(crossedThresholds(200_000, -5, warn)).toEqual([]);
  });

  it('words the announcements', () => {
    expect(thresholdAnnouncement('question', 120_000)).toBe('2 minutes left on the question');
    expect(thresholdAnnouncement('interview', 300_000)).toBe('5 minutes left on the interview');
    expect(expiryAnnouncement('question')).toBe('Time’s up for the question');
  });
});

describe('changeAnnouncement', () => {
  const msg = (extra: Partial<TimerMessage>): TimerMessage => ({
    type: 'timer', timer: 'question', ...timer(), cause: 'start', by: 'p1', ...extra,
  });

  it('says what changed and who did it', () => {
    expect(changeAnnouncement(msg({ cause: 'start' }), null, 'Grace')).toBe('Question timer started by Grace');
    expect(changeAnnouncement(msg({ cause: 'pause', state: 'paused', deadline: null, remaining_ms: 90_000 }), null, 'Grace'))
      .toBe('Question timer paused by Grace, 1 minute 30 seconds left');
    expect(changeAnnouncement(msg({ cause: 'resume', timer: 'interview' }), null, 'Grace')).toBe('Interview timer resumed by Grace');
    expect(changeAnnouncement(msg({ cause: 'reset', state: 'idle', deadline: null, duration_ms: 420_000 }), null, 'Grace'))
      .toBe('Question timer reset to 7 minutes by Grace');
    expect(changeAnnouncement(msg({ cause: 'start' }), null, null)).toBe('Question timer started by an interviewer');
  });

  it('says how much an addition changed', () => {
    const before = timer({ duration_ms: 900_000 });
    expect(changeAnnouncement(msg({ cause: 'add', duration_ms: 960_000 }), before, 'Grace'))
      .toBe('1 minute added to the question timer by Grace');
    expect(changeAnnouncement(msg({ cause: 'add', duration_ms: 840_000 }), before, 'Grace'))
      .toBe('1 minute taken off the question timer by Grace');
    expect(changeAnnouncement(msg({ cause: 'add', duration_ms: 840_000, state: 'expired', remaining_ms: 0 }), before, 'Grace'))
      .toBe('1 minute taken off the question timer by Grace. Time’s up for the question');
    const expired = timer({ state: 'expired', remaining_ms: 0 });
    expect(changeAnnouncement(msg({ cause: 'add', remaining_ms: 60_000 }), expired, 'Grace'))
      .toBe('1 minute added to the question timer by Grace');
  });

  it('announces the server\'s expiry and the interview starting with the first push', () => {
    expect(changeAnnouncement(msg({ cause: 'expire', state: 'expired', by: null, remaining_ms: 0 }), null, null))
      .toBe('Time’s up for the question');
    expect(changeAnnouncement(msg({ cause: 'push', timer: 'interview' }), null, 'Grace')).toBe('Interview timer started');
    expect(changeAnnouncement(msg({ cause: 'push' }), null, 'Grace')).toBeNull();
  });

  it('says nothing for the pause at the end of the interview (the end is announced itself)', () => {
    expect(changeAnnouncement(msg({ cause: 'end', state: 'paused', deadline: null }), null, 'Grace')).toBeNull();
  });
});
