// Collaborative notes, the part without DOM or WebSocket: the sync state machine of one document
// over CodeMirror state and @codemirror/collab (PROTOCOL.md, "Notes"), the normalization of
// inserted text, remote cursors as editor state, and small helpers. notes-ui.ts puts it in the
// page; web/test/notes.test.ts runs it against an in-test reference server.
//
// How a document stays in sync (one DocSync per document):
//
// - Fresh join: `hello` names no version; the server answers `notes.snapshot`, which becomes a
//   new EditorState with `collab({startVersion, clientID})`.
// - Reconnect: `hello` names the synced version; the server answers `notes.updates` from there
//   (maybe none). They are applied, then unconfirmed local updates are pushed again (the server
//   recognises those it had already accepted by clientID).
// - Incoming updates go to `receiveUpdates` one update per call, in order: CodeMirror composes
//   the updates of one call before rebasing the local ones over them, which can place a
//   concurrent insertion differently from the server (which rebases one update at a time).
//   Versions already applied are skipped, so a duplicate delivery is harmless; a gap (updates
//   from a version we have not reached) is answered with `notes.pull`.
// - Pushing: at most one `notes.push` in flight per document. It is done when as many of our
//   own updates as it carried have come back in `notes.updates` (the confirmation), or when an
//   `error` with its id as `ref` arrives; then whatever is pending is pushed.
// - Next to the editor state we keep `confirmed`, the server's text at the synced version (the
//   snapshot plus every applied update). An update that does not fit it means we are out of
//   step with the server: we rejoin for a fresh snapshot.

import { getSyncedVersion, receiveUpdates, sendableUpdates, collab } from '@codemirror/collab';
import {
  ChangeSet,
  EditorSelection,
  EditorState,
  StateEffect,
  StateField,
  Text,
  Transaction,
  type ChangeDesc,
  type ChangeSpec,
  type Extension,
  type TransactionSpec,
} from '@codemirror/state';
import {
  MAX_CURSOR_RANGES,
  MAX_UPDATES_PER_PUSH,
  cursorMessage,
  notesPull,
  notesPush,
  type ChangeSetJSON,
  type ClientMessage,
  type CursorMessage,
  type CursorRange,
  type ErrorMessage,
  type NotesDoc,
  type NotesSnapshotMessage,
  type NotesUpdatesMessage,
  type RemoteCursorMessage,
} from './protocol';

// ---------------------------------------------------------------------------------------------
// Inserted text: no "\r", no lone surrogates, no surrogate pair cut in two.

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;
/** The UTF-16 unit at `pos`, NaN outside the document. */
const unitAt = (doc: Text, pos: number): number =>
  pos >= 0 && pos < doc.length ? doc.sliceString(pos, pos + 1).charCodeAt(0) : NaN;

/**
 * A transaction filter that makes every local change acceptable to the server, whose rules
 * are those of the JSON form: an inserted string never holds "\r" or a lone surrogate.
 *
 * CodeMirror already splits strings on "\r\n", "\r" and "\n" when it turns them into a
 * document (typing, paste and drop all go through `state.toText`), as long as
 * `EditorState.lineSeparator` is left unset: setting it to "\n" would stop that and let "\r"
 * through, so we leave it alone. This filter is the safety net for everything else
 * (a `Text` built by hand, DOM input):
 *
 * - a change that cuts a surrogate pair (CodeMirror's DOM diff works on UTF-16 units, so
 *   replacing "😀" by "😃" can come out as "replace the low half") is widened to whole pairs,
 *   giving the same document;
 * - then, in the inserted text, "\r\n" becomes "\n", a lone "\r" becomes "\n", and a lone
 *   surrogate becomes U+FFFD.
 *
 * Remote changes (`receiveUpdates`) are not filtered.
 */
export const normalizeInsertedText: Extension = EditorState.transactionFilter.of((tr) => {
  if (!tr.docChanged) return tr;
  const start = tr.startState.doc;
  const end = tr.newDoc;
  const ranges: { fromA: number; toA: number; fromB: number; toB: number }[] = [];
  tr.changes.iterChangedRanges((fromA, toA, fromB, toB) => ranges.push({ fromA, toA, fromB, toB }));

  let widened = false;
  for (const r of ranges) {
    // Old and new text around a change are the same, so one unit more on a side is the same
    // unit in both documents.
    if (isHigh(unitAt(start, r.fromA - 1)) && (isLow(unitAt(start, r.fromA)) || isLow(unitAt(end, r.fromB)))) {
      r.fromA--;
      r.fromB--;
      widened = true;
    }
    if (isLow(unitAt(start, r.toA)) && (isHigh(unitAt(start, r.toA - 1)) || isHigh(unitAt(end, r.toB - 1)))) {
      r.toA++;
      r.toB++;
      widened = true;
    }
  }
  const merged: typeof ranges = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r.fromA <= last.toA) {
      last.toA = Math.max(last.toA, r.toA);
      last.toB = Math.max(last.toB, r.toB);
    } else {
      merged.push({ ...r });
    }
  }

  // What to fix in the inserted text, in positions of the new document.
  const fixes: ChangeSpec[] = [];
  for (const r of merged) {
    const text = end.sliceString(r.fromB, r.toB);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const at = r.fromB + i;
      if (c === 13) {
        fixes.push(text.charCodeAt(i + 1) === 10 ? { from: at, to: at + 1 } : { from: at, to: at + 1, insert: '\n' });
      } else if (isHigh(c) && isLow(text.charCodeAt(i + 1))) {
        i++;
      } else if (isHigh(c) || isLow(c)) {
        fixes.push({ from: at, to: at + 1, insert: '\ufffd' });
      }
    }
  }
  if (!widened && fixes.length === 0) return tr;

  const specs: TransactionSpec[] = [];
  if (widened) {
    const annotations = [];
    const history = tr.annotation(Transaction.addToHistory);
    if (history !== undefined) annotations.push(Transaction.addToHistory.of(history));
    const userEvent = tr.annotation(Transaction.userEvent);
    specs.push({
      // The same new document, described with whole surrogate pairs.
      changes: merged.map((r) => ({ from: r.fromA, to: r.toA, insert: end.slice(r.fromB, r.toB) })),
      selection: tr.selection,
      effects: tr.effects,
      scrollIntoView: tr.scrollIntoView,
      annotations,
      ...(userEvent === undefined ? {} : { userEvent }),
    });
  } else {
    specs.push(tr);
  }
  if (fixes.length > 0) specs.push({ changes: fixes, sequential: true });
  return specs;
});

/** Splits text the way the server joins it: lines on "\n" (and "\r\n", "\r" for safety). */
export function textOf(s: string): Text {
  return Text.of(s.split(/\r\n?|\n/));
}

// ---------------------------------------------------------------------------------------------
// Remote cursors, kept in editor state so that they move with every change.

export interface CursorPos {
  anchor: number;
  head: number;
}

export interface RemoteCursor {
  participant: string;
  ranges: readonly CursorPos[];
}

export interface RemoteCursors {
  /** by participant id, in positions of the current document */
  readonly cursors: ReadonlyMap<string, RemoteCursor>;
  /** connected participants other than us: id → name */
  readonly names: ReadonlyMap<string, string>;
}

/** Sets (or with no ranges removes) a participant's cursor; positions in the current document. */
export const setRemoteCursor = StateEffect.define<RemoteCursor>();
/** The connected participants other than us (id → name); cursors of anyone else go. */
export const setParticipants = StateEffect.define<ReadonlyMap<string, string>>();

/**
 * Which side of text inserted exactly at a remote caret the caret goes to. Its owner's own
 * editor keeps a caret before text that others insert there (CodeMirror maps selections with
 * assoc -1), so our local typing leaves it in front (-1). Remote changes at it are most likely
 * its owner's own typing, arriving before their next cursor message, so it follows them (1).
 */
export const CARET_ASSOC_LOCAL = -1;
export const CARET_ASSOC_REMOTE = 1;

function mapCursorPos(r: CursorPos, changes: ChangeDesc, length: number, caretAssoc: -1 | 1): CursorPos {
  const clamp = (p: number): number => Math.max(0, Math.min(p, length));
  if (r.anchor === r.head) {
    const p = clamp(changes.mapPos(r.head, caretAssoc));
    return { anchor: p, head: p };
  }
  // A selection does not grow with text inserted at its edges.
  const forward = r.head > r.anchor;
  const from = clamp(changes.mapPos(Math.min(r.anchor, r.head), 1));
  const to = Math.max(from, clamp(changes.mapPos(Math.max(r.anchor, r.head), -1)));
  return forward ? { anchor: from, head: to } : { anchor: to, head: from };
}

export const remoteCursorsField = StateField.define<RemoteCursors>({
  create: () => ({ cursors: new Map(), names: new Map() }),
  update(value, tr) {
    let { cursors, names } = value;
    if (tr.docChanged && cursors.size > 0) {
      const length = tr.newDoc.length;
      const assoc = tr.annotation(Transaction.remote) ? CARET_ASSOC_REMOTE : CARET_ASSOC_LOCAL;
      const next = new Map<string, RemoteCursor>();
      for (const [id, c] of cursors) {
        next.set(id, { participant: id, ranges: c.ranges.map((r) => mapCursorPos(r, tr.changes, length, assoc)) });
      }
      cursors = next;
    }
    for (const e of tr.effects) {
      if (e.is(setRemoteCursor)) {
        const next = new Map(cursors);
        const length = tr.newDoc.length;
        const clamp = (p: number): number => Math.max(0, Math.min(p, length));
        if (e.value.ranges.length === 0) next.delete(e.value.participant);
        else {
          next.set(e.value.participant, {
            participant: e.value.participant,
            ranges: e.value.ranges.map((r) => ({ anchor: clamp(r.anchor), head: clamp(r.head) })),
          });
        }
        cursors = next;
      } else if (e.is(setParticipants)) {
        names = e.value;
        const next = new Map(cursors);
        for (const id of next.keys()) if (!names.has(id)) next.delete(id);
        cursors = next;
      }
    }
    return cursors === value.cursors && names === value.names ? value : { cursors, names };
  },
});

/** Accessible caret/label colours: each takes white text at WCAG AA and shows on white. */
export const CURSOR_COLOURS: readonly string[] = [
  '#1a56b8', // blue
  '#a4161a', // red
  '#146c2e', // green
  '#6f2da8', // purple
  '#8a4b00', // brown
  '#0b6872', // teal
  '#a3195b', // magenta
  '#3d4852', // slate
];

/** A stable colour for a participant id (FNV-1a over its UTF-16 units). */
export function colourFor(participant: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < participant.length; i++) {
    hash ^= participant.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return CURSOR_COLOURS[hash % CURSOR_COLOURS.length]!;
}

// ---------------------------------------------------------------------------------------------
// Throttling: at most one call per `ms`, and always a call after the last request.

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class Throttle {
  private last = -Infinity;
  private timer: unknown = null;

  constructor(
    private readonly ms: number,
    private readonly fire: () => void,
    private readonly clock: Clock = realClock,
  ) {}

  /** Fires now if the last call is `ms` ago, else once at the end of the window. */
  schedule(): void {
    if (this.timer !== null) return; // the trailing call will read the latest state
    const wait = this.last + this.ms - this.clock.now();
    if (wait <= 0) {
      this.last = this.clock.now();
      this.fire();
      return;
    }
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.last = this.clock.now();
      this.fire();
    }, wait);
  }

  cancel(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}

// ---------------------------------------------------------------------------------------------
// The sync state machine of one document.

/** Where the document's editor state lives: an EditorView in the page, a variable in tests. */
export interface DocHost {
  /** null until the first snapshot */
  readonly state: EditorState | null;
  /** applies a transaction created from `state` */
  dispatch(tr: Transaction): void;
  /** replaces the whole state (a snapshot, a reset) */
  replace(state: EditorState): void;
}

/** The way out: the socket and the user. */
export interface SyncLink {
  /** sends if the room is joined; false otherwise */
  send(msg: ClientMessage): boolean;
  /** a fresh request id (an `error` about the request carries it back as `ref`) */
  nextId(): number;
  /**
   * Join again (a new socket) so the server sends a snapshot of this document: `hello` then
   * names no version for it (`heldVersion()` returns undefined meanwhile).
   */
  rejoin(): void;
  /** a message for the user */
  notify(text: string): void;
}

export interface DocSyncOptions {
  doc: NotesDoc;
  /** the tab's `client` id from `hello`: the clientID of every update */
  clientID: string;
  host: DocHost;
  link: SyncLink;
  /** the editor's other extensions (view, language, read-only...), built per new state */
  extensions?: () => Extension;
  /** called after anything that changes `status()` */
  onStatus?: () => void;
  /** how long to wait before retrying a rate-limited push, times the attempt (default 1 s) */
  retryDelayMs?: number;
  clock?: Clock;
}

export type SyncStatus =
  | { kind: 'loading' } // no document yet
  | { kind: 'reloading' } // waiting for a fresh snapshot
  | { kind: 'offline'; pending: number }
  | { kind: 'syncing'; pending: number } // joined, catching up or pushing
  | { kind: 'saved' };

/** How many past versions' changes to keep for mapping cursors that arrive late. */
const HISTORY_VERSIONS = 500;
/** At most this many rejoins for a fresh snapshot per document per minute (no endless loop). */
const MAX_REJOINS_PER_MINUTE = 3;
const MAX_RATE_LIMIT_RETRIES = 5;

const DOC_LABEL: Record<NotesDoc, string> = { shared: 'shared notes', private: 'private notes' };

export class DocSync {
  readonly doc: NotesDoc;
  /** The server's text at the synced version (null before the first snapshot). */
  private confirmed: Text | null = null;
  private joined = false;
  /** got this socket's snapshot or catch-up updates: pushing may start */
  private caughtUp = false;
  /** a hello or pull was sent whose answer (snapshot or updates) has not arrived */
  private awaitingAnswer = false;
  /** a pull is on its way (no second one for the next gap) */
  private pulling = false;
  /** a snapshot has been asked for: hold pushes and name no version in hello */
  private wantSnapshot = false;
  private inflight: { id: number; count: number; confirmed: number } | null = null;
  private receiving = false;
  private retries = 0;
  private retryTimer: unknown = null;
  private rejoins: number[] = [];
  /** changes from version v to v + 1, for mapping cursors that refer to older versions */
  private readonly history = new Map<number, ChangeSet>();
  /** the last cursor message of each participant (server positions), re-applied after a reset */
  private readonly lastCursors = new Map<string, RemoteCursorMessage>();
  /** participants whose last cursor message could not be applied yet */
  private readonly waitingCursors = new Set<string>();
  private names: ReadonlyMap<string, string> = new Map();
  private readonly clock: Clock;

  constructor(private readonly opts: DocSyncOptions) {
    this.doc = opts.doc;
    this.clock = opts.clock ?? realClock;
  }

  get state(): EditorState | null {
    return this.opts.host.state;
  }

  /** The version this client holds, for `hello`; undefined asks for a snapshot. */
  heldVersion(): number | undefined {
    const state = this.state;
    if (!state || !this.confirmed || this.wantSnapshot) return undefined;
    return getSyncedVersion(state);
  }

  /** Local updates not yet confirmed by the server. */
  pendingCount(): number {
    const state = this.state;
    return state ? sendableUpdates(state).length : 0;
  }

  status(): SyncStatus {
    if (!this.state) return { kind: 'loading' };
    if (this.wantSnapshot) return { kind: 'reloading' };
    const pending = this.pendingCount();
    if (!this.joined) return { kind: 'offline', pending };
    if (!this.caughtUp || pending > 0) return { kind: 'syncing', pending };
    return { kind: 'saved' };
  }

  /** The socket was welcomed: the snapshot or catch-up updates for this document follow. */
  connected(): void {
    this.joined = true;
    this.caughtUp = false;
    this.awaitingAnswer = true;
    this.inflight = null;
    this.changedStatus();
  }

  /** The socket is gone: anything in flight is pushed again after the next catch-up. */
  disconnected(): void {
    this.joined = false;
    this.caughtUp = false;
    this.awaitingAnswer = false;
    this.pulling = false;
    this.inflight = null;
    this.cancelRetry();
    this.changedStatus();
  }

  /**
   * A snapshot replaces the document. If we hold unconfirmed local updates they are kept when
   * the snapshot is exactly the state they are based on (same version and text) and otherwise
   * dropped, with a message to the user — but only when the snapshot answers our `hello` or
   * `pull`: the server sends a snapshot to a client that named a version only when that
   * version is unknown to it (the document is from elsewhere, as with `conflict`). A snapshot
   * that answers nothing while we hold unconfirmed updates is not trusted to discard them: we
   * ask with `notes.pull` from our synced version instead, and act on that answer.
   */
  onSnapshot(msg: NotesSnapshotMessage): void {
    const state = this.state;
    const answer = this.awaitingAnswer || this.wantSnapshot;
    if (state && this.confirmed) {
      const synced = getSyncedVersion(state);
      const pending = sendableUpdates(state).length;
      const same = msg.version === synced && msg.text === this.confirmed.toString();
      if (same) {
        this.settled();
        return; // nothing changed; unconfirmed updates (if any) are still based on this
      }
      if (!answer && msg.version < synced) return; // a stale copy: we are further on
      if (pending > 0 && !answer) {
        this.pull(synced);
        return;
      }
      if (pending > 0) {
        this.opts.link.notify(
          `The ${DOC_LABEL[this.doc]} were reloaded from the server; ${pending} unsent ` +
            `edit${pending === 1 ? '' : 's'} could not be kept.`,
        );
      }
    }
    this.resetTo(textOf(msg.text), msg.version);
    this.settled();
  }

  /** Applies server updates one at a time; skips versions already applied. */
  onUpdates(msg: NotesUpdatesMessage): void {
    const state = this.state;
    if (!state || !this.confirmed) return; // nothing to apply them to: a snapshot is on its way
    let synced = getSyncedVersion(state);
    if (msg.from > synced) {
      this.pull(synced); // we missed some: ask for them
      return;
    }
    let own = 0;
    this.receiving = true;
    try {
      for (let i = 0; i < msg.updates.length; i++) {
        const version = msg.from + i;
        if (version < synced) continue; // a duplicate delivery
        const update = msg.updates[i]!;
        let changes: ChangeSet | null = null;
        try {
          changes = ChangeSet.fromJSON(update.changes);
        } catch {
          // not a change set: handled as not fitting
        }
        if (!changes || changes.length !== this.confirmed.length) {
          this.outOfStep();
          return;
        }
        const current = this.opts.host.state!;
        const pending = sendableUpdates(current);
        // receiveUpdates takes an update with our clientID for the confirmation of our first
        // unconfirmed one. Ours comes back exactly as we hold it (the server rebased it over the
        // same updates, one at a time, as we did): anything else is not ours (another tab
        // with this tab's id, e.g. a duplicated tab) and would corrupt the state: reload.
        if (update.clientID === this.opts.clientID && pending.length > 0 &&
            JSON.stringify(pending[0]!.changes.toJSON()) !== JSON.stringify(changes.toJSON())) {
          this.outOfStep();
          return;
        }
        let tr: Transaction;
        try {
          tr = receiveUpdates(current, [{ clientID: update.clientID, changes }]);
        } catch {
          this.outOfStep();
          return;
        }
        this.opts.host.dispatch(tr);
        own += pending.length - sendableUpdates(this.opts.host.state!).length;
        this.confirmed = changes.apply(this.confirmed);
        this.remember(version, changes);
        synced = version + 1;
      }
    } finally {
      this.receiving = false;
    }
    if (this.inflight) {
      this.inflight.confirmed += own;
      if (this.inflight.confirmed >= this.inflight.count) this.inflight = null;
    }
    if (own > 0) this.retries = 0;
    this.remapPendingCursors();
    this.settled();
  }

  /**
   * An error about one of our pushes (matched by `ref`); false if it is not ours. The push
   * changed nothing on the server.
   * - `conflict`: we are too far behind, or our version is unknown there: pull from our
   *   synced version (updates to rebase over, or a snapshot for an unknown version).
   * - `rate_limited`: push again after a while (a few times).
   * - `too_large`, `forbidden` and the rest: drop the unconfirmed updates (the rejected ones
   *   and any typed after them, which build on them) by going back to the confirmed text.
   * - `bad_request` and `internal`: the same, and since a change "not matching the document"
   *   means our copy may differ from the server's, reload from a fresh snapshot too.
   */
  onError(msg: ErrorMessage): boolean {
    if (!this.inflight || msg.ref !== this.inflight.id) return false;
    const count = this.inflight.count;
    this.inflight = null;
    const what = DOC_LABEL[this.doc];
    switch (msg.code) {
      case 'conflict':
        // Too far behind, or a version the server never had: catch up from our synced version.
        // The answer is the updates we lack (collab rebases our edits over them, then we push
        // again) or, for an unknown version, a snapshot (handled as an answer in onSnapshot).
        if (this.state) this.pull(getSyncedVersion(this.state));
        else this.requestSnapshot();
        break;
      case 'rate_limited':
        if (this.retries < MAX_RATE_LIMIT_RETRIES) {
          this.retries++;
          this.retryLater();
          break;
        }
        this.dropUnconfirmed(`Could not save the ${what}: ${msg.message}`);
        break;
      case 'bad_request':
      case 'internal':
        this.dropUnconfirmed(`Could not save the ${what} (${count} edit${count === 1 ? '' : 's'}): ${msg.message}`);
        this.requestSnapshot();
        break;
      default:
        this.dropUnconfirmed(`Could not save the ${what}: ${msg.message}`);
        break;
    }
    this.changedStatus();
    return true;
  }

  /**
   * The server dropped one of our messages unread (`rate_limited` without `ref`). If that was
   * our push, its confirmation will never come: after a pause, push again whatever is still
   * unconfirmed. A needless resend is harmless: the server skips updates it already accepted,
   * and their confirmation counts for the new push.
   */
  onMessageDropped(): void {
    if (!this.inflight) return;
    this.inflight = null;
    this.retryLater();
    this.changedStatus();
  }

  /** Pushes pending local updates if nothing is in flight. Call after every local change. */
  flush(): void {
    const state = this.state;
    if (!state || this.receiving || !this.joined || !this.caughtUp || this.inflight || this.wantSnapshot) {
      this.changedStatus();
      return;
    }
    if (this.retryTimer !== null) return;
    const pending = sendableUpdates(state);
    if (pending.length > 0) {
      const batch = pending.slice(0, MAX_UPDATES_PER_PUSH);
      const id = this.opts.link.nextId();
      const updates = batch.map((u) => ({ clientID: u.clientID, changes: u.changes.toJSON() as ChangeSetJSON }));
      if (this.opts.link.send(notesPush(this.doc, getSyncedVersion(state), updates, id))) {
        this.inflight = { id, count: batch.length, confirmed: 0 };
      }
    }
    this.changedStatus();
  }

  // ---- cursors --------------------------------------------------------------------------------

  /** Our selection as a cursor message: positions mapped back to the synced version. */
  cursorMessage(): CursorMessage | null {
    const state = this.state;
    if (!state) return null;
    const pending = sendableUpdates(state);
    let back: ChangeDesc | null = null;
    if (pending.length > 0) {
      let composed = pending[0]!.changes.desc;
      for (let i = 1; i < pending.length; i++) composed = composed.composeDesc(pending[i]!.changes.desc);
      back = composed.invertedDesc;
    }
    const map = (p: number): number => (back ? back.mapPos(p, -1) : p);
    const { ranges, mainIndex } = state.selection;
    const ordered = [ranges[mainIndex]!, ...ranges.filter((_, i) => i !== mainIndex)].slice(0, MAX_CURSOR_RANGES);
    const out: CursorRange[] = ordered.map((r) => [map(r.anchor), map(r.head)]);
    return cursorMessage(this.doc, getSyncedVersion(state), out);
  }

  /**
   * A participant's cursor: mapped from its version to our document and drawn. One that
   * refers to a version we have not reached yet waits for the updates.
   */
  onCursor(msg: RemoteCursorMessage): void {
    if (msg.ranges.length === 0) this.lastCursors.delete(msg.participant);
    else this.lastCursors.set(msg.participant, msg);
    if (this.applyCursor(msg)) this.waitingCursors.delete(msg.participant);
    else this.waitingCursors.add(msg.participant);
  }

  /** The connected participants other than us: id → name. */
  setParticipants(names: ReadonlyMap<string, string>): void {
    this.names = names;
    for (const id of [...this.lastCursors.keys()]) {
      if (!names.has(id)) {
        this.lastCursors.delete(id);
        this.waitingCursors.delete(id);
      }
    }
    const state = this.state;
    if (state) this.opts.host.dispatch(state.update({ effects: setParticipants.of(names) }));
  }

  /**
   * Maps a position of the server's document at `version` into ours; null if we are behind.
   * `assoc` is for the server's updates since `version`, `localAssoc` for our unconfirmed ones.
   */
  mapFromVersion(version: number, pos: number, assoc: -1 | 1, localAssoc: -1 | 1 = assoc): number | null {
    const state = this.state;
    if (!state) return null;
    const synced = getSyncedVersion(state);
    if (version > synced) return null;
    let p = pos;
    for (let v = version; v < synced; v++) {
      const changes = this.history.get(v);
      if (!changes) break; // too old to map exactly: the clamp below keeps it in the document
      p = changes.mapPos(Math.min(p, changes.length), assoc);
    }
    for (const u of sendableUpdates(state)) p = u.changes.mapPos(Math.min(p, u.changes.length), localAssoc);
    return Math.max(0, Math.min(p, state.doc.length));
  }

  // ---- internals ------------------------------------------------------------------------------

  private applyCursor(msg: RemoteCursorMessage): boolean {
    const state = this.state;
    if (!state) return false;
    if (msg.ranges.length > 0 && msg.version > getSyncedVersion(state)) return false; // later
    const ranges: CursorPos[] = [];
    for (const [anchor, head] of msg.ranges) {
      const empty = anchor === head;
      // A caret as in the field; a selection does not grow with text inserted at its edges.
      const a = empty
        ? this.mapFromVersion(msg.version, anchor, CARET_ASSOC_REMOTE, CARET_ASSOC_LOCAL)
        : this.mapFromVersion(msg.version, anchor, anchor < head ? 1 : -1);
      const h = empty ? a : this.mapFromVersion(msg.version, head, head < anchor ? 1 : -1);
      if (a === null || h === null) return false;
      ranges.push({ anchor: a, head: h });
    }
    this.opts.host.dispatch(state.update({ effects: setRemoteCursor.of({ participant: msg.participant, ranges }) }));
    return true;
  }

  /** Cursors that referred to versions we had not reached, and all of them after a reset. */
  private remapPendingCursors(all = false): void {
    if (!this.state) return;
    for (const msg of this.lastCursors.values()) {
      if (!all && !this.waitingCursors.has(msg.participant)) continue;
      if (this.applyCursor(msg)) this.waitingCursors.delete(msg.participant);
      else this.waitingCursors.add(msg.participant);
    }
  }

  private remember(version: number, changes: ChangeSet): void {
    this.history.set(version, changes);
    this.history.delete(version - HISTORY_VERSIONS);
  }

  private newState(text: Text, version: number, head: number | null): EditorState {
    let state = EditorState.create({
      doc: text,
      extensions: [
        collab({ startVersion: version, clientID: this.opts.clientID }),
        normalizeInsertedText,
        remoteCursorsField,
        this.opts.extensions?.() ?? [],
      ],
    });
    const effects = this.names.size > 0 ? [setParticipants.of(this.names)] : [];
    const selection = head === null ? undefined : EditorSelection.cursor(Math.min(head, text.length));
    if (effects.length > 0 || selection) state = state.update({ effects, ...(selection ? { selection } : {}) }).state;
    return state;
  }

  /** A new state from the server's text; keeps the caret where it was (clamped). */
  private resetTo(text: Text, version: number): void {
    const old = this.state;
    this.confirmed = text;
    this.history.clear();
    this.opts.host.replace(this.newState(text, version, old ? old.selection.main.head : null));
    this.remapPendingCursors(true);
  }

  private dropUnconfirmed(message: string): void {
    const state = this.state;
    this.opts.link.notify(message);
    if (!state || !this.confirmed) return;
    if (sendableUpdates(state).length === 0) return;
    this.resetTo(this.confirmed, getSyncedVersion(state));
  }

  /** Our copy does not fit the server's updates: reload it. */
  private outOfStep(): void {
    this.opts.link.notify(`The ${DOC_LABEL[this.doc]} got out of step with the server; reloading them.`);
    this.requestSnapshot();
  }

  private requestSnapshot(): void {
    if (this.wantSnapshot) return;
    const now = this.clock.now();
    this.rejoins = this.rejoins.filter((t) => now - t < 60_000);
    if (this.rejoins.length >= MAX_REJOINS_PER_MINUTE) {
      this.opts.link.notify(`The ${DOC_LABEL[this.doc]} cannot be synchronised. Reload the page.`);
      return;
    }
    this.rejoins.push(now);
    this.wantSnapshot = true;
    this.inflight = null;
    this.changedStatus();
    this.opts.link.rejoin();
  }

  private pull(version: number): void {
    if (this.pulling) return;
    if (this.opts.link.send(notesPull(this.doc, version))) {
      this.pulling = true;
      this.awaitingAnswer = true;
    }
  }

  /** An answer (snapshot or updates) arrived: we are level with the server; push. */
  private settled(): void {
    this.awaitingAnswer = false;
    this.pulling = false;
    this.wantSnapshot = false;
    if (this.joined) this.caughtUp = true;
    this.flush();
  }

  private retryLater(): void {
    this.cancelRetry();
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      this.flush();
    }, (this.opts.retryDelayMs ?? 1000) * Math.max(1, this.retries));
  }

  private cancelRetry(): void {
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private changedStatus(): void {
    this.opts.onStatus?.();
  }
}
