// The notes panels in the page: a CodeMirror editor per document wired to its DocSync (notes.ts),
// the shared pad's highlighting select, remote cursors and the sync state line.

import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { Compartment, EditorSelection, EditorState, Transaction, type Extension } from '@codemirror/state';
import {
  Decoration,
  EditorView,
  RectangleMarker,
  drawSelection,
  keymap,
  layer,
  placeholder,
  type LayerMarker,
  type ViewUpdate,
} from '@codemirror/view';
import { h, replaceChildren } from './dom';
import { DocSync, Throttle, colourFor, remoteCursorsField, type DocHost, type SyncLink } from './notes';
import {
  MAX_NOTES_LENGTH,
  NOTES_LANGUAGES,
  isNotesLanguage,
  setNotesLanguage,
  type ClientMessage,
  type ErrorMessage,
  type HeldVersions,
  type NotesDoc,
  type NotesLanguage,
  type NotesServerMessage,
  type Participant,
  type Role,
} from './protocol';

export const LANGUAGE_LABEL: Record<NotesLanguage, string> = {
  plain: 'Plain text',
  markdown: 'Markdown',
  python: 'Python',
};

// The language packages are loaded when first needed (they are most of the bundle).
const loadedLanguages = new Map<NotesLanguage, Extension>([['plain', []]]);

async function loadLanguage(lang: NotesLanguage): Promise<Extension> {
  const known = loadedLanguages.get(lang);
  if (known) return known;
  const ext = lang === 'markdown'
    ? (await import('@codemirror/lang-markdown')).markdown()
    : (await import('@codemirror/lang-python')).python();
  loadedLanguages.set(lang, ext);
  return ext;
}

/** The language's extension if loaded (else none until `loadLanguage` resolves). */
function languageExtension(lang: NotesLanguage): Extension {
  return loadedLanguages.get(lang) ?? [];
}

/** How often our cursor may be sent (the server relays at most 20 a second). */
const CURSOR_EVERY_MS = 50;

// ---------------------------------------------------------------------------------------------
// Remote cursors: carets with a name tag in a layer above the text, selections as marks.

class CaretMarker implements LayerMarker {
  constructor(
    readonly participant: string,
    readonly name: string,
    readonly colour: string,
    readonly primary: boolean,
    readonly left: number,
    readonly top: number,
    readonly height: number,
  ) {}

  eq(other: LayerMarker): boolean {
    return (
      other instanceof CaretMarker &&
      other.participant === this.participant &&
      other.name === this.name &&
      other.primary === this.primary &&
      other.left === this.left &&
      other.top === this.top &&
      other.height === this.height
    );
  }

  draw(): HTMLElement {
    const caret = document.createElement('div');
    caret.className = 'cm-remote-caret';
    caret.setAttribute('data-testid', 'remote-cursor');
    caret.setAttribute('data-participant', this.participant);
    caret.setAttribute('aria-hidden', 'true');
    caret.title = this.name;
    caret.style.left = `${this.left}px`;
    caret.style.top = `${this.top}px`;
    caret.style.height = `${this.height}px`;
    caret.style.borderLeftColor = this.colour;
    caret.style.backgroundColor = this.colour; // for the flag (the caret itself has no width)
    if (this.primary) {
      const tag = document.createElement('span');
      tag.className = 'cm-remote-caret-name';
      tag.style.backgroundColor = this.colour;
      tag.textContent = this.name;
      caret.append(tag);
    }
    return caret;
  }
}

const remoteCaretLayer = layer({
  above: true,
  class: 'cm-remote-carets',
  update: (u: ViewUpdate) =>
    u.docChanged ||
    u.viewportChanged ||
    u.geometryChanged ||
    u.startState.field(remoteCursorsField, false) !== u.state.field(remoteCursorsField, false),
  markers(view) {
    const value = view.state.field(remoteCursorsField, false);
    if (!value) return [];
    const out: LayerMarker[] = [];
    for (const cursor of value.cursors.values()) {
      const name = value.names.get(cursor.participant) ?? 'Someone';
      const colour = colourFor(cursor.participant);
      cursor.ranges.forEach((r, i) => {
        for (const m of RectangleMarker.forRange(view, 'x', EditorSelection.cursor(r.head))) {
          out.push(new CaretMarker(cursor.participant, name, colour, i === 0, m.left, m.top, m.height));
        }
      });
    }
    return out;
  },
});

const remoteSelectionMarks = EditorView.decorations.compute([remoteCursorsField], (state) => {
  const value = state.field(remoteCursorsField, false);
  if (!value) return Decoration.none;
  const marks = [];
  for (const cursor of value.cursors.values()) {
    const colour = colourFor(cursor.participant);
    for (const r of cursor.ranges) {
      const from = Math.min(r.anchor, r.head);
      const to = Math.max(r.anchor, r.head);
      if (from === to) continue;
      marks.push(Decoration.mark({
        class: 'cm-remote-selection',
        attributes: { style: `background-color: ${colour}33` },
      }).range(from, to));
    }
  }
  return Decoration.set(marks, true);
});

const editorTheme = EditorView.theme({
  '@keyframes cm-remote-name-fade': { to: { opacity: '0', visibility: 'hidden' } },
  '&': { border: '1px solid #7d8693', borderRadius: '6px', backgroundColor: '#fff' },
  '&.cm-focused': { outline: '3px solid var(--focus, #b35c00)', outlineOffset: '2px' },
  '.cm-scroller': { minHeight: '10rem', maxHeight: '28rem', fontFamily: "ui-monospace, 'DejaVu Sans Mono', monospace" },
  '.cm-content': { padding: '0.5rem 0' },
  '.cm-remote-carets': { pointerEvents: 'none' },
  '.cm-remote-caret': { position: 'absolute', borderLeft: '2px solid', marginLeft: '-1px' },
  '.cm-remote-caret::before': {
    // A small flag in the participant's colour, which stays when the name tag fades.
    content: "''",
    position: 'absolute',
    top: '-2px',
    left: '-3px',
    width: '6px',
    height: '6px',
    borderRadius: '1px',
    backgroundColor: 'inherit',
  },
  '.cm-remote-caret-name': {
    position: 'absolute',
    bottom: '100%',
    // Shown when the caret moves, then out of the way of the text under it.
    animation: 'cm-remote-name-fade 0.4s ease-in 3s forwards',
    left: '-2px',
    color: '#fff',
    fontSize: '0.75rem',
    fontFamily: 'system-ui, sans-serif',
    lineHeight: '1.3',
    padding: '0 0.3rem',
    borderRadius: '3px 3px 3px 0',
    whiteSpace: 'nowrap',
  },
});

// ---------------------------------------------------------------------------------------------
// One document's panel.

export interface NotesContext {
  role: Role;
  /** the tab's `client` id sent in hello */
  clientID: string;
  send(msg: ClientMessage): boolean;
  nextId(): number;
  /** reconnect at once (hello then names no version for a document that wants a snapshot) */
  rejoin(): void;
  status(text: string): void;
}

interface PanelOptions {
  doc: NotesDoc;
  title: string;
  label: string;
  /** the editor's label while it is read-only for this user */
  readOnlyLabel: string;
  /** this role may edit the document (at all; see NotesPanel.setWritable) */
  editable: boolean;
  ctx: NotesContext;
  /** the toolbar's extra controls */
  tools: HTMLElement[];
  /** an extra line under the heading */
  notice: HTMLElement | null;
  language: Compartment | null;
  currentLanguage: () => NotesLanguage;
  placeholder: string;
}

class NotesPanel {
  readonly element: HTMLElement;
  readonly sync: DocSync;
  private view: EditorView | null = null;
  private readonly editorBox: HTMLElement;
  private readonly syncLine: HTMLElement;
  private readonly hint: HTMLElement;
  private readonly cursorThrottle: Throttle;
  /** editable right now (an editable document becomes read-only when the interview ends) */
  private writable: boolean;
  private readOnlyReason = '';
  /** editing affordances, or read-only: swapped in place when the interview ends */
  private readonly editing = new Compartment();
  /** the last cursor sent was relative to unconfirmed updates: send it again once confirmed */
  private cursorBeforeConfirm = false;
  private cursorSent = false;
  private resendCursor = false;

  constructor(private readonly opts: PanelOptions) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const panel = this;
    const { doc, ctx } = opts;
    this.writable = opts.editable;
    const headingId = `${doc}-notes-heading`;
    const hintId = `${doc}-notes-hint`;
    this.editorBox = h('div', {
      class: 'notes-editor',
      'data-testid': `${doc}-notes`,
      'data-doc': doc,
    }, h('p', { class: 'empty notes-loading' }, 'Loading notes…'));
    // Not a live region: it changes with every keystroke. Problems go to the room's status line.
    this.syncLine = h('p', { class: 'notes-sync hint', 'data-testid': `${doc}-notes-sync` });
    this.hint = h('p', { class: 'hint', id: hintId, 'data-testid': `${doc}-notes-hint` });
    this.renderHint();
    this.element = h('section', {
      class: `card notes notes--${doc}`, 'aria-labelledby': headingId, 'data-testid': `${doc}-notes-section`,
    },
    h('div', { class: 'notes-toolbar' }, h('h2', { id: headingId }, opts.title), ...opts.tools),
    opts.notice,
    this.editorBox,
    h('div', { class: 'notes-foot' }, this.hint, this.syncLine));

    const host: DocHost = {
      get state() {
        return panel.view?.state ?? null;
      },
      dispatch(tr) {
        panel.view!.dispatch(tr);
      },
      replace(state) {
        if (panel.view) {
          const hadFocus = panel.view.hasFocus;
          panel.view.setState(state);
          if (hadFocus) panel.view.focus();
        } else {
          panel.view = new EditorView({ state });
          replaceChildren(panel.editorBox, panel.view.dom);
        }
      },
    };
    const link: SyncLink = {
      send: (msg) => ctx.send(msg),
      nextId: () => ctx.nextId(),
      rejoin: () => ctx.rejoin(),
      notify: (text) => ctx.status(text),
    };
    this.sync = new DocSync({
      doc,
      clientID: ctx.clientID,
      host,
      link,
      extensions: () => this.extensions(hintId),
      onStatus: () => this.renderSync(),
    });
    this.cursorThrottle = new Throttle(CURSOR_EVERY_MS, () => this.sendCursor());
    this.renderSync();
  }

  private extensions(hintId: string): Extension {
    const { editable, language, currentLanguage } = this.opts;
    const ext: Extension[] = [
      EditorView.lineWrapping,
      syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
      EditorView.contentAttributes.of({ 'aria-describedby': hintId }),
      remoteSelectionMarks,
      remoteCaretLayer,
      editorTheme,
      this.editing.of(this.editingExtensions()),
    ];
    if (language) ext.push(language.of(languageExtension(currentLanguage())));
    if (editable) {
      ext.push(
        EditorState.transactionFilter.of((tr) => {
          if (tr.docChanged && tr.newDoc.length > MAX_NOTES_LENGTH && tr.newDoc.length > tr.startState.doc.length) {
            this.opts.ctx.status('The notes cannot grow over 1,048,576 characters.');
            return [];
          }
          return tr;
        }),
        EditorView.updateListener.of((u) => this.onUpdate(u)),
      );
    }
    return ext;
  }

  /** What editing needs, or what makes the editor read-only (with its label). */
  private editingExtensions(): Extension {
    if (this.writable) {
      return [
        EditorView.contentAttributes.of({ 'aria-label': this.opts.label }),
        history(),
        drawSelection(),
        // Tab indents (useful for Python); Escape then Tab leaves the editor (CodeMirror's
        // tab-focus mode), as the hint under the editor says. Ctrl-M toggles that mode.
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        placeholder(this.opts.placeholder),
      ];
    }
    return [
      EditorView.contentAttributes.of({ 'aria-label': this.opts.readOnlyLabel, 'aria-readonly': 'true' }),
      EditorState.readOnly.of(true),
      EditorView.editable.of(false),
    ];
  }

  private renderHint(): void {
    this.hint.textContent = this.writable
      ? 'Tab indents. To leave the editor, press Esc then Tab.'
      : this.readOnlyReason ? `Read-only: ${this.readOnlyReason}` : 'Read-only.';
  }

  /**
   * Makes an editable document read-only (with the reason shown under it) or editable again.
   * A document this role may not edit stays read-only.
   */
  setWritable(writable: boolean, reason = ''): void {
    const next = writable && this.opts.editable;
    const changed = next !== this.writable;
    this.writable = next;
    this.readOnlyReason = next ? '' : reason;
    this.renderHint();
    this.element.dataset.readonly = String(!next);
    if (!changed) return;
    if (!next) this.cursorThrottle.cancel();
    this.view?.dispatch({ effects: this.editing.reconfigure(this.editingExtensions()) });
  }

  private onUpdate(u: ViewUpdate): void {
    if (u.docChanged) this.sync.flush();
    const local = u.transactions.some((tr) => !tr.annotation(Transaction.remote) && (tr.docChanged || tr.selection));
    if (local && (u.selectionSet || u.docChanged)) this.cursorThrottle.schedule();
    this.renderSync();
  }

  private sendCursor(): void {
    const msg = this.sync.cursorMessage();
    if (!msg || !this.writable) return;
    if (this.opts.ctx.send(msg)) {
      this.cursorSent = true;
      this.cursorBeforeConfirm = this.sync.pendingCount() > 0;
    }
  }

  private renderSync(): void {
    const s = this.sync.status();
    let text: string;
    switch (s.kind) {
      case 'loading':
        text = 'Loading…';
        break;
      case 'reloading':
        text = 'Reloading from the server…';
        break;
      case 'offline':
        text = s.pending > 0 ? `Offline: ${s.pending} unsent edit${s.pending === 1 ? '' : 's'} will be sent on reconnect.` : 'Offline.';
        break;
      case 'syncing':
        text = 'Saving…';
        break;
      case 'saved':
        text = 'All changes saved.';
        break;
    }
    if (this.syncLine.textContent !== text) this.syncLine.textContent = text;
    this.syncLine.dataset.state = s.kind;
    if (s.kind === 'saved') {
      // Our cursor was relative to edits the server now has: send its exact place.
      if (this.cursorBeforeConfirm || this.resendCursor) {
        this.cursorBeforeConfirm = false;
        this.resendCursor = false;
        this.cursorThrottle.schedule();
      }
    }
  }

  connected(): void {
    // The server dropped our cursor when the socket closed: show it again once in sync.
    this.resendCursor = this.cursorSent;
    this.sync.connected();
  }

  disconnected(): void {
    this.sync.disconnected();
  }

  /** The editor's view (null until the first snapshot). */
  get editor(): EditorView | null {
    return this.view;
  }

  reconfigureLanguage(lang: NotesLanguage): void {
    const compartment = this.opts.language;
    if (!compartment || !this.view) return;
    this.view.dispatch({ effects: compartment.reconfigure(languageExtension(lang)) });
  }

  destroy(): void {
    this.cursorThrottle.cancel();
    this.view?.destroy();
    this.view = null;
  }
}

// ---------------------------------------------------------------------------------------------
// Both documents of the room, for one role.

export class NotesController {
  readonly shared: NotesPanel;
  /** interviewers only; never created for a candidate or observer */
  readonly private: NotesPanel | null;
  private language: NotesLanguage = 'plain';
  private languageRequest: number | null = null;
  private readonly languageSelect: HTMLSelectElement | null;
  private readonly languageLabel: HTMLElement;
  /** the select's box (hidden once the interview has ended) and the read-only label shown then */
  private readonly languageTools: HTMLElement | null = null;
  private readonly languageReadOnly: HTMLElement | null = null;
  private ended = false;
  private readonly languageCompartment = new Compartment();
  private names = new Map<string, string>();

  constructor(private readonly ctx: NotesContext, language: NotesLanguage) {
    this.language = language;
    const canEditShared = ctx.role !== 'observer';
    const tools: HTMLElement[] = [];
    if (canEditShared) {
      this.languageSelect = h('select', {
        id: 'notes-language', 'data-testid': 'notes-language', 'aria-describedby': 'notes-language-by',
      }, ...NOTES_LANGUAGES.map((l) => h('option', { value: l }, LANGUAGE_LABEL[l])));
      this.languageSelect.value = language;
      this.languageSelect.addEventListener('change', () => this.requestLanguage());
      this.languageLabel = h('span', { class: 'hint', id: 'notes-language-by' });
      this.languageTools = h('div', { class: 'notes-language' },
        h('label', { for: 'notes-language' }, 'Highlighting'), this.languageSelect, this.languageLabel);
      this.languageReadOnly = h('span', { 'data-testid': 'notes-language-label', 'data-language': language });
      tools.push(this.languageTools,
        h('p', { class: 'notes-language hint', hidden: true }, 'Highlighting: ', this.languageReadOnly));
    } else {
      this.languageSelect = null;
      this.languageLabel = h('span', { 'data-testid': 'notes-language', 'data-language': language });
      tools.push(h('p', { class: 'notes-language hint' }, 'Highlighting: ', this.languageLabel));
    }
    this.shared = new NotesPanel({
      doc: 'shared',
      title: 'Shared notes',
      label: canEditShared ? 'Shared notes, editable by the interviewers and the candidate' : 'Shared notes (read-only)',
      readOnlyLabel: 'Shared notes (read-only)',
      editable: canEditShared,
      ctx,
      tools,
      notice: null,
      language: this.languageCompartment,
      currentLanguage: () => this.language,
      placeholder: 'Type here. The interviewers and the candidate see it.',
    });
    this.private = ctx.role === 'interviewer'
      ? new NotesPanel({
        doc: 'private',
        title: 'Private notes',
        label: 'Private notes, only interviewers see them',
        readOnlyLabel: 'Private notes (read-only)',
        editable: true,
        ctx,
        tools: [],
        notice: h('p', { class: 'banner banner--private', 'data-testid': 'private-notes-label' },
          'Private — only interviewers see this'),
        language: null,
        currentLanguage: () => 'plain',
        placeholder: 'Your own notes. Only interviewers see them.',
      })
      : null;
    this.renderLanguage(null);
  }

  private panels(): NotesPanel[] {
    return this.private ? [this.shared, this.private] : [this.shared];
  }

  private panel(doc: NotesDoc): NotesPanel | null {
    return doc === 'shared' ? this.shared : this.private;
  }

  /** For `hello`: the versions held (none on a fresh join or for a document being reloaded). */
  heldVersions(): HeldVersions {
    const out: HeldVersions = {};
    for (const p of this.panels()) {
      const v = p.sync.heldVersion();
      if (v !== undefined) out[p.sync.doc] = v;
    }
    return out;
  }

  connected(): void {
    for (const p of this.panels()) p.connected();
  }

  /**
   * The interview has ended: the shared notes are read-only for everyone (no editing
   * affordances, no highlighting choice); the private notes stay editable for interviewers.
   */
  setEnded(ended: boolean): void {
    this.ended = ended;
    this.shared.setWritable(!ended, 'the interview has ended.');
    if (this.languageTools && this.languageReadOnly) {
      this.languageTools.hidden = ended;
      this.languageReadOnly.parentElement!.hidden = !ended;
    }
    this.renderLanguage(null);
  }

  disconnected(): void {
    this.languageRequest = null;
    for (const p of this.panels()) p.disconnected();
  }

  handle(msg: NotesServerMessage): void {
    switch (msg.type) {
      case 'notes.snapshot':
        this.panel(msg.doc)?.sync.onSnapshot(msg);
        break;
      case 'notes.updates':
        this.panel(msg.doc)?.sync.onUpdates(msg);
        break;
      case 'cursor':
        this.panel(msg.doc)?.sync.onCursor(msg);
        break;
      case 'notes.language':
        this.setLanguage(msg.language, msg.by);
        break;
    }
  }

  /** Errors about our notes requests; false if the error is about something else. */
  onError(msg: ErrorMessage): boolean {
    if (this.languageRequest !== null && msg.ref === this.languageRequest) {
      this.languageRequest = null;
      if (this.languageSelect) this.languageSelect.value = this.language;
      this.ctx.status(`Could not change the highlighting: ${msg.message}`);
      return true;
    }
    return this.panels().some((p) => p.sync.onError(msg));
  }

  /** The server dropped one of our messages unread (`rate_limited` without `ref`). */
  messageDropped(): void {
    for (const p of this.panels()) p.sync.onMessageDropped();
  }

  setPresence(participants: readonly Participant[], you: string): void {
    const names = new Map<string, string>();
    for (const p of participants) if (p.connected && p.id !== you) names.set(p.id, p.name);
    this.names = names;
    for (const p of this.panels()) p.sync.setParticipants(names);
  }

  setLanguage(lang: NotesLanguage, by: string | null = null): void {
    this.languageRequest = null;
    this.language = lang;
    this.renderLanguage(by);
    loadLanguage(lang).then(
      () => {
        if (this.language !== lang) return; // changed again meanwhile
        for (const p of this.panels()) p.reconfigureLanguage(lang);
        this.shared.element.querySelector<HTMLElement>('.notes-editor')?.setAttribute('data-highlighting', lang);
      },
      () => this.ctx.status(`Could not load the ${LANGUAGE_LABEL[lang]} highlighting.`),
    );
  }

  private renderLanguage(by: string | null): void {
    const lang = this.language;
    this.shared.element.querySelector<HTMLElement>('.notes-editor')?.setAttribute('data-language', lang);
    if (this.languageReadOnly) {
      this.languageReadOnly.textContent = LANGUAGE_LABEL[lang];
      this.languageReadOnly.dataset.language = lang;
    }
    if (this.languageSelect) {
      this.languageSelect.value = lang;
      const who = by !== null ? this.names.get(by) : undefined;
      this.languageLabel.textContent = who ? `set by ${who}` : '';
    } else {
      this.languageLabel.textContent = LANGUAGE_LABEL[lang];
      this.languageLabel.dataset.language = lang;
    }
  }

  private requestLanguage(): void {
    const select = this.languageSelect;
    if (!select) return;
    const lang = select.value;
    if (!isNotesLanguage(lang) || lang === this.language || this.ended) return;
    const id = this.ctx.nextId();
    if (!this.ctx.send(setNotesLanguage(lang, id))) {
      select.value = this.language;
      this.ctx.status('Not connected: could not change the highlighting. Try again once reconnected.');
      return;
    }
    // Everyone, us included, switches when the server's notes.language arrives.
    this.languageRequest = id;
  }

  destroy(): void {
    for (const p of this.panels()) p.destroy();
  }
}
