// The room as this client knows it, updated from server messages. Pure functions, no DOM.

import type {
  Bank,
  BankQuestion,
  Difficulty,
  NotesLanguage,
  Participant,
  Question,
  Role,
  RoomInfo,
  RoomTimers,
  ScoreEntry,
  ServerMessage,
  TimerState,
} from './protocol';

export interface RoomModel {
  role: Role;
  you: string;
  room: RoomInfo;
  participants: Participant[];
  current: Question | null;
  /** every pushed question, newest first (seq descending), the current one included */
  history: Question[];
  bank: Bank | null;
  /** highlighting of the shared notes */
  language: NotesLanguage;
  /** the two timers, as the server last described them */
  timers: RoomTimers;
  /** when the interview ended (server clock), or null while it goes on */
  endedAt: number | null;
  /** who ended it (from the `ended` message; null when only the welcome told us) */
  endedBy: string | null;
  /** the sample answers of the asked questions have been revealed */
  revealed: boolean;
  /** interviewers only: the scorecard as the server last described it, field → entry */
  scorecard: Record<string, ScoreEntryBy>;
}

/** A scorecard field as stored, with who set it last when known. */
export interface ScoreEntryBy extends ScoreEntry {
  by: string | null;
}

/** Newest first, one entry per seq. */
export function mergeHistory(history: readonly Question[], ...more: (Question | null)[]): Question[] {
  const bySeq = new Map<number, Question>();
  for (const q of history) bySeq.set(q.seq, q);
  for (const q of more) if (q) bySeq.set(q.seq, q);
  return [...bySeq.values()].sort((a, b) => b.seq - a.seq);
}

export type ModelChange =
  | 'all'
  | 'question'
  | 'presence'
  | 'language'
  | 'timer'
  | 'ended'
  | 'revealed'
  | 'score'
  | 'none';

/** A timer's state without the message's envelope (`type`, `timer`, `cause`, `by`). */
export function timerStateOf(msg: TimerState): TimerState {
  const t: TimerState = {
    state: msg.state,
    duration_ms: msg.duration_ms,
    deadline: msg.deadline,
    remaining_ms: msg.remaining_ms,
    rev: msg.rev,
    warn_ms: msg.warn_ms,
  };
  if (msg.question !== undefined) t.question = msg.question;
  return t;
}

/** Records the time spent on question `seq` (interviewers only) in the history. */
function withTimeSpent(history: readonly Question[], seq: number, ms: number): Question[] {
  return history.map((q) => (q.seq === seq ? { ...q, time_spent_ms: ms } : q));
}

/** Puts revealed sample answers (by seq) into the questions they belong to. */
export function withAnswers(questions: readonly Question[], answers: ReadonlyMap<number, string>): Question[] {
  return questions.map((q) => {
    const answer = answers.get(q.seq);
    return answer === undefined ? q : { ...q, sample_answer: answer };
  });
}

/**
 * Applies one server message. `welcome` replaces the whole model with the server's; the
 * result says what changed so the view re-renders only that part.
 */
export function applyMessage(
  model: RoomModel | null,
  msg: ServerMessage,
): { model: RoomModel | null; change: ModelChange } {
  switch (msg.type) {
    case 'welcome':
      return {
        model: {
          role: msg.role,
          you: msg.you,
          room: msg.room,
          participants: msg.state.participants,
          current: msg.state.current,
          history: mergeHistory(msg.state.history, msg.state.current),
          bank: msg.state.bank ?? null,
          language: msg.state.language ?? 'plain',
          timers: msg.state.timers,
          endedAt: msg.state.ended_at ?? null,
          // A reconnect to the same room keeps the name of who ended it.
          endedBy: msg.state.ended_at != null && model?.room.id === msg.room.id ? model.endedBy : null,
          revealed: msg.state.revealed ?? false,
          scorecard: Object.fromEntries(Object.entries(msg.state.scorecard ?? {}).map(([field, e]) => [
            field,
            { value: e.value, rev: e.rev, by: model?.scorecard[field]?.rev === e.rev ? model.scorecard[field]!.by : null },
          ])),
        },
        change: 'all',
      };
    case 'question': {
      if (!model) return { model, change: 'none' };
      const q = msg.question;
      // An older push arriving late must not replace a newer current question.
      const current = model.current && model.current.seq > q.seq ? model.current : q;
      let history = mergeHistory(model.history, q);
      if (msg.time_spent) history = withTimeSpent(history, msg.time_spent.seq, msg.time_spent.ms);
      return {
        model: { ...model, current, history },
        change: 'question',
      };
    }
    case 'timer': {
      if (!model) return { model, change: 'none' };
      // Revisions only grow: an older state arriving after a newer one is stale.
      if (msg.rev < model.timers[msg.timer].rev) return { model, change: 'none' };
      return {
        model: { ...model, timers: { ...model.timers, [msg.timer]: timerStateOf(msg) } },
        change: 'timer',
      };
    }
    case 'presence':
      if (!model) return { model, change: 'none' };
      return { model: { ...model, participants: msg.participants }, change: 'presence' };
    case 'notes.language':
      if (!model) return { model, change: 'none' };
      return { model: { ...model, language: msg.language }, change: 'language' };
    case 'ended':
      // It ends once: a repeat changes nothing.
      if (!model || model.endedAt !== null) return { model, change: 'none' };
      return { model: { ...model, endedAt: msg.at, endedBy: msg.by }, change: 'ended' };
    case 'revealed': {
      if (!model) return { model, change: 'none' };
      const answers = new Map(msg.answers.map((a) => [a.seq, a.sample_answer]));
      return {
        model: {
          ...model,
          revealed: true,
          current: model.current ? withAnswers([model.current], answers)[0]! : null,
          history: withAnswers(model.history, answers),
        },
        change: 'revealed',
      };
    }
    case 'score': {
      if (!model) return { model, change: 'none' };
      // Revisions only grow: an older value arriving after a newer one is stale.
      const known = model.scorecard[msg.field];
      if (known && msg.rev <= known.rev) return { model, change: 'none' };
      return {
        model: { ...model, scorecard: { ...model.scorecard, [msg.field]: { value: msg.value, rev: msg.rev, by: msg.by } } },
        change: 'score',
      };
    }
    default:
      return { model, change: 'none' };
  }
}

export type DifficultyFilter = Difficulty | 'all';

/** Case-insensitive search over question text and sample answer, plus a difficulty filter. */
export function filterQuestions(
  questions: readonly BankQuestion[],
  query: string,
  difficulty: DifficultyFilter,
): BankQuestion[] {
  const words = query.toLocaleLowerCase().split(/\s+/).filter((w) => w.length > 0);
  return questions.filter((q) => {
    if (difficulty !== 'all' && q.difficulty !== difficulty) return false;
    if (words.length === 0) return true;
    const haystack = `${q.text}\n${q.sample_answer}`.toLocaleLowerCase();
    return words.every((w) => haystack.includes(w));
  });
}

/** Participants in a stable order: connected first, then by role, then by name. */
export function sortParticipants(participants: readonly Participant[]): Participant[] {
  const roleOrder: Record<Role, number> = { interviewer: 0, candidate: 1, observer: 2 };
  return [...participants].sort(
    (a, b) =>
      Number(b.connected) - Number(a.connected) ||
      roleOrder[a.role] - roleOrder[b.role] ||
      a.name.localeCompare(b.name),
  );
}

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 10_000;

/**
 * Delay before reconnect attempt `attempt` (0 for the first retry): exponential growth from
 * 500 ms capped at 10 s, with "equal jitter" (between half and all of that step) so that many
 * clients dropped at once do not come back in lockstep. `random` is in [0, 1).
 */
export function backoffDelay(attempt: number, random: number = Math.random()): number {
  const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(step / 2 + (random * step) / 2);
}
