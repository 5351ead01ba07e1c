// The overview's chart: enqueues and dequeues per minute over the last 10 minutes, as grouped
// bars in inline SVG (no chart library). Described for screen readers by its title and summary.
import type { CountsByMinute } from './api.js';
import { formatNumber, h, svg } from './dom.js';

const WIDTH = 640;
const HEIGHT = 200;
const PAD = { top: 12, right: 8, bottom: 28, left: 44 };

function minuteLabel(ms: number): string {
  return new Date(ms).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
}

/** A "nice" axis maximum: 1, 2 or 5 times a power of ten, at least the largest value. */
function axisMax(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].map((m) => m * power).find((m) => m >= value) ?? value);
}

export function rateChart(enqueues: CountsByMinute, dequeues: CountsByMinute): HTMLElement {
  const minutes = [...new Set([...Object.keys(enqueues), ...Object.keys(dequeues)])].map(Number).sort((a, b) => a - b);
  const enq = minutes.map((m) => enqueues[String(m)] ?? 0);
  const deq = minutes.map((m) => dequeues[String(m)] ?? 0);
  const max = axisMax(Math.max(0, ...enq, ...deq));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, minutes.length);
  const bar = Math.max(2, slot / 2 - 3);
  const y = (v: number): number => PAD.top + plotH - (v / max) * plotH;

  // Counts are whole: no half-step line when the maximum is 1.
  const grid = [0, max / 2, max].filter((v) => Number.isInteger(v)).map((v) =>
    svg('g', {}, svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v), class: 'grid' }), svg('text', { x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, formatNumber(v))),
  );
  const bars = minutes.map((minute, i) => {
    const x = PAD.left + i * slot + (slot - 2 * bar) / 2;
    const e = enq[i] ?? 0;
    const d = deq[i] ?? 0;
    return svg(
      'g',
      {},
      svg('rect', { x, y: y(e), width: bar, height: y(0) - y(e), class: 'enq' }, svg('title', {}, `${minuteLabel(minute)}: ${e} enqueued`)),
      svg('rect', { x: x + bar, y: y(d), width: bar, height: y(0) - y(d), class: 'deq' }, svg('title', {}, `${minuteLabel(minute)}: ${d} dequeued`)),
      i % 2 === 0 || minutes.length <= 5 ? svg('text', { x: x + bar, y: HEIGHT - 8, 'text-anchor': 'middle', class: 'axis' }, minuteLabel(minute)) : null,
    );
  });
  const totalEnq = enq.reduce((a, b) => a + b, 0);
  const totalDeq = deq.reduce((a, b) => a + b, 0);
  const summary = `Last ${minutes.length} minutes: ${formatNumber(totalEnq)} enqueued, ${formatNumber(totalDeq)} dequeued; this minute ${formatNumber(enq.at(-1) ?? 0)} and ${formatNumber(deq.at(-1) ?? 0)}.`;

  return h(
    'figure',
    { class: 'chart' },
    svg(
      'svg',
      { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-labelledby': 'chart-title chart-summary', preserveAspectRatio: 'xMidYMid meet' },
      svg('title', { id: 'chart-title' }, 'Enqueues and dequeues per minute'),
      ...grid,
      ...bars,
    ),
    h(
      'figcaption',
      {},
      h('span', { class: 'key enq' }, 'Enqueued'),
      ' ',
      h('span', { class: 'key deq' }, 'Dequeued'),
      h('span', { id: 'chart-summary', class: 'summary', 'data-testid': 'chart-summary' }, summary),
    ),
  );
}
