// A tiny element builder: text always goes in as text nodes, never as HTML, so data from the
// queues (ids, payloads, reasons) cannot inject markup.

export type Child = Node | string | number | null | undefined | false;
type Handler = (event: Event) => void;
export type Attrs = Record<string, string | number | boolean | Handler | undefined>;

function apply(el: Element, attrs: Attrs, children: Child[]): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** An HTML element; attributes named on<event> become listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  apply(el, attrs, children);
  return el;
}

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  apply(el, attrs, children);
  return el;
}

/** Replaces the children of `el`. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  apply(el, {}, children);
}

export function formatNumber(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** A moment as a time of day, with its date in front when it is not today (a pause may last 30 days). */
export function formatMoment(ms: number): string {
  const at = new Date(ms);
  return at.toDateString() === new Date().toDateString() ? formatTime(ms) : `${at.toLocaleDateString('en-CA')} ${formatTime(ms)}`;
}

/** A payload as one line of JSON, cut to `max` characters. */
export function preview(payload: unknown, max = 120): string {
  const text = typeof payload === 'string' ? JSON.stringify(payload) : JSON.stringify(payload) ?? 'null';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Text (an error message) as one line, cut to `max` characters; the whole of it goes in a title. */
export function shortText(text: string, max = 80): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * A table in a scrolling wrapper. Each cell the views put in `body` gets its column's name as
 * data-label, so on a phone the stylesheet can show a row as a card of "name: value" lines.
 * `numeric` columns are right-aligned.
 */
export function table(caption: string, headers: string[], body: HTMLTableSectionElement, numeric: number[] = []): HTMLElement {
  const label = (): void => {
    for (const row of Array.from(body.rows)) {
      Array.from(row.cells).forEach((cell, i) => {
        if (row.cells.length === headers.length) cell.dataset.label = headers[i] ?? '';
      });
    }
  };
  new MutationObserver(label).observe(body, { childList: true });
  return h(
    'div',
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    h(
      'table',
      { class: 'cards' },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ...headers.map((t, i) => h('th', { scope: 'col', class: numeric.includes(i) ? 'num' : undefined }, t)))),
      body,
    ),
  );
}
