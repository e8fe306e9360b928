// The scorecard's per-field rules: several interviewers edit at once and nothing is lost.

import { describe, expect, it } from 'vitest';
import {
  describeValue,
  edit,
  fromWelcome,
  hasLocalChanges,
  keepMine,
  newField,
  nextSend,
  parseScoreField,
  refused,
  refusedAsStale,
  remote,
  sent,
  unsent,
  useTheirs,
  type ScoreFieldState,
} from '../src/scorecard';

const ME = 'p1';
const OTHER = 'p3';

/** Types `text` and sends it as the field's client would; returns the state with it in flight. */
function typeAndSend(s: ScoreFieldState, text: string, id: number): ScoreFieldState {
  const edited = edit(s, text);
  const out = nextSend(edited);
  expect(out).not.toBeNull();
  return sent(edited, id, out!.value, out!.expectRev);
}

describe('field names', () => {
  it('knows the four kinds of field', () => {
    expect(parseScoreField('q1.rating')).toEqual({ kind: 'rating', seq: 1 });
    expect(parseScoreField('q12.comment')).toEqual({ kind: 'comment', seq: 12 });
    expect(parseScoreField('recommendation')).toEqual({ kind: 'recommendation', seq: null });
    expect(parseScoreField('summary')).toEqual({ kind: 'summary', seq: null });
    for (const bad of ['q0.rating', 'q01.rating', 'q1.score', 'q1', 'rating', 'qx.comment', '']) {
      expect(parseScoreField(bad)).toBeNull();
    }
  });

  it('describes values for the notice', () => {
    expect(describeValue('rating', 3)).toBe('3');
    expect(describeValue('recommendation', 'strong_yes')).toBe('Strong yes');
    expect(describeValue('comment', '')).toBe('nothing');
    expect(describeValue('comment', 'x'.repeat(100), 10)).toBe(`“${'x'.repeat(9)}…”`);
  });
});

describe('one field', () => {
  it('starts from the server (text fields unset are empty text) and sends with the shown rev', () => {
    const fresh = newField('comment');
    expect(fresh).toMatchObject({ value: '', rev: 0, local: '' });
    expect(nextSend(fresh)).toBeNull();
    const s = edit(newField('comment', { value: 'old', rev: 4 }), 'new');
    expect(nextSend(s)).toEqual({ value: 'new', expectRev: 4 });
    expect(newField('rating')).toMatchObject({ value: null, rev: 0, local: null });
  });

  it('keeps one set in flight; what is typed meanwhile goes after the confirmation, with the new rev', () => {
    let s = typeAndSend(newField('summary'), 'first', 1);
    s = edit(s, 'first and more');
    expect(nextSend(s)).toBeNull(); // waits for the first
    const r = remote(s, { value: 'first', rev: 1, by: ME }, ME);
    expect(r.outcome).toBe('confirmed');
    expect(r.state.local).toBe('first and more');
    expect(nextSend(r.state)).toEqual({ value: 'first and more', expectRev: 1 });
  });

  it('a confirmation with nothing more typed leaves nothing to send', () => {
    const s = typeAndSend(newField('comment'), 'x', 1);
    const r = remote(edit(s, 'x'), { value: 'x', rev: 1, by: ME }, ME);
    expect(r.outcome).toBe('confirmed');
    expect(hasLocalChanges(r.state)).toBe(false);
    expect(nextSend(r.state)).toBeNull();
  });

  it('someone else\'s value replaces the field when the user has no unsent change', () => {
    const s = newField('comment', { value: 'a', rev: 1 });
    const r = remote(s, { value: 'b', rev: 2, by: OTHER }, ME);
    expect(r.outcome).toBe('adopted');
    expect(r.state).toMatchObject({ value: 'b', rev: 2, by: OTHER, local: 'b', conflict: null });
  });

  it('an old revision is stale and changes nothing', () => {
    const s = newField('comment', { value: 'a', rev: 5 });
    for (const rev of [4, 5]) {
      const r = remote(s, { value: 'zzz', rev, by: OTHER }, ME);
      expect(r.outcome).toBe('stale');
      expect(r.state).toBe(s);
    }
  });

  it('over unsent typing, someone else\'s value keeps the user\'s text and raises the notice', () => {
    const s = edit(newField('comment', { value: 'a', rev: 1 }), 'mine');
    const r = remote(s, { value: 'theirs', rev: 2, by: OTHER }, ME);
    expect(r.outcome).toBe('conflict');
    expect(r.state.local).toBe('mine');
    expect(r.state.rev).toBe(2);
    expect(r.state.conflict).toEqual({ value: 'theirs', by: OTHER });
    // Nothing is sent while the user decides.
    expect(nextSend(r.state)).toBeNull();
  });

  it('the same race seen from the loser: their value first, then `conflict` for our set — one notice', () => {
    let s = typeAndSend(newField('comment'), 'mine', 7);
    const r = remote(s, { value: 'theirs', rev: 1, by: OTHER }, ME);
    expect(r.outcome).toBe('conflict');
    s = refusedAsStale(r.state);
    expect(s.inflight).toBeNull();
    expect(s.conflict).toEqual({ value: 'theirs', by: OTHER });
    expect(s.local).toBe('mine');
  });

  it('a `conflict` with no notice yet raises it with the newer value already here', () => {
    // The newer value arrived while the user had nothing unsent... then they typed and sent on the old rev.
    let s: ScoreFieldState = { ...newField('summary', { value: 'v2', rev: 2 }), by: OTHER, local: 'mine',
      inflight: { id: 3, value: 'mine', expectRev: 1 } };
    s = refusedAsStale(s);
    expect(s.conflict).toEqual({ value: 'v2', by: OTHER });
    // When the user's text equals the newer value there is nothing to decide.
    const same = refusedAsStale({ ...s, local: 'v2', conflict: null, inflight: { id: 4, value: 'v2', expectRev: 1 } });
    expect(same.conflict).toBeNull();
  });

  it('"use theirs" drops the user\'s text; "keep mine" sends it on top of the newer rev', () => {
    const s = remote(edit(newField('comment'), 'mine'), { value: 'theirs', rev: 3, by: OTHER }, ME).state;
    const theirs = useTheirs(s);
    expect(theirs).toMatchObject({ local: 'theirs', conflict: null });
    expect(nextSend(theirs)).toBeNull();
    const mine = keepMine(s);
    expect(mine.conflict).toBeNull();
    expect(nextSend(mine)).toEqual({ value: 'mine', expectRev: 3 });
  });

  it('the same value from someone else is simply taken', () => {
    const s = edit(newField('recommendation'), 'yes');
    const r = remote(s, { value: 'yes', rev: 1, by: OTHER }, ME);
    expect(r.outcome).toBe('adopted');
    expect(r.state.conflict).toBeNull();
    expect(unsent(r.state)).toBe(false);
  });

  it('a refusal for another reason keeps the text unsent (sent again on the next edit)', () => {
    const s = refused(typeAndSend(newField('summary'), 'x'.repeat(5), 2));
    expect(s.inflight).toBeNull();
    expect(s.local).toBe('xxxxx');
    expect(nextSend(s)).toEqual({ value: 'xxxxx', expectRev: 0 });
  });

  it('after a reconnect, the welcome tells whether the lost set was stored', () => {
    const inflight = typeAndSend(newField('comment', { value: 'a', rev: 1 }), 'b', 5);
    // Stored: the same value at the next revision.
    const stored = fromWelcome(inflight, { value: 'b', rev: 2 }, ME);
    expect(stored).toMatchObject({ value: 'b', rev: 2, local: 'b', inflight: null, conflict: null });
    // Not stored: sent again.
    const lost = fromWelcome(inflight, { value: 'a', rev: 1 }, ME);
    expect(lost.inflight).toBeNull();
    expect(nextSend(lost)).toEqual({ value: 'b', expectRev: 1 });
    // Someone else changed it meanwhile: the notice.
    const raced = fromWelcome(inflight, { value: 'c', rev: 2 }, ME);
    expect(raced.conflict).toEqual({ value: 'c', by: null });
    expect(raced.local).toBe('b');
    // A field never set is rev 0.
    expect(fromWelcome(newField('rating'), undefined, ME)).toMatchObject({ value: null, rev: 0 });
  });
});
