// The landing page: pick a bank, create a room, hand out the three links.

import { h, replaceChildren } from './dom';
import {
  DEFAULT_INTERVIEW_MS,
  MAX_INTERVIEW_MS,
  MAX_TITLE_BYTES,
  MIN_INTERVIEW_MS,
  createRoomRequest,
  httpErrorMessage,
  parseBanksResponse,
  parseCreatedRoom,
  utf8Length,
  type BankSummary,
  type CreatedRoom,
  type Role,
} from './protocol';

export function mountLanding(root: HTMLElement): void {
  document.title = 'mockroom — create a mock interview';
  const status = h('p', { class: 'status', role: 'status', 'data-testid': 'status-line' });
  const bankSelect = h('select', { id: 'bank', name: 'bank', required: true, 'data-testid': 'bank-select', disabled: true },
    h('option', { value: '' }, 'Loading banks…'));
  const bankDescription = h('p', { class: 'hint', id: 'bank-description', 'data-testid': 'bank-description' });
  bankSelect.setAttribute('aria-describedby', 'bank-description');
  const titleInput = h('input', {
    id: 'room-title',
    name: 'title',
    type: 'text',
    autocomplete: 'off',
    placeholder: 'Mock interview',
    maxlength: MAX_TITLE_BYTES,
    'data-testid': 'room-title-input',
  });
  const lengthInput = h('input', {
    id: 'interview-minutes',
    name: 'interview_minutes',
    type: 'number',
    inputmode: 'numeric',
    min: MIN_INTERVIEW_MS / 60_000,
    max: MAX_INTERVIEW_MS / 60_000,
    step: 1,
    required: true,
    'aria-describedby': 'interview-minutes-hint',
    'data-testid': 'interview-minutes',
  });
  lengthInput.value = String(DEFAULT_INTERVIEW_MS / 60_000);
  const createButton = h('button', { type: 'submit', class: 'primary', 'data-testid': 'create-room', disabled: true },
    'Create room');
  const form = h('form', { class: 'card stack', 'aria-labelledby': 'create-heading' },
    h('h2', { id: 'create-heading' }, 'New room'),
    h('div', { class: 'field' }, h('label', { for: 'bank' }, 'Question bank'), bankSelect, bankDescription),
    h('div', { class: 'field' },
      h('label', { for: 'room-title' }, 'Room title ', h('span', { class: 'optional' }, '(optional)')),
      titleInput),
    h('div', { class: 'field' },
      h('label', { for: 'interview-minutes' }, 'Interview length (minutes)'),
      lengthInput,
      h('p', { class: 'hint', id: 'interview-minutes-hint' },
        'The interview timer starts with the first question. Everyone sees it; a warning shows from 2 minutes left.')),
    h('div', { class: 'actions' }, createButton),
  );
  const result = h('section', { class: 'card stack', 'aria-labelledby': 'links-heading', 'data-testid': 'room-links', hidden: true });

  replaceChildren(root,
    h('header', { class: 'topbar' },
      h('div', {}, h('h1', {}, 'mockroom'), h('p', { class: 'sub' }, 'Real-time mock interviews'))),
    h('main', { id: 'main', class: 'landing' }, form, status, result),
  );

  let banks: BankSummary[] = [];
  const describe = (): void => {
    const b = banks.find((x) => x.id === bankSelect.value);
    bankDescription.textContent = b ? b.description : '';
  };
  bankSelect.addEventListener('change', describe);

  void (async () => {
    try {
      const res = await fetch('/api/banks', { headers: { Accept: 'application/json' } });
      const parsed = parseBanksResponse(await res.json());
      if (!res.ok || !parsed) throw new Error(`HTTP ${res.status}`);
      banks = parsed;
    } catch {
      status.textContent = 'Could not load the question banks. Reload the page to try again.';
      replaceChildren(bankSelect, h('option', { value: '' }, 'No banks available'));
      return;
    }
    if (banks.length === 0) {
      status.textContent = 'The server has no question banks.';
      replaceChildren(bankSelect, h('option', { value: '' }, 'No banks available'));
      return;
    }
    replaceChildren(bankSelect,
      ...banks.map((b) => h('option', { value: b.id }, `${b.title} (${b.questions} questions)`)));
    bankSelect.disabled = false;
    createButton.disabled = false;
    describe();
  })();

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const title = titleInput.value.trim();
    if (utf8Length(title) > MAX_TITLE_BYTES) {
      status.textContent = 'The title is too long (at most 200 bytes).';
      titleInput.focus();
      return;
    }
    const minutes = Number(lengthInput.value);
    const interviewMs = Math.round(minutes * 60_000);
    if (!lengthInput.value.trim() || !Number.isInteger(minutes) || interviewMs < MIN_INTERVIEW_MS ||
      interviewMs > MAX_INTERVIEW_MS) {
      status.textContent = 'The interview length is a whole number of minutes, from 1 to 1440 (24 hours).';
      lengthInput.setAttribute('aria-invalid', 'true');
      lengthInput.focus();
      return;
    }
    lengthInput.removeAttribute('aria-invalid');
    createButton.disabled = true;
    status.textContent = 'Creating the room…';
    void (async () => {
      try {
        const res = await fetch('/api/rooms', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify(createRoomRequest(bankSelect.value, { title, interviewMs })),
        });
        const body: unknown = await res.json().catch(() => null);
        const room = res.status === 201 ? parseCreatedRoom(body) : null;
        if (!room) {
          status.textContent = `Could not create the room: ${httpErrorMessage(body) ?? `HTTP ${res.status}`}`;
          return;
        }
        status.textContent = 'Room created. Share the links below.';
        showLinks(result, room);
      } catch {
        status.textContent = 'Could not reach the server. Check the connection and try again.';
      } finally {
        createButton.disabled = false;
      }
    })();
  });
}

const LINK_HELP: Record<Role, string> = {
  interviewer: 'For you: sees the bank and the sample answers. Keep it private.',
  candidate: 'For the candidate: sees only the questions you push.',
  observer: 'For observers: read-only, like the candidate’s view.',
};

function showLinks(section: HTMLElement, room: CreatedRoom): void {
  const roles: Role[] = ['interviewer', 'candidate', 'observer'];
  replaceChildren(section,
    h('h2', { id: 'links-heading', tabindex: -1 }, `Links for “${room.title}”`),
    h('p', {}, `Bank: ${room.bank.title}. Anyone with a link joins with that role.`),
    ...roles.map((role) => linkRow(role, room.links[role])),
    h('p', { class: 'actions' },
      h('a', { href: room.links.interviewer, class: 'button primary', 'data-testid': 'open-interviewer' },
        'Open interviewer view')),
  );
  section.hidden = false;
  section.querySelector<HTMLElement>('#links-heading')?.focus();
}

function linkRow(role: Role, link: string): HTMLElement {
  const inputId = `link-${role}`;
  const helpId = `link-${role}-help`;
  const input = h('input', {
    id: inputId,
    type: 'text',
    readonly: true,
    class: 'link',
    'aria-describedby': helpId,
    'data-testid': `link-${role}`,
  });
  input.value = link;
  const feedback = h('span', { class: 'copy-feedback', role: 'status', 'data-testid': `copy-feedback-${role}` });
  const button = h('button', { type: 'button', 'data-testid': `copy-${role}`, 'aria-label': `Copy ${role} link` }, 'Copy');
  button.addEventListener('click', () => void copyLink(input, feedback));
  input.addEventListener('focus', () => input.select());
  const label = role[0]!.toUpperCase() + role.slice(1);
  return h('div', { class: 'field link-row' },
    h('label', { for: inputId }, `${label} link`),
    h('div', { class: 'link-line' }, input, button, feedback),
    h('p', { class: 'hint', id: helpId }, LINK_HELP[role]),
  );
}

async function copyLink(input: HTMLInputElement, feedback: HTMLElement): Promise<void> {
  try {
    if (!navigator.clipboard || !window.isSecureContext) throw new Error('no clipboard');
    await navigator.clipboard.writeText(input.value);
    feedback.textContent = 'Copied';
  } catch {
    // No clipboard API (plain http on a LAN address, or permission refused): select the
    // text so the user can copy it with the keyboard.
    input.focus();
    input.select();
    let copied = false;
    try {
      copied = document.execCommand('copy');
    } catch {
      copied = false;
    }
    feedback.textContent = copied ? 'Copied' : 'Selected: press Ctrl+C (⌘C) to copy';
  }
}
