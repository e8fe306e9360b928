// What a timer shows, from its state and the server clock: countdown text, overtime, the
// warning, threshold crossings. Pure functions, no DOM, no clock of their own.

import type { TimerMessage, TimerName, TimerPhase, TimerState } from './protocol';

/** "M:SS" under an hour, "H:MM:SS" from an hour; `seconds` is a whole, non-negative number. */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const secs = String(s % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${secs}` : `${minutes}:${secs}`;
}

/**
 * A countdown: whole seconds rounded up, so "0:00" only shows once nothing is left and a
 * timer set to 15 minutes shows "15:00" for its whole first second.
 */
export function formatCountdown(remainingMs: number): string {
  return formatSeconds(Math.ceil(Math.max(0, remainingMs) / 1000));
}

/** Time past the deadline, counting up from "+0:00" (whole seconds, rounded down). */
export function formatOvertime(overMs: number): string {
  return `+${formatSeconds(Math.floor(Math.max(0, overMs) / 1000))}`;
}

/** A length of time (a budget, time spent): nearest whole second. */
export function formatLength(ms: number): string {
  return formatSeconds(Math.round(Math.max(0, ms) / 1000));
}

/** "2 minutes", "1 minute 30 seconds", "1 hour 5 minutes", "45 seconds" (nearest second). */
export function spokenLength(ms: number): string {
  const total = Math.round(Math.max(0, ms) / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const part = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;
  const parts: string[] = [];
  if (hours) parts.push(part(hours, 'hour'));
  if (minutes) parts.push(part(minutes, 'minute'));
  if (seconds || parts.length === 0) parts.push(part(seconds, 'second'));
  return parts.join(' ');
}

/**
 * Milliseconds left at server time `serverNow`: negative past the deadline (overtime). Idle
 * and paused timers hold `remaining_ms`; running and expired ones count from `deadline`.
 * Without a clock estimate (`serverNow` null) a running timer shows what the server wrote.
 */
export function remainingAt(t: TimerState, serverNow: number | null): number {
  if (t.state === 'idle' || t.state === 'paused' || t.deadline === null) return t.remaining_ms;
  if (serverNow === null) return t.state === 'expired' ? 0 : t.remaining_ms;
  return t.deadline - serverNow;
}

/** The highest warning threshold, or null when the room has none. */
export function warnThreshold(warnMs: readonly number[]): number | null {
  return warnMs.length === 0 ? null : Math.max(...warnMs);
}

export interface TimerDisplay {
  /**
   * What to show: the server's state, except that a running timer whose deadline has passed
   * here shows as expired at once (the server's expiry message follows).
   */
  phase: TimerPhase;
  /** "14:59", "+1:23" */
  text: string;
  /** ms left; negative is overtime */
  remaining: number;
  /** at or below the highest warning threshold (running or paused, not yet expired) */
  warn: boolean;
}

export function timerDisplay(t: TimerState, serverNow: number | null): TimerDisplay {
  const remaining = remainingAt(t, serverNow);
  const expired = t.state === 'expired' || (t.state === 'running' && remaining <= 0);
  const phase: TimerPhase = expired ? 'expired' : t.state;
  const threshold = warnThreshold(t.warn_ms);
  return {
    phase,
    text: expired ? formatOvertime(-remaining) : formatCountdown(remaining),
    remaining,
    warn: !expired && (t.state === 'running' || t.state === 'paused') && threshold !== null && remaining <= threshold,
  };
}

/**
 * The thresholds passed going from `before` to `after` ms left (highest first): each `w`
 * with `before > w >= after`. Nothing once the time is up: that is announced on its own.
 */
export function crossedThresholds(before: number, after: number, warnMs: readonly number[]): number[] {
  if (after <= 0) return [];
  return warnMs.filter((w) => before > w && after <= w).sort((a, b) => b - a);
}

export const TIMER_LABEL: Record<TimerName, string> = { question: 'question', interview: 'interview' };

/** "2 minutes left on the question" */
export function thresholdAnnouncement(timer: TimerName, thresholdMs: number): string {
  return `${spokenLength(thresholdMs)} left on the ${TIMER_LABEL[timer]}`;
}

/** "Time's up for the interview" */
export function expiryAnnouncement(timer: TimerName): string {
  return `Time’s up for the ${TIMER_LABEL[timer]}`;
}

/** Parses a number of minutes typed by the user (decimals allowed) into ms; null if empty. */
export function parseMinutes(raw: string): number | null | 'invalid' {
  const text = raw.trim().replace(',', '.');
  if (text === '') return null;
  if (!/^\d*\.?\d+$/.test(text)) return 'invalid';
  const ms = Math.round(Number(text) * 60_000);
  return Number.isFinite(ms) && ms > 0 ? ms : 'invalid';
}

const TIMER_TITLE: Record<TimerName, string> = { question: 'Question timer', interview: 'Interview timer' };

/**
 * What a screen reader hears about a `timer` message: "Question timer paused by Grace",
 * "1 minute added to the interview timer by Grace", "Time's up for the question". `previous`
 * is the state before it (for the size of an addition), `byName` the name of `msg.by`. Null
 * when there is nothing worth saying (a push restarting the question timer: the new question
 * is announced).
 */
export function changeAnnouncement(msg: TimerMessage, previous: TimerState | null, byName: string | null): string | null {
  const by = msg.by === null ? '' : ` by ${byName ?? 'an interviewer'}`;
  const title = TIMER_TITLE[msg.timer];
  let text: string | null;
  switch (msg.cause) {
    case 'start':
      text = `${title} started${by}`;
      break;
    case 'pause':
      text = `${title} paused${by}, ${spokenLength(msg.remaining_ms)} left`;
      break;
    case 'resume':
      text = `${title} resumed${by}`;
      break;
    case 'reset':
      text = `${title} reset to ${spokenLength(msg.duration_ms)}${by}`;
      break;
    case 'add': {
      if (previous?.state === 'expired' && msg.state === 'running') {
        // Time added after the end: the timer runs again with what was added.
        text = `${spokenLength(msg.remaining_ms)} added to the ${TIMER_LABEL[msg.timer]} timer${by}`;
        break;
      }
      const delta = previous ? msg.duration_ms - previous.duration_ms : 0;
      text = delta > 0
        ? `${spokenLength(delta)} added to the ${TIMER_LABEL[msg.timer]} timer${by}`
        : delta < 0
          ? `${spokenLength(-delta)} taken off the ${TIMER_LABEL[msg.timer]} timer${by}`
          : `${title} changed${by}`;
      break;
    }
    case 'push':
      text = msg.timer === 'interview' && msg.state === 'running' ? `${title} started` : null;
      break;
    case 'expire':
      return expiryAnnouncement(msg.timer);
    case 'end':
      // The interview ended (the timers stop where they stand): that is announced itself.
      return null;
  }
  if (msg.state === 'expired') text = text ? `${text}. ${expiryAnnouncement(msg.timer)}` : expiryAnnouncement(msg.timer);
  return text;
}
