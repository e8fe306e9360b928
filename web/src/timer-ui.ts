// The two timers on screen (every role), the interviewer's controls, announcements for screen
// readers and the optional time's-up sound. The countdown is drawn on animation frames from
// the deadline and the server clock estimate, never by counting ticks.

import { h } from './dom';
import {
  MAX_TIMER_MS,
  MIN_TIMER_MS,
  timerCommand,
  type ClientMessage,
  type RoomTimers,
  type TimerCommandName,
  type TimerMessage,
  type TimerName,
  type TimerPhase,
  type TimerState,
} from './protocol';
import {
  changeAnnouncement,
  crossedThresholds,
  expiryAnnouncement,
  formatLength,
  parseMinutes,
  thresholdAnnouncement,
  timerDisplay,
} from './timers';

export interface SendOptions {
  /** a `conflict` answer is an expected race (the screen was behind): say nothing */
  quietConflict?: boolean;
}

/** Sends a request with a fresh id; false when not connected. */
export type SendFn = (build: (id: number) => ClientMessage, what: string, opts?: SendOptions) => boolean;

export interface TimerPanelContext {
  /** interviewers get controls */
  interviewer: boolean;
  /** the server clock now, or null before any estimate */
  serverNow: () => number | null;
  send: SendFn;
  status: (text: string) => void;
  /** a participant's name, for "paused by Grace" */
  nameOf: (id: string) => string | null;
  storage?: Storage | null;
}

/** The budget typed for the next push: ms, undefined for the bank's own, or a problem. */
export type BudgetChoice = { ok: true; ms: number | undefined } | { ok: false; error: string };

export interface BudgetField {
  read(): BudgetChoice;
  clear(): void;
}

const SOUND_KEY = 'mockroom.timerSound';
const TITLE: Record<TimerName, string> = { question: 'Question', interview: 'Interview' };
const STATE_TEXT: Record<TimerPhase, string> = {
  idle: 'Not started',
  running: 'Running',
  paused: 'Paused',
  expired: 'Time’s up',
};
const VERB: Record<TimerCommandName, string> = {
  start: 'start',
  pause: 'pause',
  resume: 'resume',
  reset: 'reset',
  add: 'change',
};

/** Beeps through WebAudio when enabled (off by default; the choice is remembered). */
class Beeper {
  private audio: AudioContext | null = null;
  enabled: boolean;

  constructor(private readonly storage: Storage | null) {
    this.enabled = storage?.getItem(SOUND_KEY) === 'on';
  }

  set(on: boolean): void {
    this.enabled = on;
    try {
      this.storage?.setItem(SOUND_KEY, on ? 'on' : 'off');
    } catch {
      // storage full or refused: the choice lasts for this page only
    }
    if (on) this.unlock(); // inside the click: browsers only start audio after a gesture
  }

  private unlock(): AudioContext | null {
    try {
      this.audio ??= new AudioContext();
      if (this.audio.state === 'suspended') void this.audio.resume();
      return this.audio;
    } catch {
      return null; // no WebAudio: the visual cue stays
    }
  }

  beep(): void {
    if (!this.enabled) return;
    const ctx = this.unlock();
    if (!ctx) return;
    const start = ctx.currentTime + 0.02;
    for (let i = 0; i < 3; i++) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = 880;
      const t = start + i * 0.3;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.25, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.18);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + 0.2);
    }
  }

  close(): void {
    void this.audio?.close().catch(() => {});
    this.audio = null;
  }
}

interface BlockHooks {
  announce(text: string): void;
  timeUp(): void;
}

class TimerBlock {
  readonly element: HTMLElement;
  /** the state on screen (its rev is the `expect_rev` of commands) */
  state: TimerState | null = null;
  private readonly display: HTMLElement;
  private readonly cue: HTMLElement;
  private readonly statusLine: HTMLElement;
  private shownText = '';
  private shownPhase: TimerPhase | null = null;
  private shownWarn = false;
  private shownDuration = -1;
  /** ms left at the last frame, for threshold crossings */
  private lastRemaining: number | null = null;
  /** the rev of the running state whose expiry was already announced here */
  private expiryDoneRev: number | null = null;
  private connected = false;
  /** the interview has ended: the timers are stopped for good, no controls */
  private ended = false;
  private readonly buttons: {
    toggle: HTMLButtonElement;
    reset: HTMLButtonElement;
    plus: HTMLButtonElement;
    minus: HTMLButtonElement;
  } | null = null;
  private readonly resetMinutes: HTMLInputElement | null = null;

  constructor(
    readonly name: TimerName,
    private readonly ctx: TimerPanelContext,
    private readonly hooks: BlockHooks,
    extra: HTMLElement | null,
  ) {
    const id = `timer-${name}`;
    this.display = h('p', {
      class: 'timer-display', role: 'timer', 'aria-labelledby': `${id}-label`, 'data-testid': `${id}-display`,
    }, '–:––');
    this.cue = h('p', { class: 'timer-cue', 'data-testid': `${id}-cue`, hidden: true }, 'Time’s up');
    this.statusLine = h('p', { class: 'timer-status', 'data-testid': `${id}-status` });
    let controls: HTMLElement | null = null;
    if (ctx.interviewer) {
      const label = name === 'question' ? 'the question timer' : 'the interview timer';
      const button = (testid: string, text: string, aria: string): HTMLButtonElement =>
        h('button', { type: 'button', class: 'timer-button', 'data-testid': `${id}-${testid}`, 'aria-label': aria }, text);
      this.buttons = {
        toggle: button('toggle', 'Start', `Start ${label}`),
        reset: button('reset', 'Reset', `Reset ${label}`),
        plus: button('plus', '+1 min', `Add 1 minute to ${label}`),
        minus: button('minus', '−1 min', `Take 1 minute off ${label}`),
      };
      this.buttons.toggle.classList.add('primary');
      this.resetMinutes = h('input', {
        id: `${id}-minutes`, type: 'text', inputmode: 'decimal', autocomplete: 'off', size: 5,
        'data-testid': `${id}-minutes`, 'aria-describedby': `${id}-minutes-hint`,
      });
      controls = h('div', { class: 'timer-controls' },
        h('div', { class: 'timer-buttons', role: 'group', 'aria-label': `${TITLE[name]} timer controls` },
          this.buttons.toggle, this.buttons.minus, this.buttons.plus, this.buttons.reset),
        h('div', { class: 'timer-field' },
          h('label', { for: `${id}-minutes` }, 'Reset to (minutes)'), this.resetMinutes,
          h('span', { class: 'hint', id: `${id}-minutes-hint` }, 'Empty: the same length again.')));
      const { toggle, reset, plus, minus } = this.buttons;
      // An aria-disabled button still gets clicks: it does nothing then.
      const onPress = (b: HTMLButtonElement, act: () => void): void =>
        b.addEventListener('click', () => {
          if (b.getAttribute('aria-disabled') !== 'true') act();
        });
      onPress(toggle, () => {
        const s = this.state?.state;
        if (s === 'idle') this.command('start');
        else if (s === 'running') this.command('pause');
        else if (s === 'paused') this.command('resume');
      });
      onPress(reset, () => this.reset());
      onPress(plus, () => this.command('add', 60_000));
      onPress(minus, () => this.command('add', -60_000));
      this.resetMinutes.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter') {
          ev.preventDefault();
          this.reset();
        }
      });
    }
    this.element = h('div', {
      class: 'timer timer--idle', 'data-testid': id, 'data-state': 'idle', 'data-warn': 'false',
      role: 'group', 'aria-labelledby': `${id}-label`,
    },
    h('h3', { id: `${id}-label`, class: 'timer-label' }, `${TITLE[name]} time`),
    h('div', { class: 'timer-face' }, this.display, this.cue),
    this.statusLine,
    controls,
    extra);
    this.updateControls();
  }

  /** A new state: from `welcome` (no message) or a `timer` message. */
  set(state: TimerState, msg?: TimerMessage): void {
    const previous = this.state;
    this.state = state;
    // Thresholds are announced as the countdown passes them, not when a change jumps past
    // them (a push restarting the timer, time taken off: that change is announced itself).
    this.lastRemaining = null;
    if (!msg && previous && previous.state !== state.state && previous.rev !== state.rev) {
      // Changed while we were disconnected (the welcome after a reconnect).
      this.hooks.announce(`${TITLE[this.name]} timer: ${STATE_TEXT[state.state].toLowerCase()}`);
    }
    if (msg) {
      // The expiry this tab already showed and announced at the deadline: do not repeat it.
      const seen = msg.state === 'expired' && previous !== null && this.expiryDoneRev === previous.rev &&
        msg.cause === 'expire';
      const text = seen ? null : changeAnnouncement(msg, previous, msg.by === null ? null : this.ctx.nameOf(msg.by));
      if (text) this.hooks.announce(text);
      if (msg.state === 'expired' && !seen) {
        this.expiryDoneRev = msg.rev;
        this.hooks.timeUp();
      }
    }
    this.updateControls();
  }

  setConnected(connected: boolean): void {
    this.connected = connected;
    this.updateControls();
  }

  setEnded(ended: boolean): void {
    this.ended = ended;
    if (this.resetMinutes) this.resetMinutes.disabled = ended;
    this.updateControls();
  }

  /** One animation frame: redraw what changed, announce crossings. */
  frame(serverNow: number | null): void {
    const t = this.state;
    if (!t) return;
    const d = timerDisplay(t, serverNow);
    if (d.text !== this.shownText) {
      this.display.textContent = d.text; // only when the shown second changes
      this.shownText = d.text;
    }
    if (d.phase !== this.shownPhase || d.warn !== this.shownWarn || t.duration_ms !== this.shownDuration) {
      this.shownPhase = d.phase;
      this.shownWarn = d.warn;
      this.shownDuration = t.duration_ms;
      this.element.dataset.state = d.phase;
      this.element.dataset.warn = String(d.warn);
      this.element.className = `timer timer--${d.phase}${d.warn ? ' timer--warn' : ''}`;
      this.cue.hidden = d.phase !== 'expired';
      this.statusLine.textContent = `${STATE_TEXT[d.phase]} · set to ${formatLength(t.duration_ms)}`;
    }
    const before = this.lastRemaining;
    this.lastRemaining = d.remaining;
    if (before === null || t.state !== 'running') return;
    // Only the lowest threshold passed (several at once after the tab was hidden).
    const crossed = crossedThresholds(before, d.remaining, t.warn_ms);
    if (crossed.length > 0) this.hooks.announce(thresholdAnnouncement(this.name, crossed[crossed.length - 1]!));
    if (d.phase === 'expired' && before > 0 && this.expiryDoneRev !== t.rev) {
      // The deadline passed here; the server's expiry message follows and is not repeated.
      this.expiryDoneRev = t.rev;
      this.hooks.announce(expiryAnnouncement(this.name));
      this.hooks.timeUp();
    }
  }

  private updateControls(): void {
    if (!this.buttons) return;
    const s = this.state?.state ?? null;
    const usable = this.connected && s !== null && !this.ended;
    const { toggle, reset, plus, minus } = this.buttons;
    const timer = this.name === 'question' ? 'the question timer' : 'the interview timer';
    const [text, aria] = s === 'running' ? ['Pause', `Pause ${timer}`]
      : s === 'paused' ? ['Resume', `Resume ${timer}`]
        : ['Start', `Start ${timer}`];
    if (toggle.textContent !== text) toggle.textContent = text;
    toggle.setAttribute('aria-label', aria);
    toggle.dataset.action = text.toLowerCase();
    // aria-disabled rather than disabled: a button keeps keyboard focus when its timer changes.
    setEnabled(toggle, usable && s !== 'expired');
    setEnabled(reset, usable);
    setEnabled(plus, usable);
    setEnabled(minus, usable && s !== 'expired');
  }

  private command(command: TimerCommandName, ms?: number): boolean {
    const t = this.state;
    if (!t || !this.connected) return false;
    const rev = t.rev; // the rev on screen: a stale screen gets `conflict` and changes nothing
    return this.ctx.send((id) => timerCommand(this.name, command, rev, ms, id),
      `${VERB[command]} the ${this.name} timer`, { quietConflict: true });
  }

  private reset(): void {
    if (!this.resetMinutes || this.buttons?.reset.getAttribute('aria-disabled') === 'true') return;
    const ms = parseMinutes(this.resetMinutes.value);
    if (ms === 'invalid' || (ms !== null && (ms < MIN_TIMER_MS || ms > MAX_TIMER_MS))) {
      this.ctx.status('Type the new length in minutes: from 1 second (0.02) to 24 hours (1440).');
      this.resetMinutes.setAttribute('aria-invalid', 'true');
      this.resetMinutes.focus();
      return;
    }
    this.resetMinutes.removeAttribute('aria-invalid');
    if (this.command('reset', ms ?? undefined)) this.resetMinutes.value = '';
  }
}

function setEnabled(button: HTMLButtonElement, enabled: boolean): void {
  if (enabled) button.removeAttribute('aria-disabled');
  else button.setAttribute('aria-disabled', 'true');
}

export class TimerPanel {
  readonly element: HTMLElement;
  /** the interviewer's "time for the next question" field; null for the audience */
  readonly budget: BudgetField | null;
  private readonly blocks: Record<TimerName, TimerBlock>;
  private readonly announcer: HTMLElement;
  private readonly beeper: Beeper;
  private readonly budgetInput: HTMLInputElement | null;
  private readonly endedNote: HTMLElement;
  private raf = 0;
  private announceTimer: ReturnType<typeof setTimeout> | undefined;
  private pending: string[] = [];
  private destroyed = false;

  constructor(private readonly ctx: TimerPanelContext) {
    this.beeper = new Beeper(ctx.storage ?? null);
    const hooks: BlockHooks = {
      announce: (text) => this.announce(text),
      timeUp: () => this.beeper.beep(),
    };
    let budgetInput: HTMLInputElement | null = null;
    let budgetExtra: HTMLElement | null = null;
    if (ctx.interviewer) {
      budgetInput = h('input', {
        id: 'push-budget', type: 'text', inputmode: 'decimal', autocomplete: 'off', size: 5,
        'data-testid': 'push-budget', 'aria-describedby': 'push-budget-hint',
      });
      budgetExtra = h('div', { class: 'timer-field timer-next' },
        h('label', { for: 'push-budget' }, 'Time for the next question (minutes)'), budgetInput,
        h('span', { class: 'hint', id: 'push-budget-hint' }, 'Empty: the question’s own time (from the bank, or by difficulty).'));
    }
    this.blocks = {
      question: new TimerBlock('question', ctx, hooks, budgetExtra),
      interview: new TimerBlock('interview', ctx, hooks, null),
    };
    const sound = h('input', { type: 'checkbox', id: 'timer-sound', 'data-testid': 'timer-sound' });
    sound.checked = this.beeper.enabled;
    sound.addEventListener('change', () => this.beeper.set(sound.checked));
    this.announcer = h('div', {
      class: 'visually-hidden', 'aria-live': 'polite', 'aria-atomic': 'true', 'data-testid': 'timer-announcer',
    });
    this.budgetInput = budgetInput;
    this.endedNote = h('p', { class: 'hint', 'data-testid': 'timers-ended', hidden: true },
      'The interview has ended: the timers are stopped.');
    this.element = h('section', { class: 'card timers', 'aria-labelledby': 'timers-heading', 'data-testid': 'timers-section' },
      h('h2', { id: 'timers-heading' }, 'Time'),
      this.endedNote,
      h('div', { class: 'timer-grid' }, this.blocks.question.element, this.blocks.interview.element),
      h('p', { class: 'timer-sound' }, sound, ' ', h('label', { for: 'timer-sound' }, 'Beep when time is up')),
      this.announcer);

    this.budget = budgetInput
      ? {
        read: (): BudgetChoice => {
          const ms = parseMinutes(budgetInput.value);
          if (ms === 'invalid' || (ms !== null && (ms < MIN_TIMER_MS || ms > MAX_TIMER_MS))) {
            budgetInput.setAttribute('aria-invalid', 'true');
            return { ok: false, error: 'The time for the next question is in minutes: from 1 second (0.02) to 24 hours (1440).' };
          }
          budgetInput.removeAttribute('aria-invalid');
          return { ok: true, ms: ms ?? undefined };
        },
        clear: () => {
          budgetInput.value = '';
        },
      }
      : null;
  }

  /** `welcome` (all timers, no message) or one `timer` message. */
  update(timers: RoomTimers, msg?: TimerMessage): void {
    if (msg) {
      this.blocks[msg.timer].set(timers[msg.timer], msg);
    } else {
      this.blocks.question.set(timers.question);
      this.blocks.interview.set(timers.interview);
    }
    this.frame(); // at once, not at the next frame
    if (this.raf === 0 && this.moving() && !this.destroyed) this.raf = requestAnimationFrame(this.loop);
  }

  setConnected(connected: boolean): void {
    this.blocks.question.setConnected(connected);
    this.blocks.interview.setConnected(connected);
  }

  /** The interview has ended: the server paused the timers; the controls go. */
  setEnded(ended: boolean): void {
    this.blocks.question.setEnded(ended);
    this.blocks.interview.setEnded(ended);
    if (this.budgetInput) this.budgetInput.disabled = ended;
    this.endedNote.hidden = !ended;
  }

  destroy(): void {
    this.destroyed = true;
    cancelAnimationFrame(this.raf);
    this.raf = 0;
    clearTimeout(this.announceTimer);
    this.beeper.close();
  }

  /**
   * Draws on animation frames while a timer moves (running, or expired and counting overtime);
   * idle and paused timers are drawn once per change, so an idle room costs no frames.
   */
  private readonly loop = (): void => {
    this.raf = 0;
    if (this.destroyed) return;
    this.frame();
    if (this.moving()) this.raf = requestAnimationFrame(this.loop);
  };

  private moving(): boolean {
    return [this.blocks.question, this.blocks.interview].some(
      (b) => b.state?.state === 'running' || b.state?.state === 'expired');
  }

  private frame(): void {
    const now = this.ctx.serverNow();
    this.blocks.question.frame(now);
    this.blocks.interview.frame(now);
  }

  /** Announcements of one moment are read together; the region is cleared first so a repeat is read again. */
  private announce(text: string): void {
    this.pending.push(text.endsWith('.') ? text : `${text}.`);
    if (this.announceTimer !== undefined) return;
    this.announcer.textContent = '';
    this.announceTimer = setTimeout(() => {
      this.announceTimer = undefined;
      this.announcer.textContent = this.pending.join(' ');
      this.pending = [];
    }, 50);
  }
}
