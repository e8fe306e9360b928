// The room page: join form, connection, and the view for the role the server gives us.

import { ServerClock } from './clock';
import { RoomConnection, type ConnectionState } from './connection';
import { h, replaceChildren } from './dom';
import { NotesController } from './notes-ui';
import {
  helloMessage,
  leaveMessage,
  validateName,
  type ClientMessage,
  type ErrorMessage,
  type HeldVersions,
  type ServerMessage,
} from './protocol';
import { localStore, rememberName, rememberedName, tabClientId, webSocketUrl } from './route';
import { reportPanel } from './report';
import { ScorecardPanel } from './scorecard-ui';
import { applyMessage, type RoomModel } from './state';
import { TimerPanel, type SendOptions } from './timer-ui';
import { audienceView, interviewerView, type RoleView } from './views';

const ROLE_LABEL = { interviewer: 'Interviewer', candidate: 'Candidate', observer: 'Observer (read-only)' } as const;

export function mountRoom(root: HTMLElement, roomId: string, token: string | null): void {
  document.title = 'mockroom — interview room';
  const title = h('h1', { 'data-testid': 'room-title' }, 'Interview room');
  const sub = h('p', { class: 'sub' });
  const connState = h('p', { class: 'conn conn--idle', 'data-testid': 'connection-state', 'data-state': 'idle' },
    'Not connected');
  const leaveButton = h('button', { type: 'button', 'data-testid': 'leave-button', hidden: true }, 'Leave room');
  const status = h('p', { class: 'status', role: 'status', 'data-testid': 'status-line' });
  // Screen-reader announcements (new question, connection lost and back).
  const announcer = h('div', { class: 'visually-hidden', 'aria-live': 'polite', 'data-testid': 'announcer' });
  const main = h('main', { id: 'main', class: 'room' });
  replaceChildren(root,
    h('a', { class: 'skip-link', href: '#main' }, 'Skip to content'),
    h('header', { class: 'topbar' }, h('div', {}, title, sub), h('div', { class: 'topbar-end' }, connState, leaveButton)),
    status, announcer, main);

  const announce = (text: string): void => {
    // Clear first so that the same text twice is announced twice.
    announcer.textContent = '';
    window.setTimeout(() => {
      announcer.textContent = text;
    }, 50);
  };

  if (!token) {
    setConnText(connState, 'stopped', 'Invalid link');
    replaceChildren(main, h('section', { class: 'card notice', 'data-testid': 'invalid-link' },
      h('h2', {}, 'This link is incomplete'),
      h('p', {}, 'It has no access token. Ask the interviewer for the full link, including the part after “#”.')));
    return;
  }

  const accessToken = token; // never logged, never put in a URL query
  const clientId = tabClientId();
  let name = '';
  let model: RoomModel | null = null;
  let view: RoleView | null = null;
  let viewRole: string | null = null;
  let notes: NotesController | null = null;
  let timers: TimerPanel | null = null;
  /** interviewers only */
  let scorecard: ScorecardPanel | null = null;
  /** the server clock estimate (welcome.now, then ping/pong); kept across reconnects */
  const clock = new ServerClock();
  /** the notes versions named in the last hello */
  let helloNotes: HeldVersions = {};
  let welcomedOnThisSocket = false;
  let lastConnKind: ConnectionState['kind'] | null = null;
  let lostConnection = false; // for announcing "Reconnected" once we are back
  let countdown: ReturnType<typeof setInterval> | undefined;
  let nextRequestId = 1;
  const requests = new Map<number, string>();
  /** requests whose `conflict` is an expected race (timer commands): not shown */
  const quietConflicts = new Set<number>();
  let conn: RoomConnection | null = null;

  function showJoinForm(error = ''): void {
    const input = h('input', {
      id: 'join-name', type: 'text', autocomplete: 'name', required: true, maxlength: 64,
      'aria-describedby': 'join-error', 'data-testid': 'join-name',
    });
    input.value = name || rememberedName();
    const errorEl = h('p', { class: 'error', id: 'join-error', 'data-testid': 'join-error' }, error);
    const form = h('form', { class: 'card stack join', 'data-testid': 'join-form', 'aria-labelledby': 'join-heading' },
      h('h2', { id: 'join-heading' }, 'Join the interview'),
      h('div', { class: 'field' }, h('label', { for: 'join-name' }, 'Your name'), input, errorEl),
      h('p', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', 'data-testid': 'join-button' }, 'Join')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const problem = validateName(input.value);
      if (problem) {
        errorEl.textContent = problem;
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      name = input.value.trim();
      rememberName(name);
      replaceChildren(main, h('p', { class: 'card', 'data-testid': 'joining' }, 'Joining the room…'));
      connect();
    });
    replaceChildren(main, form);
    if (error) input.setAttribute('aria-invalid', 'true');
    input.focus();
    input.select();
  }

  leaveButton.addEventListener('click', () => {
    conn?.stop('left', leaveMessage());
    conn = null;
    model = null;
    view = null;
    viewRole = null;
    notes?.destroy();
    notes = null;
    timers?.destroy();
    timers = null;
    scorecard?.destroy();
    scorecard = null;
    leaveButton.hidden = true;
    const again = h('button', { type: 'button', class: 'primary', 'data-testid': 'rejoin-button' }, 'Join again');
    again.addEventListener('click', () => showJoinForm());
    replaceChildren(main, h('section', { class: 'card notice', 'data-testid': 'left-room' },
      h('h2', { tabindex: -1 }, 'You left the room'),
      h('p', {}, 'The others no longer see you in the participant list.'),
      h('p', { class: 'actions' }, again)));
    main.querySelector<HTMLElement>('h2')?.focus();
  });

  function connect(): void {
    conn = new RoomConnection({
      url: webSocketUrl(location),
      hello: () => {
        welcomedOnThisSocket = false;
        // On a reconnect, the notes versions we hold: the server sends what we missed.
        helloNotes = notes?.heldVersions() ?? {};
        return helloMessage(roomId, accessToken, name, clientId, helloNotes);
      },
      onMessage,
      onState,
      clock,
    });
    conn.start();
  }

  function send(build: (id: number) => ClientMessage, what: string, opts: SendOptions = {}): boolean {
    const id = nextRequestId++;
    if (!conn?.send(build(id))) {
      setStatus(`Not connected: could not ${what}. Try again once reconnected.`);
      return false;
    }
    requests.set(id, what);
    if (opts.quietConflict) quietConflicts.add(id);
    // Only recent requests can still get an error back: keep the map small.
    if (requests.size > 50) {
      const oldest = requests.keys().next().value!;
      requests.delete(oldest);
      quietConflicts.delete(oldest);
    }
    setStatus('');
    return true;
  }

  function nameOf(id: string): string | null {
    return model?.participants.find((p) => p.id === id)?.name ?? null;
  }

  function setStatus(text: string): void {
    status.textContent = text;
  }

  function onMessage(msg: ServerMessage): void {
    if (msg.type === 'error') {
      onError(msg);
      return;
    }
    if (msg.type === 'notes.snapshot' || msg.type === 'notes.updates' || msg.type === 'cursor') {
      notes?.handle(msg);
      return;
    }
    // The server clock when the welcome was written: a first estimate until a pong arrives.
    if (msg.type === 'welcome') clock.provisional(msg.now);
    const prev = model;
    const { model: next, change } = applyMessage(model, msg);
    model = next;
    if (!model || change === 'none') return;
    if (msg.type === 'welcome') {
      welcomedOnThisSocket = true;
      title.textContent = model.room.title;
      document.title = `${model.room.title} — mockroom`;
      replaceChildren(sub, `${model.room.bank.title} · `,
        h('span', { 'data-testid': 'role-label' }, ROLE_LABEL[model.role]), ` · ${name}`);
      leaveButton.hidden = false;
      if (!view || viewRole !== model.role) {
        const hadNotes = Object.keys(helloNotes).length > 0;
        notes?.destroy();
        notes = new NotesController({
          role: model.role,
          clientID: clientId,
          send: (m) => conn?.send(m) ?? false,
          nextId: () => nextRequestId++,
          rejoin: () => conn?.restart(),
          status: setStatus,
        }, model.language);
        timers?.destroy();
        timers = new TimerPanel({
          interviewer: model.role === 'interviewer',
          serverNow: () => clock.serverNow(),
          send,
          status: setStatus,
          nameOf,
          storage: localStore(),
        });
        scorecard?.destroy();
        scorecard = model.role === 'interviewer'
          ? new ScorecardPanel({
            send,
            you: () => model?.you ?? '',
            nameOf,
            announce,
            status: setStatus,
          })
          : null;
        const panels = {
          shared: notes.shared.element, private: notes.private?.element ?? null, timers: timers.element,
          scorecard: scorecard?.element ?? null,
          report: reportPanel({ roomId, token: accessToken, role: model.role, headingId: 'report-heading' }),
        };
        view = model.role === 'interviewer'
          ? interviewerView({ send, status: setStatus, budget: timers.budget }, panels)
          : audienceView(model.role, panels);
        viewRole = model.role;
        // The hello named versions of documents this new view does not hold: join again so
        // the server sends snapshots.
        if (hadNotes) window.setTimeout(() => conn?.restart(), 0);
        replaceChildren(main, view.element);
        // Joined: move focus from the removed join form to the start of the room.
        const heading = view.element.querySelector<HTMLElement>('[data-focus-start]') ??
          view.element.querySelector<HTMLElement>('h2');
        heading?.setAttribute('tabindex', '-1');
        heading?.focus();
      }
      view.setConnected(true);
      view.renderAll(model);
      const ended = model.endedAt !== null;
      timers!.setConnected(true);
      timers!.setEnded(ended);
      timers!.update(model.timers);
      notes!.setPresence(model.participants, model.you);
      notes!.setLanguage(model.language);
      notes!.setEnded(ended);
      notes!.connected();
      if (scorecard) {
        scorecard.setConnected(true);
        scorecard.setQuestions(model.history);
        scorecard.load(msg.state.scorecard ?? {});
      }
      // A question pushed while we were away is news too; so is the end.
      if (prev && model.current && model.current.seq !== prev.current?.seq) announceQuestion();
      if (ended && prev?.endedAt == null) announce('The interview has ended.');
    } else if (change === 'question') {
      view?.renderQuestion(model);
      scorecard?.setQuestions(model.history);
      announceQuestion();
    } else if (change === 'ended') {
      view?.renderEnded(model);
      notes?.setEnded(true);
      timers?.setEnded(true);
      const by = model.endedBy === model.you ? null : model.endedBy === null ? null : nameOf(model.endedBy);
      announce(by ? `The interview has ended. ${by} ended it.` : 'The interview has ended.');
    } else if (change === 'revealed') {
      view?.renderEnded(model);
      announce(model.role === 'interviewer'
        ? 'The sample answers are now shown to the candidate and observers.'
        : 'The interview’s sample answers are now shown with each question.');
    } else if (change === 'score' && msg.type === 'score') {
      scorecard?.onScore(msg);
    } else if (change === 'timer' && msg.type === 'timer') {
      timers?.update(model.timers, msg);
    } else if (change === 'presence') {
      view?.renderPresence(model);
      notes?.setPresence(model.participants, model.you);
    } else if (change === 'language' && msg.type === 'notes.language') {
      notes?.handle(msg);
    }
  }

  function announceQuestion(): void {
    const q = model?.current;
    if (q) announce(`New question, ${q.difficulty}: ${q.text}`);
  }

  function onError(msg: ErrorMessage): void {
    if (welcomedOnThisSocket && notes?.onError(msg)) return;
    if (welcomedOnThisSocket && scorecard?.onError(msg)) return;
    // A message dropped unread by the server's rate limit: a notes push among them is resent.
    if (msg.code === 'rate_limited' && (msg.ref === undefined || msg.ref === null)) notes?.messageDropped();
    const what = typeof msg.ref === 'number' ? requests.get(msg.ref) : undefined;
    // Two interviewers (or a double press) raced: the latest state is already on its way.
    if (msg.code === 'conflict' && typeof msg.ref === 'number' && quietConflicts.has(msg.ref)) return;
    if (msg.code === 'unauthorized') {
      view = null;
      notes?.destroy();
      notes = null;
      timers?.destroy();
      timers = null;
      scorecard?.destroy();
      scorecard = null;
      leaveButton.hidden = true;
      replaceChildren(main, h('section', { class: 'card notice', 'data-testid': 'invalid-link' },
        h('h2', {}, 'This link is not valid'),
        h('p', {}, 'The room does not exist or the link is wrong or out of date. Ask the interviewer for a new link.')));
      return;
    }
    if (!welcomedOnThisSocket && view === null) {
      // The hello was refused (e.g. a name the server does not accept): ask again.
      conn?.stop('refused');
      conn = null;
      showJoinForm(msg.message);
      return;
    }
    setStatus(what ? `Could not ${what}: ${msg.message}` : msg.message);
  }

  function onState(s: ConnectionState): void {
    clearInterval(countdown);
    const was = lastConnKind;
    lastConnKind = s.kind;
    view?.setConnected(s.kind === 'connected');
    timers?.setConnected(s.kind === 'connected');
    scorecard?.setConnected(s.kind === 'connected');
    // Joined is the welcome (onMessage); any other state means the socket is gone.
    if (s.kind !== 'connected') notes?.disconnected();
    main.classList.toggle('is-stale', view !== null && s.kind !== 'connected');
    switch (s.kind) {
      case 'connecting':
        setConnText(connState, 'connecting', 'Connecting…');
        break;
      case 'connected':
        setConnText(connState, 'connected', 'Connected');
        if (lostConnection) announce('Reconnected.');
        lostConnection = false;
        break;
      case 'reconnecting': {
        const tick = (): void => {
          const secs = Math.max(1, Math.ceil((s.at - clock.now()) / 1000));
          setConnText(connState, 'reconnecting', `Reconnecting in ${secs} s…`);
        };
        tick();
        countdown = setInterval(tick, 1000);
        if (was === 'connected') {
          lostConnection = true;
          announce('Connection lost. Reconnecting.');
        }
        break;
      }
      case 'offline':
        setConnText(connState, 'offline', 'Offline');
        if (was === 'connected') {
          lostConnection = true;
          announce('You are offline.');
        }
        break;
      case 'stopped':
        if (s.reason === 'unauthorized') {
          setConnText(connState, 'stopped', 'Invalid link');
          announce('This link is not valid.');
        } else if (s.reason === 'left') {
          setConnText(connState, 'idle', 'Left the room');
        } else {
          setConnText(connState, 'idle', 'Not connected');
        }
        break;
    }
  }

  showJoinForm();
}

function setConnText(el: HTMLElement, kind: string, text: string): void {
  el.className = `conn conn--${kind}`;
  el.dataset.state = kind;
  el.textContent = text;
}
