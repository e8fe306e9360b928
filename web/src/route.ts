// Which page to show, from the location; and this tab's identity. Pure apart from storage.

export type Route =
  | { page: 'landing' }
  | { page: 'room'; room: string; token: string | null };

const ROOM_PATH = /^\/room\/([A-Za-z0-9_-]{1,64})\/?$/;

/**
 * `/room/ID#token=T` is a room, anything else the landing page. The token lives in the
 * fragment only: browsers never send it to the server, and this client never logs it.
 */
export function routeFor(pathname: string, hash: string): Route {
  const m = ROOM_PATH.exec(pathname);
  if (!m || m[1] === undefined) return { page: 'landing' };
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const token = params.get('token');
  return { page: 'room', room: m[1], token: token && token.length > 0 ? token : null };
}

/** The WebSocket endpoint on the page's own host, `wss:` under `https:`. */
export function webSocketUrl(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/ws`;
}

const CLIENT_KEY = 'mockroom.client';
const NAME_KEY = 'mockroom.name';

/** A fresh client id: `c-` and 16 random hex digits (fits `[A-Za-z0-9_-]{1,64}`). */
export function newClientId(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return 'c-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** This tab's client id, kept in sessionStorage so reconnects and reloads reuse it. */
export function tabClientId(storage: Storage | null = safeStorage('session')): string {
  const existing = storage?.getItem(CLIENT_KEY);
  if (existing && /^[A-Za-z0-9_-]{1,64}$/.test(existing)) return existing;
  const id = newClientId();
  storage?.setItem(CLIENT_KEY, id);
  return id;
}

export function rememberedName(): string {
  return safeStorage('local')?.getItem(NAME_KEY) ?? '';
}

export function rememberName(name: string): void {
  safeStorage('local')?.setItem(NAME_KEY, name);
}

/** This browser's localStorage, or null when it is not usable. */
export function localStore(): Storage | null {
  return safeStorage('local');
}

/** Storage can be missing or throw (privacy modes, sandboxed frames): then work without it. */
function safeStorage(kind: 'local' | 'session'): Storage | null {
  try {
    const s = kind === 'local' ? window.localStorage : window.sessionStorage;
    const probe = '__mockroom_probe__';
    s.setItem(probe, '1');
    s.removeItem(probe);
    return s;
  } catch {
    return null;
  }
}
