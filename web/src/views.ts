// The three role views. Each is built once when the role is known and then updated in place,
// so focus and unsent input survive state changes and reconnects.

import { difficultyBadge, h, replaceChildren, timeElement } from './dom';
import {
  DIFFICULTIES,
  MAX_CUSTOM_TEXT_BYTES,
  isDifficulty,
  pushBankQuestion,
  pushCustomQuestion,
  utf8Length,
  type BankQuestion,
  type ClientMessage,
  type Participant,
  type Question,
} from './protocol';
import { filterQuestions, sortParticipants, type DifficultyFilter, type RoomModel } from './state';
import type { BudgetField } from './timer-ui';
import { formatLength, spokenLength } from './timers';

export interface ViewContext {
  /** sends a request with a fresh id; false when not connected */
  send: (build: (id: number) => ClientMessage, what: string) => boolean;
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
}

export interface RoleView {
  readonly element: HTMLElement;
  /** the whole model changed (welcome) */
  renderAll(model: RoomModel): void;
  renderQuestion(model: RoomModel): void;
  renderPresence(model: RoomModel): void;
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

function renderCurrent(el: HTMLElement, q: Question | null, opts: { withAnswer: boolean; emptyText: string }): void {
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
      : null,
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

function renderHistory(list: HTMLElement, history: readonly Question[], current: Question | null): void {
  if (history.length === 0) {
    replaceChildren(list, h('li', { class: 'empty' }, 'No questions pushed yet.'));
    return;
  }
  replaceChildren(list, ...history.map((q) =>
    h('li', { class: 'history-item', 'data-testid': 'history-item', 'data-seq': q.seq },
      h('p', { class: 'meta' }, timeElement(q.pushed_at), ' · ', questionLabel(q), ' ', difficultyBadge(q.difficulty),
        current?.seq === q.seq ? h('span', { class: 'current-tag' }, ' current') : null),
      h('p', { class: 'history-text' }, q.text),
      timing(q, current?.seq === q.seq))));
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
  const element = h('div', { class: `layout layout--audience role-${role}` },
    h('div', { class: 'col-main' },
      role === 'observer'
        ? h('p', { class: 'banner', 'data-testid': 'observer-banner' },
          'You are observing this interview. This view is read-only.')
        : null,
      notes.timers,
      section('Current question', 'current', current),
      notes.shared),
    h('div', { class: 'col-side' }, history.section, presence.section),
  );
  // Joining focuses the question's heading, not the timers above it.
  element.querySelector('#current-heading')?.setAttribute('data-focus-start', '');
  const emptyText = role === 'candidate'
    ? 'No question yet. The interviewer’s question will appear here.'
    : 'No question has been asked yet.';
  const renderQ = (m: RoomModel): void => {
    renderCurrent(current, m.current, { withAnswer: false, emptyText });
    renderHistory(history.list, m.history, m.current);
  };
  return {
    element,
    renderAll(m) {
      renderQ(m);
      renderPresence(presence.list, m.participants, m.you);
    },
    renderQuestion: renderQ,
    renderPresence: (m) => renderPresence(presence.list, m.participants, m.you),
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

  const element = h('div', { class: 'layout layout--interviewer' },
    h('div', { class: 'col-bank' }, browser),
    h('div', { class: 'col-detail' }, detailSection, customSection, notes.private),
    h('div', { class: 'col-room' }, notes.timers, section('Now asking', 'current', current), notes.shared, history.section,
      presence.section),
  );

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
    pushButton.disabled = !q || !connected;
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
    const b = budget();
    if (!q || !b) return;
    if (ctx.send((id) => pushBankQuestion(q.id, id, b.ms), `push question ${q.number}`)) ctx.budget?.clear();
  });

  function submitCustom(): void {
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
      refreshList(bankChanged);
      renderDetail();
      renderRoom();
      renderPresence(presence.list, m.participants, m.you);
    },
    renderQuestion(m) {
      model = m;
      renderRoom();
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
    },
    setConnected(c) {
      connected = c;
      customButton.disabled = !c;
      renderDetail();
    },
  };

}
