// A queue type: its queues, paged by cursor, filtered by queue id prefix; its limits and pause,
// with Pause and Resume for the whole type.
import { api, type TypeLimits } from './api.js';
import { fill, formatNumber, h, table } from './dom.js';
import { limitText, pauseControls, pausedText } from './flow.js';
import { breadcrumbs, link, outcome, pager, PAGE_SIZE, type View } from './view.js';

export function typeView(type: string): View {
  /** Cursors of the pages seen so far: the last is the current page's. */
  let cursors: (string | undefined)[] = [undefined];
  let nextCursor: string | null = null;
  let prefix = '';

  const counts = h('dl', { class: 'counts' });
  const limits = h('dl', { class: 'counts' });
  const result = outcome();
  const controls = pauseControls(type, undefined, result, refresh);
  const flow = h('div', { hidden: true }, h('h2', {}, 'Flow control'), limits, h('div', { class: 'toolbar' }, controls.element), result.element);
  const rows = h('tbody');
  const input = h('input', { id: 'prefix-input', name: 'prefix', type: 'search', pattern: '[A-Za-z0-9_\\-]*', maxlength: 100, autocomplete: 'off' });
  const filter = h(
    'form',
    { class: 'filter', role: 'search', 'aria-label': 'Filter queues' },
    h('label', { for: 'prefix-input' }, 'Queue id starts with'),
    input,
    h('button', { type: 'submit' }, 'Filter'),
  );
  const pages = pager('Queue', () => {
    cursors = cursors.slice(0, -1);
    void refresh();
  }, () => {
    if (nextCursor === null) return;
    cursors = [...cursors, nextCursor];
    void refresh();
  });
  filter.addEventListener('submit', (event) => {
    event.preventDefault();
    prefix = input.value.trim();
    cursors = [undefined];
    void refresh();
  });

  const element = h(
    'section',
    { 'aria-labelledby': 'view-title' },
    breadcrumbs(['Overview', link.overview()], [type, link.type(type)]),
    h('h1', { id: 'view-title', tabindex: -1 }, `Queue type ${type}`),
    counts,
    flow,
    h('p', {}, h('a', { href: link.dead(type) }, `Dead letters of ${type}`)),
    filter,
    table(`Queues of ${type}`, ['Queue id', 'Queued', 'Active', 'Interval (ms)', 'Max active', 'Paused'], rows, [1, 2, 3, 4]),
    pages.element,
  );

  async function refresh(): Promise<void> {
    const page = await api.queues(type, { cursor: cursors.at(-1), limit: PAGE_SIZE, prefix });
    nextCursor = page.next_cursor === null ? null : String(page.next_cursor);
    // Totals are optional in the contract (a server may leave them out): shown as '-' then.
    const t = page.totals;
    fill(
      counts,
      ...(
        [
          ['Queued', t?.queued],
          ['Active', t?.active],
          ['Ready queues', t?.ready_queues],
          ['Queues', t?.queues],
        ] as const
      ).map(([name, value]) => h('div', {}, h('dt', {}, name), h('dd', {}, value === undefined ? '-' : formatNumber(value)))),
    );
    if (page.queues.length === 0) {
      const why = nextCursor === null ? (prefix ? `No queue id starts with ${prefix}.` : 'No queue has queued or active jobs.') : 'None in this part of the scan; try the next page.';
      fill(rows, h('tr', {}, h('td', { colspan: 6 }, why)));
    } else {
      fill(
        rows,
        ...page.queues.map((q) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, h('a', { href: link.queue(type, q.queue_id) }, q.queue_id)),
            h('td', { class: 'num' }, formatNumber(q.queued)),
            h('td', { class: 'num' }, formatNumber(q.active)),
            h('td', { class: 'num' }, q.interval === null ? '-' : formatNumber(q.interval)),
            h('td', { class: 'num' }, q.max_active === null || q.max_active === undefined ? '-' : formatNumber(q.max_active)),
            h('td', {}, pausedText(q.paused, q.paused_until_ms)),
          ),
        ),
      );
    }
    showLimits(page.limits);
    pages.update(`Page ${cursors.length}${prefix ? `, ids starting with ${prefix}` : ''}`, cursors.length > 1, nextCursor !== null);
  }

  /** The type's limits; a server without flow control sends none, and the section stays hidden. */
  function showLimits(l: TypeLimits | undefined): void {
    flow.hidden = l === undefined;
    controls.update(l?.paused);
    if (l === undefined) return;
    fill(
      limits,
      ...(
        [
          ['Max active', limitText(l.max_active)],
          ['Rate (jobs/s)', limitText(l.rate_per_s)],
          ['Burst', l.burst === null ? '-' : formatNumber(l.burst)],
          ['Paused', pausedText(l.paused, l.paused_until_ms)],
        ] as const
      ).map(([name, value]) => h('div', {}, h('dt', {}, name), h('dd', {}, value))),
    );
  }

  return { title: `Queue type ${type}`, element, refresh };
}
