// A tiny element builder. Children given as strings become text nodes, so server text is
// never parsed as HTML.

import type { Difficulty } from './protocol';

export type Child = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces all children of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

export function difficultyBadge(d: Difficulty): HTMLElement {
  return h('span', { class: `badge badge--${d}`, 'data-testid': 'difficulty' }, d);
}

/** "14:05" for display, with the full ISO time in the datetime attribute. */
export function timeElement(ms: number): HTMLTimeElement {
  const d = new Date(ms);
  return h(
    'time',
    { datetime: d.toISOString(), title: d.toLocaleString() },
    d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
  );
}
