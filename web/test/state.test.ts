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

  it('ignores room messages before the welcome', () => {
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
