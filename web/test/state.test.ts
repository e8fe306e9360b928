import { describe, expect, it } from 'vitest';
import type { BankQuestion, Question, RoomTimers, TimerMessage, TimerName, TimerState, WelcomeMessage } from '../src/protocol';
import {
  BACKOFF_CAP_MS,
  applyMessage,
  backoffDelay,
  filterQuestions,
  mergeHistory,
  sortParticipants,
} from '../src/state';
import { newClientId, routeFor, tabClientId, webSocketUrl } from '../src/route';

const q = (seq: number, extra: Partial<Question> = {}): Question => ({
  seq,
  id: `q${seq}`,
  number: seq,
  text: `question ${seq}`,
  difficulty: 'easy',
  pushed_at: 1000 * seq,
  budget_ms: 600000,
  ...extra,
});

const idleTimer = (extra: Partial<TimerState> = {}): TimerState => ({
  state: 'idle', duration_ms: 600000, deadline: null, remaining_ms: 600000, rev: 0, warn_ms: [120000], ...extra,
});

const welcome = (current: Question | null, history: Question[], timers?: Partial<RoomTimers>): WelcomeMessage => ({
  type: 'welcome',
  role: 'candidate',
  you: 'p2',
  room: { id: 'r1', title: 'Mock interview', bank: { id: 'b', title: 'B' } },
  now: 1764000000000,
  state: {
    participants: [{ id: 'p2', name: 'Ada', role: 'candidate', connected: true }], current, history,
    timers: { interview: idleTimer({ duration_ms: 2700000, remaining_ms: 2700000 }), question: idleTimer({ question: null }), ...timers },
  },
});

const timerMsg = (timer: TimerName, extra: Partial<TimerMessage>): TimerMessage => ({
  type: 'timer', timer, ...idleTimer(timer === 'question' ? { question: 1 } : {}), cause: 'start', by: 'p1', ...extra,
});

describe('applyMessage', () => {
  it('welcome replaces everything, history newest first with the current one in it', () => {
    const old = applyMessage(null, welcome(q(1), [q(1)])).model;
    const { model, change } = applyMessage(old, welcome(q(3), [q(1), q(2)]));
    expect(change).toBe('all');
    expect(model?.current?.seq).toBe(3);
    expect(model?.history.map((x) => x.seq)).toEqual([3, 2, 1]);
    expect(model?.bank).toBeNull();
  });

  it('the notes highlighting comes from welcome (plain when absent) and notes.language', () => {
    let model = applyMessage(null, welcome(null, [])).model;
    expect(model?.language).toBe('plain');
    const w = welcome(null, []);
    model = applyMessage(null, { ...w, state: { ...w.state, language: 'markdown' } }).model;
    expect(model?.language).toBe('markdown');
    const next = applyMessage(model, { type: 'notes.language', language: 'python', by: 'p1' });
    expect(next.change).toBe('language');
    expect(next.model?.language).toBe('python');
  });

  it('a question becomes current and joins the history once', () => {
    let model = applyMessage(null, welcome(null, [])).model;
    model = applyMessage(model, { type: 'question', question: q(1) }).model;
    model = applyMessage(model, { type: 'question', question: q(2) }).model;
    model = applyMessage(model, { type: 'question', question: q(2) }).model;
    expect(model?.current?.seq).toBe(2);
    expect(model?.history.map((x) => x.seq)).toEqual([2, 1]);
  });

  it('an older push arriving late does not replace the current question', () => {
    let model = applyMessage(null, welcome(q(5), [q(5)])).model;
    model = applyMessage(model, { type: 'question', question: q(4) }).model;
    expect(model?.current?.seq).toBe(5);
    expect(model?.history.map((x) => x.seq)).toEqual([5, 4]);
  });

  it('presence replaces the participant list', () => {
    let model = applyMessage(null, welcome(null, [])).model;
    const r = applyMessage(model, { type: 'presence', participants: [] });
    model = r.model;
    expect(r.change).toBe('presence');
    expect(model?.participants).toEqual([]);
  });

  it('welcome brings both timers; timer messages replace one timer by rev', () => {
    let model = applyMessage(null, welcome(null, [])).model;
    expect(model?.timers.interview.duration_ms).toBe(2700000);
    const running = timerMsg('question', { state: 'running', deadline: 1764000600000, rev: 1, cause: 'push', by: 'p1' });
    let r = applyMessage(model, running);
    expect(r.change).toBe('timer');
    model = r.model;
    expect(model?.timers.question).toEqual({
      state: 'running', duration_ms: 600000, deadline: 1764000600000, remaining_ms: 600000, rev: 1, warn_ms: [120000], question: 1,
    });
    // The envelope is not part of the state.
    expect(model?.timers.question).not.toHaveProperty('cause');
    expect(model?.timers.interview.rev).toBe(0);
    // The interview timer keeps no question key.
    r = applyMessage(model, timerMsg('interview', { state: 'running', deadline: 1764002700000, rev: 1, cause: 'push' }));
    expect(r.model?.timers.interview).not.toHaveProperty('question');
  });

  it('a timer message with a lower rev arriving after a higher one is stale and ignored', () => {
    let model = applyMessage(null, welcome(null, [])).model;
    const paused = timerMsg('question', { state: 'paused', remaining_ms: 500000, rev: 5, cause: 'pause' });
    const running = timerMsg('question', { state: 'running', deadline: 1764000600000, rev: 4, cause: 'start' });
    model = applyMessage(model, paused).model;
    const r = applyMessage(model, running);
    expect(r.change).toBe('none');
    expect(r.model).toBe(model);
    expect(r.model?.timers.question.state).toBe('paused');
    // The same rev again is harmless; a higher one wins; other timers are untouched.
    expect(applyMessage(model, paused).model?.timers.question.rev).toBe(5);
    const resumed = applyMessage(model, timerMsg('question', { state: 'running', deadline: 1, rev: 6, cause: 'resume' })).model;
    expect(resumed?.timers.question.state).toBe('running');
    expect(resumed?.timers.interview).toBe(model?.timers.interview);
  });

  it('a welcome replaces the timers whatever their revs (the server is the authority)', () => {
    let model = applyMessage(null, welcome(null, [])).model;
    model = applyMessage(model, timerMsg('question', { state: 'paused', remaining_ms: 1000, rev: 9, cause: 'pause' })).model;
    model = applyMessage(model, welcome(null, [], { question: idleTimer({ rev: 2, question: null }) })).model;
    expect(model?.timers.question.rev).toBe(2);
  });

  it('a push records the time spent on the question it replaces', () => {
    let model = applyMessage(null, welcome(q(1), [q(1)])).model;
    model = applyMessage(model, { type: 'question', question: q(2), time_spent: { seq: 1, ms: 183000 } }).model;
    expect(model?.history.find((x) => x.seq === 1)?.time_spent_ms).toBe(183000);
    expect(model?.history.find((x) => x.seq === 2)).not.toHaveProperty('time_spent_ms');
    expect(model?.current?.seq).toBe(2);
  });

  it('a welcome without the ending keys means: not ended, not revealed, no scorecard', () => {
    const model = applyMessage(null, welcome(q(1), [q(1)])).model;
    expect(model?.endedAt).toBeNull();
    expect(model?.endedBy).toBeNull();
    expect(model?.revealed).toBe(false);
    expect(model?.scorecard).toEqual({});
  });

  it('a welcome brings ended_at, revealed and the scorecard', () => {
    const w = welcome(q(1), [q(1)]);
    const model = applyMessage(null, { ...w, role: 'interviewer', state: { ...w.state, ended_at: 1764003000000, revealed: true,
      scorecard: { 'q1.rating': { value: 3, rev: 2 } } } }).model;
    expect(model?.endedAt).toBe(1764003000000);
    expect(model?.revealed).toBe(true);
    expect(model?.scorecard['q1.rating']).toEqual({ value: 3, rev: 2, by: null });
  });

  it('ended records when and by whom, once', () => {
    let model = applyMessage(null, welcome(q(1), [q(1)])).model;
    let r = applyMessage(model, { type: 'ended', at: 1764003000000, by: 'p1' });
    expect(r.change).toBe('ended');
    model = r.model;
    expect(model?.endedAt).toBe(1764003000000);
    expect(model?.endedBy).toBe('p1');
    r = applyMessage(model, { type: 'ended', at: 1764003999999, by: 'p3' });
    expect(r.change).toBe('none');
    expect(r.model?.endedAt).toBe(1764003000000);
    // A reconnect's welcome keeps who ended it.
    const w = welcome(q(1), [q(1)]);
    const again = applyMessage(model, { ...w, state: { ...w.state, ended_at: 1764003000000 } }).model;
    expect(again?.endedBy).toBe('p1');
  });

  it('revealed puts each sample answer into its question, current and history', () => {
    let model = applyMessage(null, welcome(q(2), [q(1), q(2)])).model;
    const r = applyMessage(model, { type: 'revealed', answers: [{ seq: 1, sample_answer: 'one' }, { seq: 2, sample_answer: '' }] });
    expect(r.change).toBe('revealed');
    model = r.model;
    expect(model?.revealed).toBe(true);
    expect(model?.current?.sample_answer).toBe('');
    expect(model?.history.map((x) => x.sample_answer)).toEqual(['', 'one']);
  });

  it('score sets a field by rev; a stale rev is ignored', () => {
    let model = applyMessage(null, welcome(q(1), [q(1)])).model;
    let r = applyMessage(model, { type: 'score', field: 'q1.rating', value: 3, rev: 1, by: 'p1' });
    expect(r.change).toBe('score');
    model = r.model;
    r = applyMessage(model, { type: 'score', field: 'q1.rating', value: 4, rev: 3, by: 'p3' });
    model = r.model;
    expect(model?.scorecard['q1.rating']).toEqual({ value: 4, rev: 3, by: 'p3' });
    // Older (or the same) revision arriving late: nothing changes.
    for (const rev of [2, 3]) {
      r = applyMessage(model, { type: 'score', field: 'q1.rating', value: 1, rev, by: 'p1' });
      expect(r.change).toBe('none');
      expect(r.model).toBe(model);
    }
    // Other fields are independent.
    r = applyMessage(model, { type: 'score', field: 'summary', value: 'ok', rev: 1, by: 'p1' });
    expect(r.model?.scorecard.summary?.value).toBe('ok');
    expect(r.model?.scorecard['q1.rating']?.rev).toBe(3);
  });

  it('ignores room messages before the welcome', () => {
    expect(applyMessage(null, { type: 'ended', at: 1, by: 'p1' })).toEqual({ model: null, change: 'none' });
    expect(applyMessage(null, { type: 'score', field: 'summary', value: '', rev: 1, by: 'p1' })).toEqual({ model: null, change: 'none' });
    expect(applyMessage(null, timerMsg('question', {}))).toEqual({ model: null, change: 'none' });
    expect(applyMessage(null, { type: 'question', question: q(1) })).toEqual({ model: null, change: 'none' });
  });
});

describe('mergeHistory', () => {
  it('dedupes by seq and sorts newest first', () => {
    expect(mergeHistory([q(1), q(3)], q(2), null, q(3)).map((x) => x.seq)).toEqual([3, 2, 1]);
  });
});

describe('filterQuestions', () => {
  const bank: BankQuestion[] = [
    { id: 'q1', number: 1, text: 'Lists or tuples?', difficulty: 'easy', budget_ms: 300000, sample_answer: 'Tuples are immutable.' },
    { id: 'q2', number: 2, text: 'Debug production issues', difficulty: 'hard', budget_ms: 900000, sample_answer: 'Logs, then reproduce.' },
    { id: 'q3', number: 3, text: 'Django or Flask?', difficulty: 'medium', budget_ms: 600000, sample_answer: 'Depends on the ORM needs.' },
  ];
  const ids = (qs: BankQuestion[]): string[] => qs.map((x) => x.id);

  it('without query or filter returns everything', () => {
    expect(ids(filterQuestions(bank, '  ', 'all'))).toEqual(['q1', 'q2', 'q3']);
  });
  it('searches question text and sample answer, case-insensitively, all words', () => {
    expect(ids(filterQuestions(bank, 'DJANGO', 'all'))).toEqual(['q3']);
    expect(ids(filterQuestions(bank, 'immutable', 'all'))).toEqual(['q1']);
    expect(ids(filterQuestions(bank, 'logs reproduce', 'all'))).toEqual(['q2']);
    expect(ids(filterQuestions(bank, 'logs django', 'all'))).toEqual([]);
  });
  it('filters by difficulty, combined with the search', () => {
    expect(ids(filterQuestions(bank, '', 'hard'))).toEqual(['q2']);
    expect(ids(filterQuestions(bank, 'tuples', 'hard'))).toEqual([]);
  });
});

describe('sortParticipants', () => {
  it('lists connected people first, then by role and name', () => {
    const sorted = sortParticipants([
      { id: 'p3', name: 'Zed', role: 'observer', connected: true },
      { id: 'p4', name: 'Old', role: 'candidate', connected: false },
      { id: 'p2', name: 'Ada', role: 'candidate', connected: true },
      { id: 'p1', name: 'Grace', role: 'interviewer', connected: true },
    ]);
    expect(sorted.map((p) => p.id)).toEqual(['p1', 'p2', 'p3', 'p4']);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially with jitter between half and all of each step', () => {
    expect(backoffDelay(0, 0)).toBe(250);
    expect(backoffDelay(0, 0.999999)).toBe(500);
    expect(backoffDelay(1, 0)).toBe(500);
    expect(backoffDelay(3, 0.5)).toBe(3000);
  });
  it('is capped near 10 s', () => {
    for (const attempt of [5, 6, 10, 50, 1e6]) {
      for (const r of [0, 0.5, 0.9999]) {
        const d = backoffDelay(attempt, r);
        expect(d).toBeGreaterThanOrEqual(BACKOFF_CAP_MS / 2);
        expect(d).toBeLessThanOrEqual(BACKOFF_CAP_MS);
      }
    }
  });
});

describe('routing and identity', () => {
  it('routes /room/ID with the token from the fragment', () => {
    expect(routeFor('/room/k3x9q2m7tz4c', '#token=abc_-123')).toEqual({ page: 'room', room: 'k3x9q2m7tz4c', token: 'abc_-123' });
    expect(routeFor('/room/k3x9q2m7tz4c/', '')).toEqual({ page: 'room', room: 'k3x9q2m7tz4c', token: null });
    expect(routeFor('/', '#token=x')).toEqual({ page: 'landing' });
    expect(routeFor('/room/a/b', '#token=x')).toEqual({ page: 'landing' });
  });

  it('builds the WebSocket URL on the page host', () => {
    expect(webSocketUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/ws');
    expect(webSocketUrl({ protocol: 'https:', host: 'interviews.example.com' })).toBe('wss://interviews.example.com/ws');
  });

  it('makes client ids the server accepts, and keeps one per tab', () => {
    const id = newClientId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(newClientId()).not.toBe(id);
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
    } as unknown as Storage;
    const first = tabClientId(storage);
    expect(tabClientId(storage)).toBe(first);
  });
});
