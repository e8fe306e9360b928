// The interviewer scorecard in the page: per asked question a rating (1 to 4) and a comment,
// then an overall recommendation and a summary. Built for interviewers only: candidates and
// observers never get this panel (nor, from the server, any scorecard data).
//
// Each field saves on its own (scorecard.ts has the rules): ratings and the recommendation on
// change, text fields 600 ms after the last keystroke and on leaving the field.

import { h, replaceChildren } from './dom';
import {
  MAX_SCORE_TEXT_BYTES,
  RECOMMENDATIONS,
  setScore,
  utf8Length,
  type ErrorMessage,
  type Question,
  type ScoreMessage,
  type ScoreValue,
  type Scorecard,
} from './protocol';
import {
  RECOMMENDATION_FIELD,
  RECOMMENDATION_LABEL,
  SUMMARY_FIELD,
  commentField,
  describeValue,
  edit,
  fromWelcome,
  keepMine,
  newField,
  nextSend,
  parseScoreField,
  ratingField,
  refused,
  refusedAsStale,
  remote,
  sent,
  unsent,
  useTheirs,
  type ScoreFieldKind,
  type ScoreFieldState,
} from './scorecard';
import type { SendFn } from './timer-ui';

/** How long after the last keystroke a text field is saved. */
export const TEXT_SAVE_DELAY_MS = 600;
const RATE_LIMIT_RETRY_MS = 1_000;

export interface ScorecardContext {
  send: SendFn;
  /** our participant id */
  you: () => string;
  nameOf: (id: string) => string | null;
  /** a screen-reader announcement */
  announce: (text: string) => void;
  status: (text: string) => void;
}

/** One field's control(s) on the page. */
interface FieldWidget {
  readonly field: string;
  readonly kind: ScoreFieldKind;
  /** a short name for messages: "the rating of question 3" */
  readonly what: string;
  readonly element: HTMLElement;
  read(): ScoreValue;
  write(value: ScoreValue): void;
  focus(): void;
  readonly stateLine: HTMLElement;
  readonly notice: HTMLElement;
}

function questionName(q: Question): string {
  return q.number === null ? `custom question ${q.seq}` : `question ${q.number}`;
}

export class ScorecardPanel {
  readonly element: HTMLElement;
  private readonly questionsBox: HTMLElement;
  private readonly states = new Map<string, ScoreFieldState>();
  private readonly widgets = new Map<string, FieldWidget>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly seqs = new Set<number>();
  private connected = false;

  constructor(private readonly ctx: ScorecardContext) {
    this.questionsBox = h('div', { class: 'score-questions', 'data-testid': 'score-questions' },
      h('p', { class: 'empty' }, 'Each asked question gets a rating and a comment here.'));
    const recommendation = this.selectWidget();
    const summary = this.textWidget(SUMMARY_FIELD, 'summary', 'Summary', 'the summary', 'score-summary');
    this.element = h('section', {
      class: 'card scorecard', 'aria-labelledby': 'scorecard-heading', 'data-testid': 'scorecard-section',
    },
    h('h2', { id: 'scorecard-heading' }, 'Scorecard'),
    h('p', { class: 'banner banner--private' }, 'Private — only interviewers see this'),
    h('p', { class: 'hint' }, 'Saved as you go. Ratings: 1 weak, 2 mixed, 3 good, 4 strong.'),
    this.questionsBox,
    h('div', { class: 'score-overall', role: 'group', 'aria-labelledby': 'score-overall-heading' },
      h('h3', { id: 'score-overall-heading' }, 'Overall'),
      recommendation.element,
      summary.element));
    for (const w of [recommendation, summary]) this.widgets.set(w.field, w);
    this.states.set(RECOMMENDATION_FIELD, newField('recommendation'));
    this.states.set(SUMMARY_FIELD, newField('summary'));
    this.renderAll();
  }

  // ---- from the room --------------------------------------------------------------------------

  /** The asked questions (any order): each gets its rating and comment once. */
  setQuestions(history: readonly Question[]): void {
    const fresh = [...history].filter((q) => !this.seqs.has(q.seq)).sort((a, b) => a.seq - b.seq);
    if (fresh.length === 0) return;
    if (this.seqs.size === 0) replaceChildren(this.questionsBox);
    for (const q of fresh) {
      this.seqs.add(q.seq);
      const name = questionName(q);
      const headingId = `score-q${q.seq}-heading`;
      const rating = this.ratingWidget(q.seq, name);
      const comment = this.textWidget(commentField(q.seq), 'comment', `Comment on ${name}`, `the comment on ${name}`,
        'score-comment');
      const block = h('div', {
        class: 'score-question', role: 'group', 'aria-labelledby': headingId, 'data-testid': 'score-question',
        'data-seq': q.seq,
      },
      h('h3', { id: headingId }, name[0]!.toUpperCase() + name.slice(1)),
      h('p', { class: 'score-qtext' }, q.text),
      rating.element,
      comment.element);
      // Keep the blocks in asked order.
      const after = [...this.questionsBox.querySelectorAll<HTMLElement>('.score-question')]
        .find((b) => Number(b.dataset.seq) > q.seq);
      this.questionsBox.insertBefore(block, after ?? null);
      for (const w of [rating, comment]) {
        this.widgets.set(w.field, w);
        if (!this.states.has(w.field)) this.states.set(w.field, newField(w.kind));
        this.render(w.field, true);
      }
    }
  }

  /** A welcome's scorecard (also after a reconnect: fields are reconciled, unsent edits kept). */
  load(scorecard: Scorecard): void {
    const you = this.ctx.you();
    const fields = new Set([...this.states.keys(), ...Object.keys(scorecard)]);
    for (const field of fields) {
      const parsed = parseScoreField(field);
      if (!parsed) continue;
      const before = this.states.get(field) ?? newField(parsed.kind);
      const after = fromWelcome(before, scorecard[field], you);
      this.states.set(field, after);
      this.afterRemote(field, before, after);
    }
    for (const field of this.states.keys()) this.flush(field);
  }

  /** A `score` message (the room model already dropped stale ones; stale ones are ignored here too). */
  onScore(msg: ScoreMessage): void {
    const parsed = parseScoreField(msg.field);
    if (!parsed) return;
    const before = this.states.get(msg.field) ?? newField(parsed.kind);
    const { state, outcome } = remote(before, msg, this.ctx.you());
    if (outcome === 'stale') return;
    this.states.set(msg.field, state);
    this.afterRemote(msg.field, before, state);
    if (outcome === 'confirmed') this.flush(msg.field); // typed more meanwhile
  }

  /** Errors about our `score.set` requests (by `ref`); false when it is not one of ours. */
  onError(msg: ErrorMessage): boolean {
    if (typeof msg.ref !== 'number') return false;
    for (const [field, s] of this.states) {
      if (s.inflight?.id !== msg.ref) continue;
      const w = this.widgets.get(field);
      if (msg.code === 'conflict') {
        const next = refusedAsStale(s);
        this.states.set(field, next);
        if (next.conflict && !s.conflict) this.announceConflict(field, next);
        this.render(field);
        return true;
      }
      this.states.set(field, refused(s));
      if (msg.code === 'rate_limited') {
        this.schedule(field, RATE_LIMIT_RETRY_MS);
      } else {
        this.ctx.status(`Could not save ${w?.what ?? field}: ${msg.message}`);
      }
      this.render(field);
      if (w) w.stateLine.textContent = `Not saved: ${msg.message}`;
      return true;
    }
    return false;
  }

  setConnected(connected: boolean): void {
    this.connected = connected;
    for (const field of this.states.keys()) this.render(field);
  }

  destroy(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  // ---- saving ---------------------------------------------------------------------------------

  private userEdit(field: string, debounce: boolean): void {
    const w = this.widgets.get(field);
    const s = this.states.get(field);
    if (!w || !s) return;
    this.states.set(field, edit(s, w.read()));
    if (debounce) this.schedule(field, TEXT_SAVE_DELAY_MS);
    else this.flush(field);
    this.render(field);
  }

  private schedule(field: string, ms: number): void {
    clearTimeout(this.timers.get(field));
    this.timers.set(field, setTimeout(() => {
      this.timers.delete(field);
      this.flush(field);
    }, ms));
  }

  /** Sends the field's value if it has one to send (see nextSend). */
  private flush(field: string): void {
    clearTimeout(this.timers.get(field));
    this.timers.delete(field);
    const s = this.states.get(field);
    const w = this.widgets.get(field);
    if (!s || !w || !this.connected) {
      if (w) this.render(field);
      return;
    }
    const out = nextSend(s);
    if (!out) {
      this.render(field);
      return;
    }
    if (typeof out.value === 'string' && utf8Length(out.value) > MAX_SCORE_TEXT_BYTES) {
      w.stateLine.textContent = 'Not saved: at most 10,000 bytes.';
      w.element.dataset.state = 'invalid';
      this.ctx.status(`Could not save ${w.what}: it is too long (at most 10,000 bytes).`);
      return;
    }
    let requestId = -1;
    const ok = this.ctx.send((id) => {
      requestId = id;
      return setScore(field, out.value, out.expectRev, id);
    }, `save ${w.what}`);
    if (ok) this.states.set(field, sent(s, requestId, out.value, out.expectRev));
    this.render(field);
  }

  // ---- showing --------------------------------------------------------------------------------

  private afterRemote(field: string, before: ScoreFieldState, after: ScoreFieldState): void {
    const w = this.widgets.get(field);
    if (!w) return;
    // The control shows `local` (in a conflict: the user's own text). Written only when it
    // differs, so a focused field keeps its caret.
    if (w.read() !== after.local) w.write(after.local);
    if (after.conflict && after.conflict !== before.conflict) this.announceConflict(field, after);
    this.render(field);
  }

  private whoName(by: string | null): string {
    if (by === null) return 'another interviewer';
    if (by === this.ctx.you()) return 'you (in another tab)';
    return this.ctx.nameOf(by) ?? 'another interviewer';
  }

  private announceConflict(field: string, s: ScoreFieldState): void {
    const w = this.widgets.get(field);
    if (!w || !s.conflict) return;
    this.ctx.announce(`${this.whoName(s.conflict.by)} changed ${w.what} while you were editing it. ` +
      'Your version is kept on screen: choose Use theirs or Keep mine.');
  }

  private renderAll(): void {
    for (const field of this.states.keys()) this.render(field);
  }

  /** The field's state line, its conflict notice and data attributes for tests. */
  private render(field: string, writeControl = false): void {
    const w = this.widgets.get(field);
    const s = this.states.get(field);
    if (!w || !s) return;
    if (writeControl && w.read() !== s.local) w.write(s.local);
    w.element.dataset.rev = String(s.rev);
    let state: string;
    let text: string;
    if (s.conflict) {
      state = 'conflict';
      text = 'Not saved: changed by someone else meanwhile.';
    } else if (s.inflight) {
      state = 'saving';
      text = 'Saving…';
    } else if (unsent(s)) {
      state = 'unsaved';
      text = this.connected ? 'Not saved yet.' : 'Offline: saved when reconnected.';
    } else if (s.rev > 0) {
      state = 'saved';
      text = s.by !== null && s.by !== this.ctx.you() ? `Saved · last changed by ${this.whoName(s.by)}` : 'Saved';
    } else {
      state = 'empty';
      text = '';
    }
    w.element.dataset.state = state;
    if (w.stateLine.textContent !== text) w.stateLine.textContent = text;
    this.renderNotice(w, s);
  }

  private renderNotice(w: FieldWidget, s: ScoreFieldState): void {
    const c = s.conflict;
    if (!c) {
      if (!w.notice.hidden) {
        w.notice.hidden = true;
        replaceChildren(w.notice);
      }
      return;
    }
    const key = `${s.rev}`;
    if (!w.notice.hidden && w.notice.dataset.rev === key) return;
    w.notice.dataset.rev = key;
    const who = this.whoName(c.by);
    const theirs = h('button', {
      type: 'button', 'data-testid': 'score-use-theirs', 'aria-label': `Use ${who}’s version of ${w.what}`,
    }, 'Use theirs');
    const mine = h('button', {
      type: 'button', class: 'primary', 'data-testid': 'score-keep-mine', 'aria-label': `Keep my version of ${w.what}`,
    }, 'Keep mine');
    theirs.addEventListener('click', () => {
      const cur = this.states.get(w.field);
      if (!cur) return;
      const next = useTheirs(cur);
      this.states.set(w.field, next);
      w.write(next.local);
      this.render(w.field);
      w.focus();
    });
    mine.addEventListener('click', () => {
      const cur = this.states.get(w.field);
      if (!cur) return;
      this.states.set(w.field, keepMine(cur));
      this.flush(w.field);
      w.focus();
    });
    replaceChildren(w.notice,
      h('p', {},
        h('strong', {}, `Changed by ${who}`), ` — their version: `,
        h('span', { class: 'score-theirs', 'data-testid': 'score-theirs' }, describeValue(w.kind, c.value)),
        '. Yours is kept here until you choose.'),
      h('p', { class: 'actions' }, theirs, mine));
    w.notice.hidden = false;
  }

  // ---- controls -------------------------------------------------------------------------------

  private fieldBox(field: string, testid: string, ...children: HTMLElement[]): {
    element: HTMLElement; stateLine: HTMLElement; notice: HTMLElement;
  } {
    const stateLine = h('p', { class: 'score-state hint', 'data-testid': 'score-state' });
    const notice = h('div', {
      class: 'score-conflict', role: 'group', 'aria-label': 'Conflicting change', 'data-testid': 'score-conflict',
      hidden: true,
    });
    const element = h('div', {
      class: `score-field score-field--${testid}`, 'data-testid': 'score-field', 'data-field': field, 'data-state': 'empty',
    }, ...children, notice, stateLine);
    return { element, stateLine, notice };
  }

  private ratingWidget(seq: number, name: string): FieldWidget {
    const field = ratingField(seq);
    const group = `score-q${seq}-rating`;
    const options: [string, string][] = [['', 'Not rated'], ['1', '1'], ['2', '2'], ['3', '3'], ['4', '4']];
    const radios = options.map(([value]) => h('input', {
      type: 'radio', name: group, id: `${group}-${value || 'none'}`, value, 'data-testid': 'score-rating',
    }));
    radios[0]!.checked = true;
    const fieldset = h('fieldset', { class: 'score-rating' },
      h('legend', {}, `Rating of ${name}`),
      ...options.map(([value, label], i) =>
        h('span', { class: 'score-radio' }, radios[i]!, h('label', { for: `${group}-${value || 'none'}` }, label))));
    const box = this.fieldBox(field, 'rating', fieldset);
    for (const r of radios) r.addEventListener('change', () => this.userEdit(field, false));
    return {
      field, kind: 'rating', what: `the rating of ${name}`, ...box,
      read: () => {
        const v = radios.find((r) => r.checked)?.value ?? '';
        return v === '' ? null : Number(v);
      },
      write: (value) => {
        const v = value === null ? '' : String(value);
        for (const r of radios) r.checked = r.value === v;
      },
      focus: () => (radios.find((r) => r.checked) ?? radios[0]!).focus(),
    };
  }

  private selectWidget(): FieldWidget {
    const field = RECOMMENDATION_FIELD;
    const select = h('select', { id: 'score-recommendation', 'data-testid': 'score-recommendation' },
      h('option', { value: '' }, '— not decided —'),
      ...RECOMMENDATIONS.map((r) => h('option', { value: r }, RECOMMENDATION_LABEL[r])));
    const box = this.fieldBox(field, 'recommendation',
      h('label', { for: 'score-recommendation' }, 'Recommendation'), select);
    select.addEventListener('change', () => this.userEdit(field, false));
    return {
      field, kind: 'recommendation', what: 'the recommendation', ...box,
      read: () => (select.value === '' ? null : select.value),
      write: (value) => {
        select.value = typeof value === 'string' ? value : '';
      },
      focus: () => select.focus(),
    };
  }

  private textWidget(field: string, kind: 'comment' | 'summary', label: string, what: string, testid: string): FieldWidget {
    const id = field.replace('.', '-');
    const area = h('textarea', { id: `score-${id}`, rows: kind === 'summary' ? 5 : 3, 'data-testid': testid });
    const box = this.fieldBox(field, kind, h('label', { for: `score-${id}` }, label), area);
    area.addEventListener('input', () => this.userEdit(field, true));
    area.addEventListener('blur', () => this.flush(field));
    return {
      field, kind, what, ...box,
      read: () => area.value,
      write: (value) => {
        area.value = typeof value === 'string' ? value : '';
      },
      focus: () => area.focus(),
    };
  }
}
