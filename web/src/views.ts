// The three role views. Each is built once when the role is known and then updated in place,
// so focus and unsent input survive state changes and reconnects.

import { difficultyBadge, h, replaceChildren, timeElement } from './dom';
import {
  DIFFICULTIES,
  MAX_CUSTOM_TEXT_BYTES,
  endInterview,
  isDifficulty,
  pushBankQuestion,
  pushCustomQuestion,
  revealAnswers,
  utf8Length,
  type BankQuestion,
  type Participant,
  type Question,
} from './protocol';
import { filterQuestions, sortParticipants, type DifficultyFilter, type RoomModel } from './state';
import type { BudgetField, SendFn } from './timer-ui';
import { formatLength, spokenLength } from './timers';

export interface ViewContext {
  /** sends a request with a fresh id; false when not connected */
  send: SendFn;
  status: (text: string) => void;
  /** the "time for the next question" field (in the timers panel) */
  budget: BudgetField | null;
}

/** The panels made elsewhere to place in the view (`private` notes for interviewers only). */
export interface NotesPanels {
  shared: HTMLElement;
  private: HTMLElement | null;
  /** the timers (every role) */
  timers: HTMLElement;
  /** interviewers only: the scorecard */
  scorecard?: HTMLElement | null;
  /** the "Download report" controls (every role), named by the heading `report-heading` */
  report?: HTMLElement | null;
}

export interface RoleView {
  readonly element: HTMLElement;
  /** the whole model changed (welcome) */
  renderAll(model: RoomModel): void;
  renderQuestion(model: RoomModel): void;
  renderPresence(model: RoomModel): void;
  /** the interview ended, or its sample answers were revealed (also from a welcome) */
  renderEnded(model: RoomModel): void;
  setConnected(connected: boolean): void;
}

// ---------------------------------------------------------------------------------------------
// Shared sections

function section(title: string, testid: string, ...body: (Node | null)[]): HTMLElement {
  const headingId = `${testid}-heading`;
  return h('section', { class: 'card', 'aria-labelledby': headingId, 'data-testid': `${testid}-section` },
    h('h2', { id: headingId }, title), ...body);
}

function questionLabel(q: { number: number | null }): string {
  return q.number === null ? 'Custom question' : `Question ${q.number}`;
}

/** A sample answer shown to the candidate and observers once revealed after the interview. */
function revealedAnswer(q: Question, testid: string): HTMLElement | null {
  if (q.sample_answer === undefined) return null;
  return h('div', { class: 'answer answer--revealed', 'data-testid': testid },
    h('p', { class: 'answer-label' }, 'Sample answer (shown after the interview)'),
    q.sample_answer
      ? h('p', { class: 'answer-text' }, q.sample_answer)
      : h('p', { class: 'empty' }, 'No sample answer (a custom question).'));
}

function renderCurrent(el: HTMLElement, q: Question | null,
  opts: { withAnswer: boolean; revealed?: boolean; emptyText: string }): void {
  if (!q) {
    replaceChildren(el, h('p', { class: 'empty', 'data-testid': 'current-question-empty' }, opts.emptyText));
    return;
  }
  replaceChildren(el,
    h('p', { class: 'meta' }, difficultyBadge(q.difficulty), ' ', h('span', {}, questionLabel(q)), ' · pushed at ',
      timeElement(q.pushed_at)),
    h('p', { class: 'question-text', 'data-testid': 'current-question-text' }, q.text),
    opts.withAnswer && q.sample_answer
      ? h('details', { class: 'answer', 'data-testid': 'current-sample-answer' },
        h('summary', {}, 'Sample answer'), h('p', { class: 'answer-text' }, q.sample_answer))
      : opts.revealed ? revealedAnswer(q, 'current-sample-answer') : null,
  );
}

/** "Budget 15:00 · spent 3:03" (time spent: interviewers only, once the next question is pushed). */
function timing(q: Question, isCurrent: boolean): HTMLElement {
  const spent = q.time_spent_ms;
  return h('p', { class: 'timing', 'data-testid': 'history-timing' },
    h('span', { 'data-testid': 'history-budget', title: spokenLength(q.budget_ms) }, `Budget ${formatLength(q.budget_ms)}`),
    !isCurrent && spent !== undefined
      ? h('span', { 'data-testid': 'history-spent', title: spokenLength(spent),
        class: spent > q.budget_ms ? 'over' : null }, ` · spent ${formatLength(spent)}`)
      : null);
}

function renderHistory(list: HTMLElement, history: readonly Question[], current: Question | null, revealed = false): void {
  if (history.length === 0) {
    replaceChildren(list, h('li', { class: 'empty' }, 'No questions pushed yet.'));
    return;
  }
  replaceChildren(list, ...history.map((q) =>
    h('li', { class: 'history-item', 'data-testid': 'history-item', 'data-seq': q.seq },
      h('p', { class: 'meta' }, timeElement(q.pushed_at), ' · ', questionLabel(q), ' ', difficultyBadge(q.difficulty),
        current?.seq === q.seq ? h('span', { class: 'current-tag' }, ' current') : null),
      h('p', { class: 'history-text' }, q.text),
      timing(q, current?.seq === q.seq),
      revealed ? revealedAnswer(q, 'history-sample-answer') : null)));
}

/**
 * "The interview has ended" at the top of every view, once it has. Not a live region itself:
 * the room announces the end once, when it happens.
 */
function endedBanner(): { element: HTMLElement; render(model: RoomModel): void } {
  const detail = h('span', { 'data-testid': 'ended-detail' });
  const debrief = h('p', { class: 'ended-debrief', 'data-testid': 'ended-debrief' });
  const element = h('div', { class: 'banner banner--ended', 'data-testid': 'ended-banner', hidden: true },
    h('p', {}, h('strong', {}, 'The interview has ended'), detail), debrief);
  return {
    element,
    render(m) {
      element.hidden = m.endedAt === null;
      if (m.endedAt === null) return;
      const by = m.endedBy === null ? null : m.participants.find((p) => p.id === m.endedBy)?.name ?? null;
      replaceChildren(detail, ' at ', timeElement(m.endedAt), by ? ` (ended by ${by})` : '', '.');
      debrief.textContent = m.role === 'interviewer'
        ? 'The shared notes are read-only and the timers are stopped. Your private notes and the scorecard stay open.'
        : m.revealed
          ? 'The shared notes are read-only. The sample answers are now shown with each question.'
          : 'The shared notes are read-only. Thank you for taking part.';
    },
  };
}

/**
 * A second step for an action that cannot be undone: the trigger shows a small confirmation
 * box whose confirm button gets focus; Cancel or Escape closes it and returns focus.
 */
function confirmStep(opts: {
  trigger: HTMLButtonElement;
  question: string;
  confirmLabel: string;
  testid: string;
  onConfirm: () => void;
}): HTMLElement {
  const questionId = `${opts.testid}-question`;
  const yes = h('button', { type: 'button', class: 'primary danger', 'data-testid': `${opts.testid}-confirm` },
    opts.confirmLabel);
  const no = h('button', { type: 'button', 'data-testid': `${opts.testid}-cancel` }, 'Cancel');
  const box = h('div', {
    class: 'confirm', role: 'group', 'aria-labelledby': questionId, 'data-testid': `${opts.testid}-confirmation`,
    hidden: true,
  },
  h('p', { id: questionId }, opts.question),
  h('p', { class: 'actions' }, yes, no));
  const close = (): void => {
    box.hidden = true;
    opts.trigger.setAttribute('aria-expanded', 'false');
    opts.trigger.focus();
  };
  opts.trigger.setAttribute('aria-expanded', 'false');
  opts.trigger.addEventListener('click', () => {
    if (opts.trigger.getAttribute('aria-disabled') === 'true') return;
    box.hidden = false;
    opts.trigger.setAttribute('aria-expanded', 'true');
    yes.focus();
  });
  no.addEventListener('click', close);
  box.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      close();
    }
  });
  yes.addEventListener('click', () => {
    close();
    opts.onConfirm();
  });
  return box;
}

const ROLE_LABEL = { interviewer: 'Interviewer', candidate: 'Candidate', observer: 'Observer' } as const;

function renderPresence(list: HTMLElement, participants: readonly Participant[], you: string): void {
  if (participants.length === 0) {
    replaceChildren(list, h('li', { class: 'empty' }, 'Nobody is here yet.'));
    return;
  }
  replaceChildren(list, ...sortParticipants(participants).map((p) =>
    h('li', {
      class: `presence-item ${p.connected ? 'online' : 'offline'}`,
      'data-testid': 'presence-item',
      'data-role': p.role,
      'data-connected': String(p.connected),
    },
    h('span', { class: 'dot', 'aria-hidden': 'true' }),
    h('span', { class: 'name' }, p.name), p.id === you ? ' (you)' : '',
    h('span', { class: 'role' }, ` ${ROLE_LABEL[p.role]}`),
    h('span', { class: 'presence-state' }, p.connected ? ' online' : ' offline'))));
}

function presenceSection(): { section: HTMLElement; list: HTMLElement } {
  const list = h('ul', { class: 'presence', 'data-testid': 'presence' });
  return { section: section('Participants', 'presence', list), list };
}

function historySection(): { section: HTMLElement; list: HTMLElement } {
  const list = h('ol', { class: 'history', 'data-testid': 'history', reversed: true });
  return {
    section: section('History', 'history', h('p', { class: 'hint' }, 'Newest first.'), list),
    list,
  };
}

// ---------------------------------------------------------------------------------------------
// Candidate and observer

export function audienceView(role: 'candidate' | 'observer', notes: NotesPanels): RoleView {
  const current = h('div', { class: 'current current--large', 'data-testid': 'current-question' });
  const history = historySection();
  const presence = presenceSection();
  const banner = endedBanner();
  const element = h('div', { class: `layout layout--audience role-${role}` },
    h('div', { class: 'col-main' },
      banner.element,
      role === 'observer'
        ? h('p', { class: 'banner', 'data-testid': 'observer-banner' },
          'You are observing this interview. This view is read-only.')
        : null,
      notes.timers,
      section('Current question', 'current', current),
      notes.shared),
    h('div', { class: 'col-side' }, history.section, presence.section,
      notes.report ? section('Download report', 'report', notes.report) : null),
  );
  // Joining focuses the question's heading, not the timers above it.
  element.querySelector('#current-heading')?.setAttribute('data-focus-start', '');
  const emptyText = role === 'candidate'
    ? 'No question yet. The interviewer’s question will appear here.'
    : 'No question has been asked yet.';
  const renderQ = (m: RoomModel): void => {
    renderCurrent(current, m.current, { withAnswer: false, revealed: m.revealed, emptyText });
    renderHistory(history.list, m.history, m.current, m.revealed);
  };
  return {
    element,
    renderAll(m) {
      renderQ(m);
      renderPresence(presence.list, m.participants, m.you);
      banner.render(m);
    },
    renderQuestion: renderQ,
    renderPresence: (m) => {
      renderPresence(presence.list, m.participants, m.you);
      banner.render(m);
    },
    renderEnded(m) {
      renderQ(m);
      banner.render(m);
    },
    setConnected() {},
  };
}

// ---------------------------------------------------------------------------------------------
// Interviewer

export function interviewerView(ctx: ViewContext, notes: NotesPanels): RoleView {
  let model: RoomModel | null = null;
  let query = '';
  let difficulty: DifficultyFilter = 'all';
  let selectedId: string | null = null;
  let bankKey = '';
  let pendingCustom: string | null = null;
  let connected = false;
  let ended = false;

  // Bank browser
  const search = h('input', {
    id: 'bank-search', type: 'search', autocomplete: 'off', placeholder: 'Words in question or answer',
    'data-testid': 'bank-search',
  });
  const filter = h('select', { id: 'bank-difficulty', 'data-testid': 'difficulty-filter' },
    h('option', { value: 'all' }, 'All'), ...DIFFICULTIES.map((d) => h('option', { value: d }, d)));
  const count = h('p', { class: 'hint', 'aria-live': 'polite', 'data-testid': 'bank-count' });
  const list = h('ul', {
    class: 'question-list', 'data-testid': 'question-list', 'aria-label': 'Questions',
    'aria-describedby': 'question-list-hint',
  });
  const browser = section('Question bank', 'bank',
    h('div', { class: 'filters' },
      h('div', { class: 'field' }, h('label', { for: 'bank-search' }, 'Search'), search),
      h('div', { class: 'field' }, h('label', { for: 'bank-difficulty' }, 'Difficulty'), filter)),
    count, list,
    h('p', { class: 'hint', id: 'question-list-hint' }, 'In the list, ↑ and ↓ move between questions; Enter selects.'));

  // Selected question
  const detail = h('div', { class: 'detail', 'data-testid': 'selected-question' });
  const pushButton = h('button', { type: 'button', class: 'primary', 'data-testid': 'push-button', disabled: true },
    'Push to candidate');
  const detailSection = section('Selected question', 'selected', detail, h('p', { class: 'actions' }, pushButton));

  // Ad-hoc question
  const customText = h('textarea', { id: 'custom-text', rows: 4, required: true, 'data-testid': 'custom-text',
    'aria-describedby': 'custom-hint' });
  const customDifficulty = h('select', { id: 'custom-difficulty', 'data-testid': 'custom-difficulty' },
    ...DIFFICULTIES.map((d) => h('option', { value: d, selected: d === 'medium' }, d)));
  const customButton = h('button', { type: 'submit', 'data-testid': 'custom-push', disabled: true },
    'Push custom question');
  const customForm = h('form', { class: 'stack', 'data-testid': 'custom-form' },
    h('div', { class: 'field' }, h('label', { for: 'custom-text' }, 'Question text'), customText,
      h('p', { class: 'hint', id: 'custom-hint' }, 'Ctrl+Enter pushes it.')),
    h('div', { class: 'field' }, h('label', { for: 'custom-difficulty' }, 'Difficulty'), customDifficulty),
    h('p', { class: 'actions' }, customButton));
  const customSection = section('Ad-hoc question', 'custom', customForm);

  // Room state
  const current = h('div', { class: 'current', 'data-testid': 'current-question' });
  const history = historySection();
  const presence = presenceSection();
  const banner = endedBanner();
  const pushEndedHint = h('p', { class: 'hint', 'data-testid': 'push-ended-hint', hidden: true },
    'The interview has ended: no more questions can be pushed.');
  detailSection.append(pushEndedHint);

  // Ending and the debrief
  const endButton = h('button', { type: 'button', class: 'danger', 'data-testid': 'end-button' }, 'End interview…');
  const endConfirm = confirmStep({
    trigger: endButton,
    question: 'End the interview for everyone? The shared notes become read-only and the timers stop. ' +
      'This cannot be undone.',
    confirmLabel: 'Yes, end the interview',
    testid: 'end',
    onConfirm: () => {
      ctx.send((id) => endInterview(id), 'end the interview', { quietConflict: true });
    },
  });
  const beforeEnd = h('div', { 'data-testid': 'end-controls' },
    h('p', { class: 'hint' }, 'When you are done: the shared notes become read-only for everyone and the timers stop. ' +
      'Your private notes and the scorecard stay open.'),
    h('p', { class: 'actions' }, endButton),
    endConfirm);
  const revealButton = h('button', { type: 'button', class: 'primary', 'data-testid': 'reveal-button' },
    'Reveal sample answers to the candidate…');
  const revealQuestion = h('span');
  const revealConfirm = confirmStep({
    trigger: revealButton,
    question: 'Show the sample answers of the asked questions to the candidate and the observers? ' +
      'This cannot be undone.',
    confirmLabel: 'Yes, reveal the sample answers',
    testid: 'reveal',
    onConfirm: () => {
      ctx.send((id) => revealAnswers(id), 'reveal the sample answers', { quietConflict: true });
    },
  });
  revealConfirm.querySelector('p')?.prepend(revealQuestion);
  const revealControls = h('div', { 'data-testid': 'reveal-controls' },
    h('p', { class: 'hint' }, 'Debrief: the candidate and observers can see each asked question’s sample answer once you reveal them.'),
    h('p', { class: 'actions' }, revealButton),
    revealConfirm);
  const revealedNote = h('p', { class: 'revealed-note', 'data-testid': 'revealed-note', tabindex: -1 },
    'The sample answers are shown to the candidate and observers.');
  const afterEnd = h('div', { 'data-testid': 'debrief-controls', hidden: true }, revealControls, revealedNote);
  const endSection = section('Interview', 'ending', beforeEnd, afterEnd,
    notes.report
      ? h('div', { class: 'report-block', 'data-testid': 'report-section' },
        h('h3', { id: 'report-heading' }, 'Download report'), notes.report)
      : null);

  // The banner spans the three columns.
  banner.element.classList.add('layout-banner');
  const element = h('div', { class: 'layout layout--interviewer' },
    banner.element,
    h('div', { class: 'col-bank' }, browser),
    h('div', { class: 'col-detail' }, detailSection, customSection, notes.private, notes.scorecard ?? null),
    h('div', { class: 'col-room' }, endSection, notes.timers, section('Now asking', 'current', current),
      notes.shared, history.section, presence.section),
  );

  function renderEnding(m: RoomModel): void {
    const wasEnded = ended;
    ended = m.endedAt !== null;
    const focusInside = endSection.contains(document.activeElement);
    const hadRevealControls = !revealControls.hidden && !afterEnd.hidden;
    beforeEnd.hidden = ended;
    afterEnd.hidden = !ended;
    revealControls.hidden = m.revealed;
    revealedNote.hidden = !m.revealed;
    const asked = m.history.length;
    revealQuestion.textContent = asked === 1 ? '1 question was asked. ' : `${asked} questions were asked. `;
    if (asked === 0) revealButton.setAttribute('aria-disabled', 'true');
    else revealButton.removeAttribute('aria-disabled');
    banner.render(m);
    customButton.disabled = !connected || ended;
    pushEndedHint.hidden = !ended;
    // Focus was on a control that is gone now: move it to the next step.
    if (focusInside && ended && !wasEnded) revealButton.focus();
    else if (focusInside && m.revealed && hadRevealControls) revealedNote.focus();
  }

  const bankQuestions = (): BankQuestion[] => model?.bank?.questions ?? [];
  const askedIds = (): Set<string> => new Set((model?.history ?? []).map((q) => q.id));

  function renderList(): void {
    const all = bankQuestions();
    const shown = filterQuestions(all, query, difficulty);
    const asked = askedIds();
    count.textContent = `${shown.length} of ${all.length} questions`;
    if (shown.length === 0) {
      replaceChildren(list, h('li', { class: 'empty' }, all.length ? 'No question matches.' : 'This bank is empty.'));
      return;
    }
    replaceChildren(list, ...shown.map((q) => {
      const button = h('button', {
        type: 'button',
        class: 'question-item',
        'data-testid': 'question-item',
        'data-question-id': q.id,
        'data-number': q.number,
        'aria-current': q.id === selectedId ? 'true' : null,
      },
      h('span', { class: 'num' }, `${q.number}.`), ' ', difficultyBadge(q.difficulty),
      asked.has(q.id) ? h('span', { class: 'asked' }, ' asked') : null,
      h('span', { class: 'qtext' }, q.text));
      button.addEventListener('click', () => select(q.id));
      return h('li', {}, button);
    }));
    updateTabStop();
  }

  const listButtons = (): HTMLButtonElement[] => [...list.querySelectorAll<HTMLButtonElement>('button.question-item')];

  /** The list is one tab stop (the selected question, else the first); arrows move inside. */
  function updateTabStop(focused?: HTMLButtonElement): void {
    const buttons = listButtons();
    const stop = focused ?? buttons.find((b) => b.dataset.questionId === selectedId) ?? buttons[0];
    for (const b of buttons) b.tabIndex = b === stop ? 0 : -1;
  }

  list.addEventListener('keydown', (ev) => {
    const buttons = listButtons();
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (i < 0) return;
    const last = buttons.length - 1;
    const moves: Record<string, number> = { ArrowDown: Math.min(last, i + 1), ArrowUp: Math.max(0, i - 1), Home: 0, End: last };
    const j = moves[ev.key];
    if (j === undefined) return;
    ev.preventDefault();
    const target = buttons[j]!;
    updateTabStop(target);
    target.focus();
  });

  function markSelection(): void {
    for (const b of listButtons()) {
      if (b.dataset.questionId === selectedId) b.setAttribute('aria-current', 'true');
      else b.removeAttribute('aria-current');
    }
    updateTabStop(list.contains(document.activeElement) ? (document.activeElement as HTMLButtonElement) : undefined);
  }

  function renderDetail(): void {
    const q = bankQuestions().find((x) => x.id === selectedId);
    pushButton.disabled = !q || !connected || ended;
    if (!q) {
      replaceChildren(detail, h('p', { class: 'empty' }, 'Select a question from the bank to see its sample answer.'));
      return;
    }
    const isCurrent = model?.current?.id === q.id;
    replaceChildren(detail,
      h('p', { class: 'meta' }, difficultyBadge(q.difficulty), ` Question ${q.number}`,
        isCurrent ? h('span', { class: 'current-tag' }, ' current') : null,
        h('span', { 'data-testid': 'selected-budget', title: spokenLength(q.budget_ms) },
          ` · time ${formatLength(q.budget_ms)}`)),
      h('div', { class: 'qa' },
        h('div', {}, h('h3', {}, 'Question'), h('p', { class: 'question-text', 'data-testid': 'selected-question-text' }, q.text)),
        h('div', {}, h('h3', {}, 'Sample answer'), h('p', { class: 'answer-text', 'data-testid': 'sample-answer' }, q.sample_answer))),
    );
  }

  function select(id: string): void {
    selectedId = id;
    markSelection();
    renderDetail();
  }

  /** Rebuilds the list, unless a question button has focus: then only the "asked" marks change. */
  function refreshList(force: boolean): void {
    if (force || !list.contains(document.activeElement)) {
      renderList();
      return;
    }
    const asked = askedIds();
    for (const b of listButtons()) {
      if (asked.has(b.dataset.questionId ?? '') && !b.querySelector('.asked')) {
        b.querySelector('.badge')?.after(h('span', { class: 'asked' }, ' asked'));
      }
    }
  }

  function renderRoom(): void {
    if (!model) return;
    renderCurrent(current, model.current, { withAnswer: true, emptyText: 'Nothing pushed yet.' });
    renderHistory(history.list, model.history, model.current);
  }

  search.addEventListener('input', () => {
    query = search.value;
    renderList();
  });
  filter.addEventListener('change', () => {
    difficulty = filter.value === 'all' || isDifficulty(filter.value) ? (filter.value as DifficultyFilter) : 'all';
    renderList();
  });

  /** The typed time for the next question (undefined: the bank's), or null after telling what is wrong. */
  function budget(): { ms: number | undefined } | null {
    const choice = ctx.budget?.read() ?? { ok: true, ms: undefined };
    if (choice.ok) return { ms: choice.ms };
    ctx.status(choice.error);
    return null;
  }

  pushButton.addEventListener('click', () => {
    const q = bankQuestions().find((x) => x.id === selectedId);
    if (ended) return;
    const b = budget();
    if (!q || !b) return;
    if (ctx.send((id) => pushBankQuestion(q.id, id, b.ms), `push question ${q.number}`)) ctx.budget?.clear();
  });

  function submitCustom(): void {
    if (ended) {
      ctx.status('The interview has ended: no more questions can be pushed.');
      return;
    }
    const text = customText.value.trim();
    if (text.length === 0) {
      ctx.status('Type the question first.');
      customText.focus();
      return;
    }
    if (utf8Length(text) > MAX_CUSTOM_TEXT_BYTES) {
      ctx.status('The question is too long (at most 10,000 bytes).');
      customText.focus();
      return;
    }
    const d = isDifficulty(customDifficulty.value) ? customDifficulty.value : 'medium';
    const b = budget();
    if (!b) return;
    if (ctx.send((id) => pushCustomQuestion(text, d, id, b.ms), 'push the custom question')) {
      pendingCustom = text;
      ctx.budget?.clear();
    }
  }
  customForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submitCustom();
  });
  customText.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      submitCustom();
    }
  });

  return {
    element,
    renderAll(m) {
      model = m;
      // Rebuild the list only when the bank itself changed (keeps focus on reconnect).
      const key = JSON.stringify(m.bank);
      const bankChanged = key !== bankKey;
      bankKey = key;
      if (selectedId && !bankQuestions().some((q) => q.id === selectedId)) selectedId = null;
      renderEnding(m);
      refreshList(bankChanged);
      renderDetail();
      renderRoom();
      renderPresence(presence.list, m.participants, m.you);
    },
    renderEnded(m) {
      model = m;
      renderEnding(m);
      renderDetail();
      renderRoom();
    },
    renderQuestion(m) {
      model = m;
      renderRoom();
      if (m.endedAt !== null) renderEnding(m);
      const q = m.current;
      if (q && q.number === null && pendingCustom !== null && q.text === pendingCustom) {
        if (customText.value.trim() === pendingCustom) customText.value = '';
        pendingCustom = null;
      }
      refreshList(false);
      renderDetail();
    },
    renderPresence(m) {
      model = m;
      renderPresence(presence.list, m.participants, m.you);
      banner.render(m);
    },
    setConnected(c) {
      connected = c;
      customButton.disabled = !c || ended;
      renderDetail();
    },
  };

}
