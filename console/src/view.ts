// What every view of the console is, and the pieces they share.
import { h } from './dom.js';

export interface View {
  /** For the document title and the page heading. */
  title: string;
  element: HTMLElement;
  /** Reads what the view shows again (live refresh); a rejection is shown as a refresh error. */
  refresh(): Promise<void>;
}

export interface Context {
  /** Says something to the user (and to screen readers, politely). */
  announce(message: string): void;
  /** Goes to another view by its hash (#/...). */
  go(hash: string): void;
}

export const PAGE_SIZE = 50;

export const link = {
  overview: () => '#/',
  type: (type: string) => `#/types/${encodeURIComponent(type)}`,
  queue: (type: string, queueId: string) => `#/types/${encodeURIComponent(type)}/queues/${encodeURIComponent(queueId)}`,
  dead: (type: string) => `#/types/${encodeURIComponent(type)}/dead`,
};

/** Where we are: a breadcrumb trail, the last entry being the current page. */
export function breadcrumbs(...trail: [label: string, hash: string][]): HTMLElement {
  return h(
    'nav',
    { 'aria-label': 'Breadcrumb', class: 'crumbs' },
    h(
      'ol',
      {},
      ...trail.map(([label, hash], i) =>
        h('li', {}, i === trail.length - 1 ? h('a', { href: hash, 'aria-current': 'page' }, label) : h('a', { href: hash }, label)),
      ),
    ),
  );
}

export interface Pager {
  element: HTMLElement;
  /** Sets the label and which buttons work. */
  update(label: string, hasPrevious: boolean, hasNext: boolean): void;
}

export function pager(name: string, onPrevious: () => void, onNext: () => void): Pager {
  const previous = h('button', { type: 'button', onclick: onPrevious }, 'Previous page');
  const next = h('button', { type: 'button', onclick: onNext }, 'Next page');
  const label = h('span', { class: 'page-label' });
  return {
    element: h('nav', { class: 'pager', 'aria-label': `${name} pages` }, previous, label, next),
    update(text, hasPrevious, hasNext) {
      label.textContent = text;
      previous.disabled = !hasPrevious;
      next.disabled = !hasNext;
    },
  };
}

export interface Outcome {
  element: HTMLElement;
  ok(text: string): void;
  fail(text: string): void;
}

/** A message area for the outcome of an action (success or error), announced when it changes. */
export function outcome(): Outcome {
  const element = h('p', { class: 'outcome', role: 'status', 'aria-live': 'polite' });
  return {
    element,
    ok(text) {
      element.className = 'outcome ok';
      element.textContent = text;
    },
    fail(text) {
      element.className = 'outcome error';
      element.textContent = text;
    },
  };
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
