// The wire contract of shared/protocol/PROTOCOL.md as TypeScript types, a decoder for the
// server's messages and builders for the client's. Nothing here touches the DOM.

export type Role = 'interviewer' | 'candidate' | 'observer';
export type Difficulty = 'easy' | 'medium' | 'hard';

export const ROLES: readonly Role[] = ['interviewer', 'candidate', 'observer'];
export const DIFFICULTIES: readonly Difficulty[] = ['easy', 'medium', 'hard'];

/** The two collaborative documents of a room. */
export type NotesDoc = 'shared' | 'private';
/** Highlighting of the shared pad (a room setting). */
export type NotesLanguage = 'plain' | 'markdown' | 'python';

export const NOTES_DOCS: readonly NotesDoc[] = ['shared', 'private'];
export const NOTES_LANGUAGES: readonly NotesLanguage[] = ['plain', 'markdown', 'python'];

/**
 * CodeMirror's `ChangeSet.toJSON()`: a number keeps that many UTF-16 units, `[n]` deletes n,
 * `[n, "line1", "line2", ...]` replaces n units with the lines joined by "\n".
 */
export type ChangeSetJSON = (number | [number, ...string[]])[];

/** One accepted (or to be pushed) update of a document. */
export interface NotesUpdateJSON {
  clientID: string;
  changes: ChangeSetJSON;
}

/** `[anchor, head]` in UTF-16 units. */
export type CursorRange = [number, number];

/** A pushed question (`current`, `history` entries, `question` messages). */
export interface Question {
  seq: number;
  id: string;
  /** null for a custom question */
  number: number | null;
  text: string;
  difficulty: Difficulty;
  pushed_at: number;
  /** the question timer's budget for this push */
  budget_ms: number;
  /**
   * interviewers only, in `welcome` (current and history): the time spent on the question
   * (for the current one: so far)
   */
  time_spent_ms?: number;
  /**
   * interviewers' copies ("" for a custom question); candidates' and observers' copies once
   * the sample answers have been revealed after the end
   */
  sample_answer?: string;
}

/** A question of the bank, as the interviewer's `welcome` carries it. */
export interface BankQuestion {
  id: string;
  number: number;
  text: string;
  difficulty: Difficulty;
  /** the budget a push without `budget_ms` would give it */
  budget_ms: number;
  sample_answer: string;
}

export interface Bank {
  id: string;
  title: string;
  description: string;
  questions: BankQuestion[];
}

export interface BankRef {
  id: string;
  title: string;
}

export interface Participant {
  id: string;
  name: string;
  role: Role;
  connected: boolean;
}

export interface RoomInfo {
  id: string;
  title: string;
  bank: BankRef;
}

export interface RoomState {
  participants: Participant[];
  current: Question | null;
  history: Question[];
  /** interviewers only */
  bank?: Bank;
  /** highlighting of the shared pad; absent from servers older than notes (means plain) */
  language?: NotesLanguage;
  timers: RoomTimers;
  /** when the interview ended (server clock), or null; absent from servers older than ending */
  ended_at?: number | null;
  /** the sample answers of the asked questions have been revealed (after the end) */
  revealed?: boolean;
  /** interviewers only: every set scorecard field with its value and revision */
  scorecard?: Scorecard;
}

export interface WelcomeMessage {
  type: 'welcome';
  role: Role;
  you: string;
  room: RoomInfo;
  /** the server clock when the welcome was written */
  now: number;
  state: RoomState;
}

/** Time spent on a question (interviewers only), from its push to the next push. */
export interface TimeSpent {
  seq: number;
  ms: number;
}

export interface QuestionMessage {
  type: 'question';
  question: Question;
  /** interviewers only: the time spent on the question this one replaces (absent on the first push) */
  time_spent?: TimeSpent;
}

// Timing (see "Timing" in PROTOCOL.md). Every point in time is on the server clock.

export type TimerName = 'interview' | 'question';
export type TimerPhase = 'idle' | 'running' | 'paused' | 'expired';
export type TimerCommandName = 'start' | 'pause' | 'resume' | 'reset' | 'add';
/**
 * what changed a timer: a command, a question push, the server's expiry, or the end of the
 * interview (`end`: a running timer paused where it stands; the server sends it, PROTOCOL.md
 * does not list it yet)
 */
export type TimerCause = TimerCommandName | 'push' | 'expire' | 'end';

export const TIMER_NAMES: readonly TimerName[] = ['interview', 'question'];
export const TIMER_PHASES: readonly TimerPhase[] = ['idle', 'running', 'paused', 'expired'];
export const TIMER_COMMANDS: readonly TimerCommandName[] = ['start', 'pause', 'resume', 'reset', 'add'];
export const TIMER_CAUSES: readonly TimerCause[] = [...TIMER_COMMANDS, 'push', 'expire', 'end'];

/** One timer's state (`welcome.state.timers.*` and the body of a `timer` message). */
export interface TimerState {
  state: TimerPhase;
  /** what the timer was set to, with additions */
  duration_ms: number;
  /** running: when it reaches zero; expired: when it did; otherwise null */
  deadline: number | null;
  /** idle and paused: what is left; running: what was left when written; expired: 0 */
  remaining_ms: number;
  /** grows with every change, expiry and restarts included */
  rev: number;
  /** the room's warning thresholds */
  warn_ms: number[];
  /** question timer only: the seq of the question it times, null before the first push */
  question?: number | null;
}

export interface RoomTimers {
  interview: TimerState;
  question: TimerState;
}

export interface TimerMessage extends TimerState {
  type: 'timer';
  timer: TimerName;
  cause: TimerCause;
  /** the participant who caused it; null for the server's expiry */
  by: string | null;
}

export interface PresenceMessage {
  type: 'presence';
  participants: Participant[];
}

export interface PongMessage {
  type: 'pong';
  id: string | number;
  t0: number;
  t1: number;
  t2: number;
}

export interface ErrorMessage {
  type: 'error';
  code: string;
  message: string;
  ref?: string | number | null;
}

export interface NotesUpdatesMessage {
  type: 'notes.updates';
  doc: NotesDoc;
  /** the version before the first update */
  from: number;
  updates: NotesUpdateJSON[];
}

export interface NotesSnapshotMessage {
  type: 'notes.snapshot';
  doc: NotesDoc;
  version: number;
  text: string;
}

export interface RemoteCursorMessage {
  type: 'cursor';
  doc: NotesDoc;
  version: number;
  participant: string;
  /** empty: the participant's cursor is gone */
  ranges: CursorRange[];
}

export interface NotesLanguageMessage {
  type: 'notes.language';
  language: NotesLanguage;
  /** the participant who changed it */
  by: string;
}

// Ending, debrief and the scorecard (see "Ending, debrief and the scorecard" in PROTOCOL.md).

export interface EndedMessage {
  type: 'ended';
  /** when it ended (server clock) */
  at: number;
  /** the interviewer who ended it */
  by: string;
}

export interface RevealedAnswer {
  seq: number;
  sample_answer: string;
}

export interface RevealedMessage {
  type: 'revealed';
  /** the sample answer of each asked question ("" for a custom question) */
  answers: RevealedAnswer[];
}

/** A scorecard field's value: a rating 1-4, a recommendation or text; null when cleared. */
export type ScoreValue = number | string | null;

export type Recommendation = 'strong_no' | 'no' | 'yes' | 'strong_yes';
export const RECOMMENDATIONS: readonly Recommendation[] = ['strong_no', 'no', 'yes', 'strong_yes'];

/** One stored scorecard field. */
export interface ScoreEntry {
  value: ScoreValue;
  rev: number;
}

/** `welcome.state.scorecard`: field name (`q1.rating`, `q1.comment`, `recommendation`, `summary`) → entry. */
export type Scorecard = Record<string, ScoreEntry>;

/** A scorecard field changed (interviewers only). */
export interface ScoreMessage {
  type: 'score';
  field: string;
  value: ScoreValue;
  rev: number;
  by: string;
}

export type NotesServerMessage =
  | NotesUpdatesMessage
  | NotesSnapshotMessage
  | RemoteCursorMessage
  | NotesLanguageMessage;

export type ServerMessage =
  | WelcomeMessage
  | QuestionMessage
  | PresenceMessage
  | PongMessage
  | ErrorMessage
  | TimerMessage
  | EndedMessage
  | RevealedMessage
  | ScoreMessage
  | NotesServerMessage;

// ---------------------------------------------------------------------------------------------
// Decoding. Each guard checks the fields the client relies on; unknown extra fields are allowed
// (forward compatible), a missing or mistyped field makes the whole message invalid.

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function isString(v: unknown): v is string {
  return typeof v === 'string';
}
function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
function isInteger(v: unknown): v is number {
  return Number.isInteger(v);
}
function isRole(v: unknown): v is Role {
  return (ROLES as readonly unknown[]).includes(v);
}
export function isDifficulty(v: unknown): v is Difficulty {
  return (DIFFICULTIES as readonly unknown[]).includes(v);
}
function isCount(v: unknown): v is number {
  return isInteger(v) && v >= 0;
}
/** a positive whole number of milliseconds */
function isDuration(v: unknown): v is number {
  return isInteger(v) && v > 0;
}
export function isNotesDoc(v: unknown): v is NotesDoc {
  return (NOTES_DOCS as readonly unknown[]).includes(v);
}
export function isNotesLanguage(v: unknown): v is NotesLanguage {
  return (NOTES_LANGUAGES as readonly unknown[]).includes(v);
}
function isRequestId(v: unknown): v is string | number {
  return isString(v) || isInteger(v);
}
function isArrayOf<T>(v: unknown, guard: (x: unknown) => x is T): v is T[] {
  return Array.isArray(v) && v.every(guard);
}

export function isQuestion(v: unknown): v is Question {
  return (
    isObject(v) &&
    isInteger(v.seq) &&
    isString(v.id) &&
    (v.number === null || isInteger(v.number)) &&
    isString(v.text) &&
    isDifficulty(v.difficulty) &&
    isInteger(v.pushed_at) &&
    isDuration(v.budget_ms) &&
    (v.time_spent_ms === undefined || isCount(v.time_spent_ms)) &&
    (v.sample_answer === undefined || isString(v.sample_answer))
  );
}

function isTimeSpent(v: unknown): v is TimeSpent {
  return isObject(v) && isInteger(v.seq) && isCount(v.ms);
}

function isTimerPhase(v: unknown): v is TimerPhase {
  return (TIMER_PHASES as readonly unknown[]).includes(v);
}
function isTimerName(v: unknown): v is TimerName {
  return (TIMER_NAMES as readonly unknown[]).includes(v);
}
function isTimerCause(v: unknown): v is TimerCause {
  return (TIMER_CAUSES as readonly unknown[]).includes(v);
}

/**
 * A timer's state. The deadline is there exactly when the timer is running or expired; the
 * question timer names its question (`question`: a seq, or null before the first push), the
 * interview timer names none (no `question`, or null).
 */
function isTimerState(v: unknown, timer: TimerName): v is TimerState {
  if (!isObject(v) || !isTimerPhase(v.state)) return false;
  const timed = v.state === 'running' || v.state === 'expired';
  return (
    isCount(v.duration_ms) &&
    (timed ? isInteger(v.deadline) : v.deadline === null) &&
    isCount(v.remaining_ms) &&
    isCount(v.rev) &&
    isArrayOf(v.warn_ms, isDuration) &&
    (timer === 'question'
      ? v.question === null || isInteger(v.question)
      : v.question === undefined || v.question === null)
  );
}

function isRoomTimers(v: unknown): v is RoomTimers {
  return isObject(v) && isTimerState(v.interview, 'interview') && isTimerState(v.question, 'question');
}

/** The JSON form of a change set (lengths are checked against the document when applied). */
export function isChangeSetJSON(v: unknown): v is ChangeSetJSON {
  return (
    Array.isArray(v) &&
    v.every(
      (part) =>
        isCount(part) ||
        (Array.isArray(part) && part.length >= 1 && isCount(part[0]) && part.slice(1).every(isString)),
    )
  );
}

function isNotesUpdate(v: unknown): v is NotesUpdateJSON {
  return isObject(v) && isString(v.clientID) && isChangeSetJSON(v.changes);
}

function isCursorRange(v: unknown): v is CursorRange {
  return Array.isArray(v) && v.length === 2 && isCount(v[0]) && isCount(v[1]);
}

function isBankQuestion(v: unknown): v is BankQuestion {
  return (
    isObject(v) &&
    isString(v.id) &&
    isInteger(v.number) &&
    isString(v.text) &&
    isDifficulty(v.difficulty) &&
    isDuration(v.budget_ms) &&
    isString(v.sample_answer)
  );
}

function isBank(v: unknown): v is Bank {
  return (
    isObject(v) &&
    isString(v.id) &&
    isString(v.title) &&
    isString(v.description) &&
    isArrayOf(v.questions, isBankQuestion)
  );
}

function isBankRef(v: unknown): v is BankRef {
  return isObject(v) && isString(v.id) && isString(v.title);
}

function isParticipant(v: unknown): v is Participant {
  return (
    isObject(v) &&
    isString(v.id) &&
    isString(v.name) &&
    isRole(v.role) &&
    typeof v.connected === 'boolean'
  );
}

function isRoomInfo(v: unknown): v is RoomInfo {
  return isObject(v) && isString(v.id) && isString(v.title) && isBankRef(v.bank);
}

function isScoreValue(v: unknown): v is ScoreValue {
  return v === null || isInteger(v) || isString(v);
}

function isScoreEntry(v: unknown): v is ScoreEntry {
  return isObject(v) && isScoreValue(v.value) && isCount(v.rev);
}

function isScorecard(v: unknown): v is Scorecard {
  return isObject(v) && Object.values(v).every(isScoreEntry);
}

function isRevealedAnswer(v: unknown): v is RevealedAnswer {
  return isObject(v) && isInteger(v.seq) && isString(v.sample_answer);
}

function isRoomState(v: unknown): v is RoomState {
  return (
    isObject(v) &&
    isArrayOf(v.participants, isParticipant) &&
    (v.current === null || isQuestion(v.current)) &&
    isArrayOf(v.history, isQuestion) &&
    (v.bank === undefined || isBank(v.bank)) &&
    (v.language === undefined || isNotesLanguage(v.language)) &&
    isRoomTimers(v.timers) &&
    (v.ended_at === undefined || v.ended_at === null || isInteger(v.ended_at)) &&
    (v.revealed === undefined || typeof v.revealed === 'boolean') &&
    (v.scorecard === undefined || isScorecard(v.scorecard))
  );
}

function isServerMessage(v: unknown): v is ServerMessage {
  if (!isObject(v)) return false;
  switch (v.type) {
    case 'welcome':
      return isRole(v.role) && isString(v.you) && isRoomInfo(v.room) && isInteger(v.now) && isRoomState(v.state);
    case 'question':
      return isQuestion(v.question) && (v.time_spent === undefined || isTimeSpent(v.time_spent));
    case 'timer':
      return (
        isTimerName(v.timer) &&
        isTimerState(v, v.timer) &&
        isTimerCause(v.cause) &&
        (v.by === null || isString(v.by))
      );
    case 'presence':
      return isArrayOf(v.participants, isParticipant);
    case 'pong':
      return isRequestId(v.id) && isNumber(v.t0) && isNumber(v.t1) && isNumber(v.t2);
    case 'error':
      return (
        isString(v.code) &&
        isString(v.message) &&
        (v.ref === undefined || v.ref === null || isRequestId(v.ref))
      );
    case 'notes.updates':
      return isNotesDoc(v.doc) && isCount(v.from) && isArrayOf(v.updates, isNotesUpdate);
    case 'notes.snapshot':
      return isNotesDoc(v.doc) && isCount(v.version) && isString(v.text);
    case 'cursor':
      return isNotesDoc(v.doc) && isCount(v.version) && isString(v.participant) && isArrayOf(v.ranges, isCursorRange);
    case 'notes.language':
      return isNotesLanguage(v.language) && isString(v.by);
    case 'ended':
      return isInteger(v.at) && isString(v.by);
    case 'revealed':
      return isArrayOf(v.answers, isRevealedAnswer);
    case 'score':
      return isString(v.field) && isScoreValue(v.value) && isCount(v.rev) && isString(v.by);
    default:
      return false;
  }
}

/**
 * Decodes one WebSocket text frame from the server. Returns null for anything that is not a
 * well-formed message of a type this client knows (the caller ignores it).
 */
export function parseServerMessage(text: string): ServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return isServerMessage(value) ? value : null;
}

// ---------------------------------------------------------------------------------------------
// Client to server.

/** The document versions a client holds, for resuming (absent: it holds nothing). */
export type HeldVersions = Partial<Record<NotesDoc, number>>;

export interface HelloMessage {
  type: 'hello';
  room: string;
  token: string;
  name: string;
  client: string;
  notes?: HeldVersions;
}

export interface PushBankQuestionMessage {
  type: 'question.push';
  id?: string | number;
  question: string;
  /** the question timer's budget for this push (else the bank's) */
  budget_ms?: number;
}

export interface PushCustomQuestionMessage {
  type: 'question.push';
  id?: string | number;
  custom: { text: string; difficulty: Difficulty };
  budget_ms?: number;
}

export interface TimerCommandMessage {
  type: 'timer.command';
  id?: string | number;
  timer: TimerName;
  command: TimerCommandName;
  /** reset: a new duration (optional); add: the change (required, non-zero) */
  ms?: number;
  /** the rev the interviewer's screen shows */
  expect_rev: number;
}

export interface PingMessage {
  type: 'ping';
  id: string | number;
  t0: number;
}

export interface LeaveMessage {
  type: 'leave';
}

export interface NotesPushMessage {
  type: 'notes.push';
  id?: string | number;
  doc: NotesDoc;
  /** the version the updates are based on (the client's synced version) */
  version: number;
  updates: NotesUpdateJSON[];
}

export interface NotesPullMessage {
  type: 'notes.pull';
  doc: NotesDoc;
  version: number;
}

export interface CursorMessage {
  type: 'cursor';
  doc: NotesDoc;
  version: number;
  ranges: CursorRange[];
}

export interface SetNotesLanguageMessage {
  type: 'notes.language';
  id?: string | number;
  language: NotesLanguage;
}

export interface EndInterviewMessage {
  type: 'room.end';
  id?: string | number;
}

export interface RevealAnswersMessage {
  type: 'room.reveal';
  id?: string | number;
}

export interface SetScoreMessage {
  type: 'score.set';
  id?: string | number;
  field: string;
  value: ScoreValue;
  /** the field's revision as shown (0 for a field never set) */
  expect_rev: number;
}

export type ClientMessage =
  | EndInterviewMessage
  | RevealAnswersMessage
  | SetScoreMessage
  | HelloMessage
  | PushBankQuestionMessage
  | PushCustomQuestionMessage
  | TimerCommandMessage
  | PingMessage
  | LeaveMessage
  | NotesPushMessage
  | NotesPullMessage
  | CursorMessage
  | SetNotesLanguageMessage;

/** `notes` is left out when the client holds no document (a fresh join). */
export function helloMessage(
  room: string,
  token: string,
  name: string,
  client: string,
  notes?: HeldVersions,
): HelloMessage {
  const hello: HelloMessage = { type: 'hello', room, token, name, client };
  if (notes && Object.keys(notes).length > 0) hello.notes = { ...notes };
  return hello;
}

export const MAX_UPDATES_PER_PUSH = 100;
export const MAX_NOTES_LENGTH = 1_048_576;
export const MAX_CURSOR_RANGES = 32;

export function notesPush(
  doc: NotesDoc,
  version: number,
  updates: NotesUpdateJSON[],
  id?: string | number,
): NotesPushMessage {
  return id === undefined
    ? { type: 'notes.push', doc, version, updates }
    : { type: 'notes.push', id, doc, version, updates };
}

export function notesPull(doc: NotesDoc, version: number): NotesPullMessage {
  return { type: 'notes.pull', doc, version };
}

export function cursorMessage(doc: NotesDoc, version: number, ranges: CursorRange[]): CursorMessage {
  return { type: 'cursor', doc, version, ranges };
}

export function setNotesLanguage(language: NotesLanguage, id?: string | number): SetNotesLanguageMessage {
  return id === undefined ? { type: 'notes.language', language } : { type: 'notes.language', id, language };
}

export function pushBankQuestion(question: string, id?: string | number, budgetMs?: number): PushBankQuestionMessage {
  const msg: PushBankQuestionMessage =
    id === undefined ? { type: 'question.push', question } : { type: 'question.push', id, question };
  if (budgetMs !== undefined) msg.budget_ms = budgetMs;
  return msg;
}

export function pushCustomQuestion(
  text: string,
  difficulty: Difficulty,
  id?: string | number,
  budgetMs?: number,
): PushCustomQuestionMessage {
  const custom = { text, difficulty };
  const msg: PushCustomQuestionMessage =
    id === undefined ? { type: 'question.push', custom } : { type: 'question.push', id, custom };
  if (budgetMs !== undefined) msg.budget_ms = budgetMs;
  return msg;
}

/** `ms`: reset's new duration (optional) or add's change (required); left out when undefined. */
export function timerCommand(
  timer: TimerName,
  command: TimerCommandName,
  expectRev: number,
  ms?: number,
  id?: string | number,
): TimerCommandMessage {
  // Key order as in the protocol's example: type, id, timer, command, ms, expect_rev.
  return {
    type: 'timer.command',
    ...(id === undefined ? {} : { id }),
    timer,
    command,
    ...(ms === undefined ? {} : { ms }),
    expect_rev: expectRev,
  };
}

/** Ends the interview for everyone (interviewers only). */
export function endInterview(id?: string | number): EndInterviewMessage {
  return id === undefined ? { type: 'room.end' } : { type: 'room.end', id };
}

/** Reveals the asked questions' sample answers to everyone (interviewers, after the end). */
export function revealAnswers(id?: string | number): RevealAnswersMessage {
  return id === undefined ? { type: 'room.reveal' } : { type: 'room.reveal', id };
}

/** Sets one scorecard field; `expectRev` is its revision as shown (0 for a field never set). */
export function setScore(field: string, value: ScoreValue, expectRev: number, id?: string | number): SetScoreMessage {
  // Key order as in the protocol's example: type, id, field, value, expect_rev.
  return {
    type: 'score.set',
    ...(id === undefined ? {} : { id }),
    field,
    value,
    expect_rev: expectRev,
  };
}

export function pingMessage(id: string | number, t0: number): PingMessage {
  return { type: 'ping', id, t0 };
}

/** Leaves the room for good: the server drops us from presence and closes with 1000. */
export function leaveMessage(): LeaveMessage {
  return { type: 'leave' };
}

// ---------------------------------------------------------------------------------------------
// Limits the server enforces, checked early so the user gets a clear message.

export const MAX_NAME_BYTES = 64;
export const MAX_TITLE_BYTES = 200;
export const MAX_CUSTOM_TEXT_BYTES = 10_000;
/** A scorecard comment or summary. */
export const MAX_SCORE_TEXT_BYTES = 10_000;

/** A push's `budget_ms`, a reset's new duration: 1 s to 24 h. */
export const MIN_TIMER_MS = 1_000;
export const MAX_TIMER_MS = 86_400_000;
/** A room's `interview_ms`: 1 min to 24 h (default 45 min). */
export const MIN_INTERVIEW_MS = 60_000;
export const MAX_INTERVIEW_MS = 86_400_000;
export const DEFAULT_INTERVIEW_MS = 2_700_000;
/** A room's `warn_ms`: up to 4 thresholds of 1 s to 24 h (default [120000]). */
export const MAX_WARN_THRESHOLDS = 4;

export function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/** Returns an error message for an invalid participant name, or null if it is acceptable. */
export function validateName(raw: string): string | null {
  const name = raw.trim();
  if (name.length === 0) return 'Please enter your name.';
  if (utf8Length(name) > MAX_NAME_BYTES) return 'That name is too long (at most 64 bytes).';
  if (CONTROL_CHARS.test(name)) return 'The name contains characters that are not allowed.';
  return null;
}

// ---------------------------------------------------------------------------------------------
// HTTP.

export interface BankSummary {
  id: string;
  title: string;
  description: string;
  questions: number;
}

export interface CreatedRoom {
  room: string;
  title: string;
  bank: BankRef;
  tokens: Record<Role, string>;
  links: Record<Role, string>;
}

/** `POST /api/rooms` body: all but `bank` optional. */
export interface CreateRoomRequest {
  bank: string;
  title?: string;
  interview_ms?: number;
  warn_ms?: number[];
}

export function createRoomRequest(
  bank: string,
  opts: { title?: string; interviewMs?: number; warnMs?: number[] } = {},
): CreateRoomRequest {
  const body: CreateRoomRequest = { bank };
  if (opts.title !== undefined) body.title = opts.title;
  if (opts.interviewMs !== undefined) body.interview_ms = opts.interviewMs;
  if (opts.warnMs !== undefined) body.warn_ms = [...opts.warnMs];
  return body;
}

export function parseBanksResponse(v: unknown): BankSummary[] | null {
  if (!isObject(v) || !Array.isArray(v.banks)) return null;
  const ok = v.banks.every(
    (b: unknown) =>
      isObject(b) && isString(b.id) && isString(b.title) && isString(b.description) && isInteger(b.questions),
  );
  return ok ? (v.banks as BankSummary[]) : null;
}

function isRoleMap(v: unknown): v is Record<Role, string> {
  return isObject(v) && ROLES.every((r) => isString(v[r]));
}

export function parseCreatedRoom(v: unknown): CreatedRoom | null {
  if (
    isObject(v) &&
    isString(v.room) &&
    isString(v.title) &&
    isBankRef(v.bank) &&
    isRoleMap(v.tokens) &&
    isRoleMap(v.links)
  ) {
    return v as unknown as CreatedRoom;
  }
  return null;
}

/** The message of an HTTP error body `{"error":{"code","message"}}`, if it is one. */
export function httpErrorMessage(v: unknown): string | null {
  if (isObject(v) && isObject(v.error) && isString(v.error.message)) return v.error.message;
  return null;
}
