// Overview: every queue type with its counts and pause, and enqueues/dequeues per minute.
import { api } from './api.js';
import { rateChart } from './chart.js';
import { fill, formatNumber, h, table } from './dom.js';
import { pausedText } from './flow.js';
import { breadcrumbs, link, type View } from './view.js';

export function overviewView(): View {
  const rows = h('tbody');
  const chart = h('div', { class: 'chart-slot' });
  const element = h(
    'section',
    { 'aria-labelledby': 'view-title' },
    breadcrumbs(['Overview', link.overview()]),
    h('h1', { id: 'view-title', tabindex: -1 }, 'Overview'),
    h('h2', {}, 'Queue types'),
    table('Queue types with queued or active jobs', ['Queue type', 'Queued', 'Active', 'Ready queues', 'Queues', 'Paused', 'Dead letters'], rows, [1, 2, 3, 4]),
    h('h2', {}, 'Last 10 minutes'),
    chart,
  );

  async function refresh(): Promise<void> {
    const metrics = await api.metrics();
    const types = [...metrics.queue_types].sort();
    const pages = await Promise.all(types.map((type) => api.queues(type, { limit: 1 })));
    if (types.length === 0) {
      fill(rows, h('tr', {}, h('td', { colspan: 7 }, 'No queue type has queued or active jobs.')));
    } else {
      fill(
        rows,
        ...types.map((type, i) => {
          const totals = pages[i]?.totals;
          const limits = pages[i]?.limits;
          return h(
            'tr',
            { 'data-type': type },
            h('th', { scope: 'row' }, h('a', { href: link.type(type) }, type)),
            h('td', { class: 'num' }, formatNumber(totals?.queued ?? 0)),
            h('td', { class: 'num' }, formatNumber(totals?.active ?? 0)),
            h('td', { class: 'num' }, formatNumber(totals?.ready_queues ?? 0)),
            h('td', { class: 'num' }, formatNumber(totals?.queues ?? 0)),
            h('td', {}, pausedText(limits?.paused, limits?.paused_until_ms)),
            h('td', {}, h('a', { href: link.dead(type), 'aria-label': `Dead letters of ${type}` }, 'Dead letters')),
          );
        }),
      );
    }
    fill(chart, rateChart(metrics.enqueue_counts, metrics.dequeue_counts));
  }

  return { title: 'Overview', element, refresh };
}
