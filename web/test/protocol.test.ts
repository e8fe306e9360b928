// The client's decoder and builders against the golden examples in shared/protocol/examples.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  createRoomRequest,
  cursorMessage,
  endInterview,
  revealAnswers,
  setScore,
  helloMessage,
  httpErrorMessage,
  leaveMessage,
  notesPull,
  notesPush,
  parseBanksResponse,
  parseCreatedRoom,
  parseServerMessage,
  pingMessage,
  pushBankQuestion,
  pushCustomQuestion,
  setNotesLanguage,
  timerCommand,
  validateName,
  type ClientMessage,
} from '../src/protocol';

const EXAMPLES = fileURLToPath(new URL('../../shared/protocol/examples/', import.meta.url));
const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort();
const read = (name: string): string => readFileSync(path.join(EXAMPLES, name), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (name: string): any => JSON.parse(read(name));

const s2c = files.filter((f) => f.startsWith('s2c.'));
const c2s = files.filter((f) => f.startsWith('c2s.'));

/** The shape of a JSON value: same keys (recursively) and same JSON types. */
function shape(v: unknown): unknown {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.map(shape);
  if (typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape((v as Record<string, unknown>)[k])]));
  }
  return typeof v;
}

describe('server examples (s2c.*)', () => {
  it('exist for every message the client reads', () => {
    const types = new Set(s2c.map((f) => f.split('.')[1]));
    for (const t of ['welcome', 'question', 'presence', 'pong', 'error', 'notes', 'cursor', 'timer', 'ended', 'revealed', 'score']) {
      expect(types).toContain(t);
    }
    for (const f of ['s2c.notes.updates.json', 's2c.notes.snapshot.json', 's2c.cursor.json', 's2c.notes.language.json']) {
      expect(s2c).toContain(f);
    }
  });

  it.each(s2c)('%s is accepted with the type its name says', (file) => {
    const msg = parseServerMessage(read(file));
    expect(msg, `${file} was rejected`).not.toBeNull();
    expect(file.startsWith(`s2c.${msg!.type}.`)).toBe(true);
    // Decoding keeps the whole message.
    expect(msg).toEqual(json(file));
  });

  it.each(s2c.filter((f) => /\.(candidate|observer)\./.test(f)))('%s carries no bank and no sample answer', (file) => {
    const text = read(file);
    expect(text).not.toContain('sample_answer');
    const msg = parseServerMessage(text);
    if (msg?.type === 'welcome') expect(msg.state.bank).toBeUndefined();
  });

  it('decodes the interviewer welcome with its bank', () => {
    const file = s2c.find((f) => f.startsWith('s2c.welcome.interviewer'));
    expect(file).toBeDefined();
    const msg = parseServerMessage(read(file!));
    expect(msg?.type).toBe('welcome');
    if (msg?.type !== 'welcome') return;
    expect(msg.role).toBe('interviewer');
    expect(msg.state.bank?.questions.length).toBeGreaterThan(0);
    for (const q of msg.state.bank!.questions) expect(typeof q.sample_answer).toBe('string');
    for (const q of msg.state.bank!.questions) expect(q.budget_ms).toBeGreaterThan(0);
  });

  it('decodes the server clock and both timers of a welcome', () => {
    for (const file of s2c.filter((f) => f.startsWith('s2c.welcome.'))) {
      const msg = parseServerMessage(read(file));
      if (msg?.type !== 'welcome') throw new Error(`${file} is not a welcome`);
      expect(msg.now).toBe(json(file).now);
      expect(msg.state.timers.interview.state).toBe(json(file).state.timers.interview.state);
      expect(msg.state.timers.interview).not.toHaveProperty('question');
      expect(msg.state.timers.question.question).toBe(json(file).state.timers.question.question);
      expect(msg.state.current?.budget_ms).toBeGreaterThan(0);
    }
  });

  it('gives interviewers the time spent per question, and nobody else', () => {
    const interviewer = parseServerMessage(read('s2c.welcome.interviewer.json'));
    const candidate = parseServerMessage(read('s2c.welcome.candidate.json'));
    if (interviewer?.type !== 'welcome' || candidate?.type !== 'welcome') throw new Error('not welcomes');
    expect(interviewer.state.history[0]?.time_spent_ms).toBe(60000);
    expect(candidate.state.history[0]).not.toHaveProperty('time_spent_ms');
    const spent = { ...json('s2c.question.interviewer.json'), time_spent: { seq: 1, ms: 183000 } };
    const msg = parseServerMessage(JSON.stringify(spent));
    expect(msg?.type === 'question' && msg.time_spent).toEqual({ seq: 1, ms: 183000 });
  });

  it('decodes timer messages: the example and the server\'s expiry', () => {
    const timer = parseServerMessage(read('s2c.timer.json'));
    const ex = json('s2c.timer.json');
    expect(timer).toMatchObject({ type: 'timer', timer: ex.timer, state: ex.state, rev: ex.rev, cause: ex.cause, by: ex.by });
    const expired = parseServerMessage(read('s2c.timer.expired.json'));
    expect(expired).toMatchObject({ type: 'timer', timer: 'interview', state: 'expired', remaining_ms: 0, by: null });
  });
});

describe('ending, the debrief and the scorecard', () => {
  const candidateWelcome = json('s2c.welcome.candidate.json');
  const interviewerWelcome = json('s2c.welcome.interviewer.json');
  const withState = (w: any, extra: Record<string, unknown>): string => JSON.stringify({ ...w, state: { ...w.state, ...extra } });

  it('decodes ended, revealed and score as the examples show them', () => {
    expect(parseServerMessage(read('s2c.ended.json'))).toEqual({ type: 'ended', at: 1764003000000, by: 'p1' });
    const revealed = parseServerMessage(read('s2c.revealed.json'));
    expect(revealed?.type === 'revealed' && revealed.answers.map((a) => a.seq)).toEqual([1, 2]);
    expect(revealed?.type === 'revealed' && revealed.answers[1]?.sample_answer).toBe('');
    expect(parseServerMessage(read('s2c.score.json'))).toEqual({ type: 'score', field: 'q1.rating', value: 3, rev: 1, by: 'p1' });
  });

  it('accepts score values of every kind: a rating, text, a recommendation, null', () => {
    for (const [field, value] of [['q1.rating', 4], ['q1.comment', 'Clear answer.'], ['recommendation', 'strong_yes'],
      ['recommendation', null], ['summary', '']] as const) {
      const msg = parseServerMessage(JSON.stringify({ type: 'score', field, value, rev: 2, by: 'p3' }));
      expect(msg).toEqual({ type: 'score', field, value, rev: 2, by: 'p3' });
    }
  });

  it('reads ended_at, revealed and (for interviewers) the scorecard of a welcome', () => {
    const ended = parseServerMessage(withState(candidateWelcome, { ended_at: 1764003000000, revealed: true }));
    expect(ended?.type === 'welcome' && ended.state.ended_at).toBe(1764003000000);
    expect(ended?.type === 'welcome' && ended.state.revealed).toBe(true);
    const open = parseServerMessage(withState(candidateWelcome, { ended_at: null, revealed: false }));
    expect(open?.type === 'welcome' && open.state.ended_at).toBeNull();
    const scorecard = { 'q1.rating': { value: 3, rev: 1 }, summary: { value: 'Strong on debugging.', rev: 4 },
      recommendation: { value: null, rev: 2 } };
    const iw = parseServerMessage(withState(interviewerWelcome, { ended_at: null, revealed: false, scorecard }));
    expect(iw?.type === 'welcome' && iw.state.scorecard).toEqual(scorecard);
    const empty = parseServerMessage(withState(interviewerWelcome, { ended_at: null, revealed: false, scorecard: {} }));
    expect(empty?.type === 'welcome' && empty.state.scorecard).toEqual({});
  });

  it('the golden welcomes decode with or without the ending keys', () => {
    for (const file of ['s2c.welcome.candidate.json', 's2c.welcome.interviewer.json']) {
      const w = json(file);
      const without = { ...w, state: Object.fromEntries(Object.entries(w.state).filter(
        ([k]) => !['ended_at', 'revealed', 'scorecard'].includes(k))) };
      expect(parseServerMessage(JSON.stringify(without))?.type).toBe('welcome');
      expect(parseServerMessage(read(file))?.type).toBe('welcome');
    }
    // If the golden candidate welcome has the keys, it has no scorecard.
    expect(candidateWelcome.state).not.toHaveProperty('scorecard');
  });

  it('accepts a candidate\'s question carrying its sample answer once revealed', () => {
    const q = { ...json('s2c.question.candidate.json').question, sample_answer: 'Logs first.' };
    const msg = parseServerMessage(withState(candidateWelcome, { current: q, history: [q], ended_at: 1, revealed: true }));
    expect(msg?.type === 'welcome' && msg.state.history[0]?.sample_answer).toBe('Logs first.');
  });

  it('accepts the timers paused by the end (cause "end", which the server sends)', () => {
    const paused = { ...json('s2c.timer.json'), state: 'paused', deadline: null, cause: 'end', by: 'p1' };
    expect(parseServerMessage(JSON.stringify(paused))?.type).toBe('timer');
  });

  it.each([
    ['ended without at', '{"type":"ended","by":"p1"}'],
    ['ended with a string at', '{"type":"ended","at":"1764003000000","by":"p1"}'],
    ['ended without by', '{"type":"ended","at":1764003000000}'],
    ['revealed without answers', '{"type":"revealed"}'],
    ['revealed answer without sample_answer', '{"type":"revealed","answers":[{"seq":1}]}'],
    ['revealed answer with a string seq', '{"type":"revealed","answers":[{"seq":"1","sample_answer":""}]}'],
    ['score without rev', '{"type":"score","field":"summary","value":"x","by":"p1"}'],
    ['score with a negative rev', '{"type":"score","field":"summary","value":"x","rev":-1,"by":"p1"}'],
    ['score with an object value', '{"type":"score","field":"summary","value":{"a":1},"rev":1,"by":"p1"}'],
    ['score with a fractional value', '{"type":"score","field":"q1.rating","value":2.5,"rev":1,"by":"p1"}'],
    ['score without field', '{"type":"score","value":1,"rev":1,"by":"p1"}'],
    ['a welcome with a string ended_at', withState(candidateWelcome, { ended_at: 'yesterday' })],
    ['a welcome with revealed not a boolean', withState(candidateWelcome, { revealed: 1 })],
    ['a welcome with a scorecard entry without rev', withState(interviewerWelcome, { scorecard: { summary: { value: 'x' } } })],
    ['a welcome with a scorecard that is a list', withState(interviewerWelcome, { scorecard: [] })],
  ])('rejects %s', (_why, text) => {
    expect(parseServerMessage(text)).toBeNull();
  });
});

describe('timer messages are checked strictly', () => {
  // The example as a running question timer, whatever state the example file shows.
  const base = { ...json('s2c.timer.json'), timer: 'question', state: 'running', deadline: 1764000660000, question: 2 };
  const variant = (change: Record<string, unknown>): string => JSON.stringify({ ...base, ...change });
  const idle = { state: 'idle', deadline: null, remaining_ms: 600000 };

  it.each([
    ['an unknown timer', variant({ timer: 'lap' })],
    ['an unknown state', variant({ state: 'frozen' })],
    ['an unknown cause', variant({ cause: 'magic' })],
    ['running without a deadline', variant({ deadline: null })],
    ['paused with a deadline', variant({ state: 'paused' })],
    ['a fractional deadline', variant({ deadline: 1764000660000.5 })],
    ['a negative remaining_ms', variant({ remaining_ms: -1 })],
    ['a string rev', variant({ rev: '4' })],
    ['a zero warning threshold', variant({ warn_ms: [0] })],
    ['warn_ms that is not a list', variant({ warn_ms: 120000 })],
    ['a question timer without question', JSON.stringify(Object.fromEntries(Object.entries(base).filter(([k]) => k !== 'question')))],
    ['an interview timer naming a question', variant({ timer: 'interview', question: 2 })],
    ['a numeric by', variant({ by: 1 })],
    ['a welcome without now', JSON.stringify({ ...json('s2c.welcome.candidate.json'), now: undefined })],
    ['a welcome without timers', JSON.stringify({ ...json('s2c.welcome.candidate.json'),
      state: { ...json('s2c.welcome.candidate.json').state, timers: undefined } })],
    ['a question without budget_ms', JSON.stringify({ type: 'question', question: {
      ...json('s2c.question.candidate.json').question, budget_ms: undefined } })],
    ['a bank question without budget_ms', JSON.stringify({ ...json('s2c.welcome.interviewer.json'), state: {
      ...json('s2c.welcome.interviewer.json').state,
      bank: { ...json('s2c.welcome.interviewer.json').state.bank, questions: [{ id: 'q1', number: 1, text: 't',
        difficulty: 'easy', sample_answer: 'a' }] } } })],
    ['time_spent without ms', JSON.stringify({ ...json('s2c.question.interviewer.json'), time_spent: { seq: 1 } })],
  ])('rejects %s', (_why, text) => {
    expect(parseServerMessage(text)).toBeNull();
  });

  it('accepts idle and paused timers (no deadline), and a question timer before the first push', () => {
    expect(parseServerMessage(variant(idle))?.type).toBe('timer');
    expect(parseServerMessage(variant({ ...idle, state: 'paused' }))?.type).toBe('timer');
    expect(parseServerMessage(variant({ ...idle, question: null, cause: 'reset', warn_ms: [] }))?.type).toBe('timer');
    expect(parseServerMessage(variant({ timer: 'interview', question: undefined, cause: 'push' }))?.type).toBe('timer');
  });
});

describe('parseServerMessage rejects what it cannot use', () => {
  it.each([
    ['not JSON', '{"type":'],
    ['not an object', '[1,2]'],
    ['no type', '{"participants":[]}'],
    ['unknown type', '{"type":"gossip"}'],
    ['bad difficulty', JSON.stringify({ type: 'question', question: { seq: 1, id: 'q1', number: 1, text: 't', difficulty: 'extreme', pushed_at: 1 } })],
    ['missing text', JSON.stringify({ type: 'question', question: { seq: 1, id: 'q1', number: 1, difficulty: 'easy', pushed_at: 1 } })],
    ['string seq', JSON.stringify({ type: 'question', question: { seq: '1', id: 'q1', number: 1, text: 't', difficulty: 'easy', pushed_at: 1 } })],
    ['bad role', JSON.stringify({ type: 'presence', participants: [{ id: 'p1', name: 'A', role: 'admin', connected: true }] })],
    ['error without message', '{"type":"error","code":"internal"}'],
    ['updates of an unknown doc', '{"type":"notes.updates","doc":"secret","from":0,"updates":[]}'],
    ['updates with a negative from', '{"type":"notes.updates","doc":"shared","from":-1,"updates":[]}'],
    ['update without clientID', '{"type":"notes.updates","doc":"shared","from":0,"updates":[{"changes":[1]}]}'],
    ['change with a string length', '{"type":"notes.updates","doc":"shared","from":0,"updates":[{"clientID":"c","changes":["1"]}]}'],
    ['change with a number as text', '{"type":"notes.updates","doc":"shared","from":0,"updates":[{"clientID":"c","changes":[[0,5]]}]}'],
    ['change with an empty replace', '{"type":"notes.updates","doc":"shared","from":0,"updates":[{"clientID":"c","changes":[[]]}]}'],
    ['snapshot without text', '{"type":"notes.snapshot","doc":"shared","version":1}'],
    ['cursor without participant', '{"type":"cursor","doc":"shared","version":1,"ranges":[]}'],
    ['cursor with a bad range', '{"type":"cursor","doc":"shared","version":1,"participant":"p1","ranges":[[1]]}'],
    ['unknown language', '{"type":"notes.language","language":"cobol","by":"p1"}'],
    ['welcome with an unknown language', JSON.stringify({ ...JSON.parse(read('s2c.welcome.candidate.json')),
      state: { ...JSON.parse(read('s2c.welcome.candidate.json')).state, language: 'cobol' } })],
  ])('%s', (_why, text) => {
    expect(parseServerMessage(text)).toBeNull();
  });

  it('accepts extra fields (forward compatible)', () => {
    const msg = parseServerMessage('{"type":"error","code":"internal","message":"m","extra":{"x":1}}');
    expect(msg?.type).toBe('error');
  });

  it('accepts a custom question (number null)', () => {
    const q = { seq: 2, id: 'custom-2', number: null, text: 'Explain the GIL.', difficulty: 'hard', pushed_at: 5, budget_ms: 900000 };
    expect(parseServerMessage(JSON.stringify({ type: 'question', question: q }))).toEqual({ type: 'question', question: q });
  });
});

// Every client example has a builder that reproduces it from the example's own values.
const builders: Record<string, (ex: any) => ClientMessage> = {
  'c2s.hello.json': (ex) => helloMessage(ex.room, ex.token, ex.name, ex.client, ex.notes),
  'c2s.notes.push.json': (ex) => notesPush(ex.doc, ex.version, ex.updates, ex.id),
  'c2s.notes.pull.json': (ex) => notesPull(ex.doc, ex.version),
  'c2s.cursor.json': (ex) => cursorMessage(ex.doc, ex.version, ex.ranges),
  'c2s.notes.language.json': (ex) => setNotesLanguage(ex.language, ex.id),
  'c2s.question.push.bank.json': (ex) => pushBankQuestion(ex.question, ex.id),
  'c2s.question.push.budget.json': (ex) => pushBankQuestion(ex.question, ex.id, ex.budget_ms),
  'c2s.timer.command.json': (ex) => timerCommand(ex.timer, ex.command, ex.expect_rev, ex.ms, ex.id),
  'c2s.question.push.custom.json': (ex) => pushCustomQuestion(ex.custom.text, ex.custom.difficulty, ex.id),
  'c2s.ping.json': (ex) => pingMessage(ex.id, ex.t0),
  'c2s.score.set.json': (ex) => setScore(ex.field, ex.value, ex.expect_rev, ex.id),
  // Not in examples/ yet; ready for when they are.
  'c2s.room.end.json': (ex) => endInterview(ex.id),
  'c2s.room.reveal.json': (ex) => revealAnswers(ex.id),
  'c2s.leave.json': () => leaveMessage(),
};

describe('client examples (c2s.*)', () => {
  it('exist for hello and both pushes', () => {
    for (const f of ['c2s.hello.json', 'c2s.question.push.bank.json', 'c2s.question.push.custom.json']) {
      expect(c2s).toContain(f);
    }
  });

  it.each(c2s)('%s is what the client builds (same keys and types)', (file) => {
    const build = builders[file];
    expect(build, `no builder for ${file}`).toBeDefined();
    const example = json(file);
    const built = build!(example);
    expect(shape(built)).toEqual(shape(example));
    expect(built).toEqual(example);
  });

  it('hello names notes versions only when the client holds some', () => {
    expect(helloMessage('r', 't', 'n', 'c')).not.toHaveProperty('notes');
    expect(helloMessage('r', 't', 'n', 'c', {})).not.toHaveProperty('notes');
    expect(helloMessage('r', 't', 'n', 'c', { shared: 12, private: 3 }).notes).toEqual({ shared: 12, private: 3 });
  });

  it('leaves out the request id when there is none', () => {
    expect(pushBankQuestion('q1')).toEqual({ type: 'question.push', question: 'q1' });
    expect(Object.keys(pushCustomQuestion('t', 'easy'))).toEqual(['type', 'custom']);
    expect(pushCustomQuestion('t', 'easy', 3)).toEqual({ type: 'question.push', id: 3, custom: { text: 't', difficulty: 'easy' } });
  });

  it('puts budget_ms in a push only when given', () => {
    expect(pushBankQuestion('q1', 2)).not.toHaveProperty('budget_ms');
    expect(pushBankQuestion('q1', 2, 420000)).toEqual({ type: 'question.push', id: 2, question: 'q1', budget_ms: 420000 });
    expect(pushCustomQuestion('t', 'hard', 4, 2000)).toEqual(
      { type: 'question.push', id: 4, custom: { text: 't', difficulty: 'hard' }, budget_ms: 2000 });
  });

  it('builds room.end, room.reveal and score.set (key order as in the protocol)', () => {
    expect(endInterview(4)).toEqual({ type: 'room.end', id: 4 });
    expect(endInterview()).toEqual({ type: 'room.end' });
    expect(revealAnswers(5)).toEqual({ type: 'room.reveal', id: 5 });
    expect(revealAnswers()).toEqual({ type: 'room.reveal' });
    expect(JSON.stringify(setScore('q2.comment', 'Good.', 3, 9)))
      .toBe('{"type":"score.set","id":9,"field":"q2.comment","value":"Good.","expect_rev":3}');
    expect(setScore('recommendation', null, 0)).toEqual({ type: 'score.set', field: 'recommendation', value: null, expect_rev: 0 });
  });

  it('builds timer commands with expect_rev, and ms only when given', () => {
    expect(timerCommand('interview', 'pause', 7)).toEqual({ type: 'timer.command', timer: 'interview', command: 'pause', expect_rev: 7 });
    expect(timerCommand('question', 'reset', 3, undefined, 11)).toEqual(
      { type: 'timer.command', id: 11, timer: 'question', command: 'reset', expect_rev: 3 });
    expect(timerCommand('question', 'add', 0, -60000)).toEqual(
      { type: 'timer.command', timer: 'question', command: 'add', ms: -60000, expect_rev: 0 });
  });
});

describe('HTTP examples', () => {
  it('parses the bank list', () => {
    const banks = parseBanksResponse(json('http.banks.response.json'));
    expect(banks?.[0]?.id).toBe('python-developer');
  });

  it('parses a created room with its three links', () => {
    const room = parseCreatedRoom(json('http.create-room.response.json'));
    expect(room).not.toBeNull();
    for (const role of ['interviewer', 'candidate', 'observer'] as const) {
      expect(room!.links[role]).toMatch(/\/room\/[^#]+#token=/);
    }
  });

  it('builds the create-room body of the example, and leaves out what is not set', () => {
    const ex = json('http.create-room.request.json');
    const built = createRoomRequest(ex.bank, { title: ex.title, interviewMs: ex.interview_ms, warnMs: ex.warn_ms });
    expect(shape(built)).toEqual(shape(ex));
    expect(built).toEqual(ex);
    expect(createRoomRequest('python-developer')).toEqual({ bank: 'python-developer' });
    expect(createRoomRequest('b', { interviewMs: 60000 })).toEqual({ bank: 'b', interview_ms: 60000 });
  });

  it('reads the message of an error body', () => {
    expect(httpErrorMessage(json('http.error.json'))).toBe(json('http.error.json').error.message);
    expect(httpErrorMessage({ nope: 1 })).toBeNull();
  });
});

describe('validateName', () => {
  it('accepts ordinary names and trims them', () => {
    expect(validateName('  Ada Lovelace ')).toBeNull();
    expect(validateName('Zoë')).toBeNull();
  });
  it('refuses empty, too long and control characters', () => {
    expect(validateName('   ')).not.toBeNull();
    expect(validateName('x'.repeat(65))).not.toBeNull();
    expect(validateName('é'.repeat(33))).not.toBeNull(); // 66 bytes in UTF-8
    expect(validateName('é'.repeat(32))).toBeNull(); // 64 bytes
    expect(validateName('a\u0007b')).not.toBeNull();
  });
});
