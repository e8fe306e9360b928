// The wire contract of shared/protocol/PROTOCOL.md as TypeScript types, a decoder for the
// server's messages and builders for the client's. Nothing here touches the DOM.

export type Role = 'interviewer' | 'candidate' | 'observer';
export type Difficulty = 'easy' | 'medium' | 'hard';

export const ROLES: readonly Role[] = ['interviewer', 'candidate', 'observer'];
export const DIFFICULTIES: readonly Difficulty[] = ['easy', 'medium', 'hard'];

/** A pushed question (`current`, `history` entries, `question` messages). */
export interface Question {
  seq: number;
  id: string;
  /** null for a custom question */
  number: number | null;
  text: string;
  difficulty: Difficulty;
  pushed_at: number;
  /** interviewers only; "" for a custom question */
  sample_answer?: string;
}

/** A question of the bank, as the interviewer's `welcome` carries it. */
export interface BankQuestion {
  id: string;
  number: number;
  text: string;
  difficulty: Difficulty;
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
}

export interface WelcomeMessage {
  type: 'welcome';
  role: Role;
  you: string;
  room: RoomInfo;
  state: RoomState;
}

export interface QuestionMessage {
  type: 'question';
  question: Question;
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

export type ServerMessage =
  | WelcomeMessage
  | QuestionMessage
  | PresenceMessage
  | PongMessage
  | ErrorMessage;

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
    (v.sample_answer === undefined || isString(v.sample_answer))
  );
}

function isBankQuestion(v: unknown): v is BankQuestion {
  return (
    isObject(v) &&
    isString(v.id) &&
    isInteger(v.number) &&
    isString(v.text) &&
    isDifficulty(v.difficulty) &&
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

function isRoomState(v: unknown): v is RoomState {
  return (
    isObject(v) &&
    isArrayOf(v.participants, isParticipant) &&
    (v.current === null || isQuestion(v.current)) &&
    isArrayOf(v.history, isQuestion) &&
    (v.bank === undefined || isBank(v.bank))
  );
}

function isServerMessage(v: unknown): v is ServerMessage {
  if (!isObject(v)) return false;
  switch (v.type) {
    case 'welcome':
      return isRole(v.role) && isString(v.you) && isRoomInfo(v.room) && isRoomState(v.state);
    case 'question':
      return isQuestion(v.question);
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

export interface HelloMessage {
  type: 'hello';
  room: string;
  token: string;
  name: string;
  client: string;
}

export interface PushBankQuestionMessage {
  type: 'question.push';
  id?: string | number;
  question: string;
}

export interface PushCustomQuestionMessage {
  type: 'question.push';
  id?: string | number;
  custom: { text: string; difficulty: Difficulty };
}

export interface PingMessage {
  type: 'ping';
  id: string | number;
  t0: number;
}

export interface LeaveMessage {
  type: 'leave';
}

export type ClientMessage =
  | HelloMessage
  | PushBankQuestionMessage
  | PushCustomQuestionMessage
  | PingMessage
  | LeaveMessage;

export function helloMessage(room: string, token: string, name: string, client: string): HelloMessage {
  return { type: 'hello', room, token, name, client };
}

export function pushBankQuestion(question: string, id?: string | number): PushBankQuestionMessage {
  return id === undefined ? { type: 'question.push', question } : { type: 'question.push', id, question };
}

export function pushCustomQuestion(
  text: string,
  difficulty: Difficulty,
  id?: string | number,
): PushCustomQuestionMessage {
  const custom = { text, difficulty };
  return id === undefined ? { type: 'question.push', custom } : { type: 'question.push', id, custom };
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
