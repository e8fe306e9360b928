// "Download report": fetches the room's report as this role may see it and saves it as a file.
// The access token goes in the Authorization header only, never in a URL (it would end up in
// server logs, the history and Referer headers).

import { h, replaceChildren } from './dom';
import type { Role } from './protocol';

export type ReportFormat = 'md' | 'json';

const FORMAT_LABEL: Record<ReportFormat, string> = { md: 'Markdown', json: 'JSON' };

/** `/api/rooms/ID/report?format=md` — no token in it. */
export function reportUrl(roomId: string, format: ReportFormat): string {
  return `/api/rooms/${encodeURIComponent(roomId)}/report?format=${format}`;
}

/** `mockroom-ROOMID-ROLE.md` (or `.json`). */
export function reportFileName(roomId: string, role: Role, format: ReportFormat): string {
  const safeRoom = roomId.replace(/[^A-Za-z0-9_-]/g, '_');
  return `mockroom-${safeRoom}-${role}.${format}`;
}

/** A readable reason from a failed answer: the server's `{"error":{"message"}}`, else the status. */
export function reportErrorMessage(status: number, body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && 'error' in parsed) {
      const err = (parsed as { error: unknown }).error;
      if (err && typeof err === 'object') {
        const message = (err as { message?: unknown }).message;
        const code = (err as { code?: unknown }).code;
        if (typeof message === 'string' && message.trim() !== '') return message.trim();
        if (typeof code === 'string' && code !== '') return `the server answered ${status} (${code})`;
      }
    }
  } catch {
    // not JSON: fall through
  }
  return `the server answered ${status}`;
}

export type ReportResult =
  | { ok: true; blob: Blob; fileName: string }
  | { ok: false; message: string };

type FetchFn = (input: string, init: RequestInit) => Promise<Response>;

/** Fetches the report with the bearer token; never throws. */
export async function fetchReport(fetchFn: FetchFn, roomId: string, token: string, role: Role,
  format: ReportFormat): Promise<ReportResult> {
  let res: Response;
  try {
    res = await fetchFn(reportUrl(roomId, format), {
      method: 'GET',
      headers: {
        Authorization: `Bearer ${token}`,
        Accept: format === 'json' ? 'application/json' : 'text/markdown, text/plain;q=0.9',
      },
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    return { ok: false, message: 'the server could not be reached. Check your connection and try again.' };
  }
  if (!res.ok) {
    const body = await res.text().catch(() => '');
    return { ok: false, message: reportErrorMessage(res.status, body) };
  }
  try {
    const blob = await res.blob();
    const type = format === 'json' ? 'application/json' : 'text/markdown;charset=utf-8';
    return { ok: true, blob: blob.type ? blob : new Blob([blob], { type }), fileName: reportFileName(roomId, role, format) };
  } catch {
    return { ok: false, message: 'the download was interrupted. Try again.' };
  }
}

/** Saves `blob` as `fileName` through a temporary object URL and `<a download>`. */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: fileName, hidden: true });
  document.body.append(a);
  try {
    a.click();
  } finally {
    a.remove();
    // Give the browser time to start the download before the URL goes away.
    window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}

export interface ReportPanelOptions {
  roomId: string;
  token: string;
  role: Role;
  /** id of the heading that names the panel */
  headingId: string;
  fetchFn?: FetchFn;
}

/** The "Download report" buttons (Markdown, JSON), with a progress line and an error line. */
export function reportPanel(opts: ReportPanelOptions): HTMLElement {
  const hintId = `${opts.headingId}-hint`;
  const hint = h('p', { class: 'hint', id: hintId },
    opts.role === 'interviewer'
      ? 'Everything about this interview, including your private notes and the scorecard. Keep the file safe.'
      : 'The questions, their timing and the shared notes; sample answers once they are revealed.');
  const status = h('p', { class: 'hint', role: 'status', 'data-testid': 'report-status' });
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'report-error' });
  let busy = false;

  const button = (format: ReportFormat): HTMLButtonElement => {
    const b = h('button', {
      type: 'button',
      'data-testid': `report-${format}`,
      'aria-label': `Download report as ${FORMAT_LABEL[format]}`,
      'aria-describedby': hintId,
    }, FORMAT_LABEL[format]);
    b.addEventListener('click', () => {
      void download(format, b);
    });
    return b;
  };
  const buttons = [button('md'), button('json')];

  async function download(format: ReportFormat, b: HTMLButtonElement): Promise<void> {
    if (busy) return;
    busy = true;
    // aria-disabled rather than disabled: the pressed button keeps keyboard focus.
    for (const x of buttons) x.setAttribute('aria-disabled', 'true');
    b.setAttribute('aria-busy', 'true');
    error.textContent = '';
    status.textContent = `Preparing the ${FORMAT_LABEL[format]} report…`;
    const fetchFn: FetchFn = opts.fetchFn ?? ((input, init) => window.fetch(input, init));
    const result = await fetchReport(fetchFn, opts.roomId, opts.token, opts.role, format);
    busy = false;
    for (const x of buttons) x.removeAttribute('aria-disabled');
    b.removeAttribute('aria-busy');
    if (result.ok) {
      saveBlob(result.blob, result.fileName);
      status.textContent = `Saved ${result.fileName}.`;
    } else {
      status.textContent = '';
      error.textContent = `Could not download the report: ${result.message}`;
    }
  }

  const group = h('div', { class: 'actions', role: 'group', 'aria-labelledby': opts.headingId });
  replaceChildren(group, ...buttons);
  return h('div', { class: 'report', 'data-testid': 'report-controls' }, hint, group, status, error);
}
