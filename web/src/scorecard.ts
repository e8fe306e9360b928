// The interviewer scorecard without DOM: field names, and the state machine of one field that
// several interviewers may edit at once (PROTOCOL.md, "Ending, debrief and the scorecard").
//
// Each field has a revision on the server. A client sends `score.set` with the revision it
// shows as `expect_rev`; a stale one is `conflict` and changes nothing. So that nothing is
// silently lost:
//
// - at most one `score.set` per field is in flight; edits made meanwhile are sent once it is
//   confirmed (with the new revision);
// - a newer value from someone else replaces what the field shows only when the user has no
//   unconfirmed change of their own; otherwise their text stays and a notice offers "use theirs"
//   or "keep mine" (which sends theirs again on top of the newer revision);
// - a `conflict` answer means the newer value has already arrived: the same notice.

import { RECOMMENDATIONS, type Recommendation, type ScoreEntry, type ScoreValue } from './protocol';

// ---------------------------------------------------------------------------------------------
// Fields.

export type ScoreFieldKind = 'rating' | 'comment' | 'recommendation' | 'summary';

export const ratingField = (seq: number): string => `q${seq}.rating`;
export const commentField = (seq: number): string => `q${seq}.comment`;
export const RECOMMENDATION_FIELD = 'recommendation';
export const SUMMARY_FIELD = 'summary';

/** What a field name is, or null for a name this client does not know. */
export function parseScoreField(field: string): { kind: ScoreFieldKind; seq: number | null } | null {
  if (field === RECOMMENDATION_FIELD) return { kind: 'recommendation', seq: null };
  if (field === SUMMARY_FIELD) return { kind: 'summary', seq: null };
  const m = /^q([1-9][0-9]{0,4})\.(rating|comment)$/.exec(field);
  if (!m) return null;
  return { kind: m[2] as 'rating' | 'comment', seq: Number(m[1]) };
}

export const isTextKind = (kind: ScoreFieldKind): boolean => kind === 'comment' || kind === 'summary';

export const RECOMMENDATION_LABEL: Record<Recommendation, string> = {
  strong_no: 'Strong no',
  no: 'No',
  yes: 'Yes',
  strong_yes: 'Strong yes',
};

export function isRecommendation(v: unknown): v is Recommendation {
  return (RECOMMENDATIONS as readonly unknown[]).includes(v);
}

/** The value a field of `kind` holds when never set: "" for text, else null. */
export function unsetValue(kind: ScoreFieldKind): ScoreValue {
  return isTextKind(kind) ? '' : null;
}

/** A value as the field's control shows it (text fields: null shows as ""). */
export function normalizeValue(kind: ScoreFieldKind, value: ScoreValue): ScoreValue {
  return isTextKind(kind) && value === null ? '' : value;
}

/** A short description of a value, for notices ("3", "Strong yes", "“text…”", "nothing"). */
export function describeValue(kind: ScoreFieldKind, value: ScoreValue, max = 80): string {
  if (value === null || value === '') return 'nothing';
  if (kind === 'recommendation' && isRecommendation(value)) return RECOMMENDATION_LABEL[value];
  if (typeof value === 'number') return String(value);
  const text = value.length > max ? `${value.slice(0, max - 1)}…` : value;
  return `“${text}”`;
}

// ---------------------------------------------------------------------------------------------
// One field's state.

export interface InFlight {
  /** the request id (an `error` about it carries it as `ref`) */
  id: number;
  value: ScoreValue;
  expectRev: number;
}

export interface FieldConflict {
  /** the newer value someone else stored */
  value: ScoreValue;
  /** who stored it (null: not known, e.g. learnt from a welcome) */
  by: string | null;
}

export interface ScoreFieldState {
  kind: ScoreFieldKind;
  /** the server's value and revision, as last heard */
  value: ScoreValue;
  rev: number;
  by: string | null;
  /** what the field's control shows */
  local: ScoreValue;
  inflight: InFlight | null;
  /** someone else's newer value arrived over unconfirmed changes of ours: the user decides */
  conflict: FieldConflict | null;
}

export function newField(kind: ScoreFieldKind, entry?: ScoreEntry, by: string | null = null): ScoreFieldState {
  const value = entry ? normalizeValue(kind, entry.value) : unsetValue(kind);
  return { kind, value, rev: entry?.rev ?? 0, by: entry ? by : null, local: value, inflight: null, conflict: null };
}

/** Local changes the server does not have yet, and not being sent. */
export function unsent(s: ScoreFieldState): boolean {
  return s.local !== (s.inflight ? s.inflight.value : s.value);
}

/** The user has changes the server has not confirmed (typed, or on their way). */
export function hasLocalChanges(s: ScoreFieldState): boolean {
  return s.inflight !== null || s.local !== s.value;
}

/** The user changed the field's control. */
export function edit(s: ScoreFieldState, value: ScoreValue): ScoreFieldState {
  return { ...s, local: normalizeValue(s.kind, value) };
}

/**
 * What to send now, if anything: the shown value with the shown revision. Nothing while a set
 * of this field is in flight (it is sent after the confirmation), while a conflict waits for
 * the user, or when the server already has it.
 */
export function nextSend(s: ScoreFieldState): { value: ScoreValue; expectRev: number } | null {
  if (s.inflight || s.conflict || !unsent(s)) return null;
  return { value: s.local, expectRev: s.rev };
}

export function sent(s: ScoreFieldState, id: number, value: ScoreValue, expectRev: number): ScoreFieldState {
  return { ...s, inflight: { id, value, expectRev } };
}

export type RemoteOutcome =
  /** an old revision: nothing changed */
  | 'stale'
  /** our own set came back */
  | 'confirmed'
  /** the field now shows the new value */
  | 'adopted'
  /** the user's text was kept; the notice asks what to do */
  | 'conflict';

/**
 * A newer value from the server (`score`, or a welcome's entry with `by` null). `you` is our
 * participant id (our own sets come back to us too).
 */
export function remote(
  s: ScoreFieldState,
  msg: { value: ScoreValue; rev: number; by: string | null },
  you: string,
): { state: ScoreFieldState; outcome: RemoteOutcome } {
  if (msg.rev <= s.rev) return { state: s, outcome: 'stale' };
  const value = normalizeValue(s.kind, msg.value);
  const server = { value, rev: msg.rev, by: msg.by };
  const f = s.inflight;
  if (f && (msg.by === you || msg.by === null) && msg.rev === f.expectRev + 1 && value === f.value) {
    // Ours (a welcome does not say who: the same value at the next revision is taken as ours).
    return { state: { ...s, ...server, inflight: null }, outcome: 'confirmed' };
  }
  if (!hasLocalChanges(s) || s.local === value) {
    // Nothing of ours to lose (or the same value): show theirs. An in-flight set of ours is
    // now stale and will be refused with `conflict`, which then changes nothing.
    return { state: { ...s, ...server, local: value, conflict: null }, outcome: 'adopted' };
  }
  return { state: { ...s, ...server, conflict: { value, by: msg.by } }, outcome: 'conflict' };
}

/**
 * The in-flight set was refused with `conflict`: a newer value is already here. If what the
 * user has differs from it, the notice asks; otherwise there is nothing to decide.
 */
export function refusedAsStale(s: ScoreFieldState): ScoreFieldState {
  const next = { ...s, inflight: null };
  if (next.local === next.value) return { ...next, conflict: null };
  return { ...next, conflict: next.conflict ?? { value: next.value, by: next.by } };
}

/** The in-flight set was refused for another reason: it changed nothing; the text stays. */
export function refused(s: ScoreFieldState): ScoreFieldState {
  return { ...s, inflight: null };
}

/** "Use theirs": the field shows the server's value; the user's text is dropped. */
export function useTheirs(s: ScoreFieldState): ScoreFieldState {
  return { ...s, local: s.value, conflict: null };
}

/** "Keep mine": the user's value is sent again on top of the newer revision (see nextSend). */
export function keepMine(s: ScoreFieldState): ScoreFieldState {
  return { ...s, conflict: null };
}

/**
 * A welcome's entry for the field. After a reconnect, a set in flight on the old socket got no
 * answer (it stays in flight meanwhile, so nothing else is sent): the entry says whether it was
 * stored (the same value at the next revision) or not (sent again).
 */
export function fromWelcome(s: ScoreFieldState, entry: ScoreEntry | undefined, you: string): ScoreFieldState {
  const e = entry ?? { value: unsetValue(s.kind), rev: 0 };
  if (e.rev > s.rev) return remote(s, { value: e.value, rev: e.rev, by: null }, you).state;
  // Nothing newer: a set in flight was lost with the socket and is sent again.
  return { ...s, inflight: null };
}
