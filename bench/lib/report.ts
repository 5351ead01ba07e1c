// Runs of a scenario -> table rows (median and min-max over runs, ratios to the ceilings, targets),
// and the one table the bench prints: scenario | metric | median | min-max | vs (b) | vs (c) | target | met?

import { spread } from './stats.js';
import type { CeilingFigures, Row, Sample } from './types.js';

function ratioTo(kind: Sample['kind'], value: number, ceiling: CeilingFigures | undefined): number | undefined {
  if (ceiling === undefined) return undefined;
  if (kind === 'throughput') return value / ceiling.rps;
  if (kind === 'p50') return value / ceiling.p50Ms;
  if (kind === 'p99') return value / ceiling.p99Ms;
  return undefined;
}

export function rowsFor(
  scenario: string,
  runs: Sample[][],
  ceilings: { b?: CeilingFigures; c?: CeilingFigures },
): Row[] {
  const order: string[] = [];
  const byMetric = new Map<string, Sample[]>();
  for (const run of runs) {
    for (const sample of run) {
      const list = byMetric.get(sample.metric);
      if (list === undefined) {
        order.push(sample.metric);
        byMetric.set(sample.metric, [sample]);
      } else list.push(sample);
    }
  }
  return order.map((metric) => {
    const samples = byMetric.get(metric) ?? [];
    const first = samples[0];
    if (first === undefined) throw new Error(`no samples for ${metric}`);
    const { median, min, max } = spread(samples.map((s) => s.value));
    const vsB = ratioTo(first.kind, median, ceilings.b);
    const vsC = ratioTo(first.kind, median, ceilings.c);
    const row: Row = { scenario, metric, unit: first.unit, kind: first.kind, runs: samples.length, median, min, max, vsB, vsC };
    const target = first.target;
    if (target !== undefined) {
      row.target = target.label;
      if (!target.referenceOnly) {
        const subject = target.vs === 'b' ? vsB : target.vs === 'c' ? vsC : median;
        if (subject !== undefined && Number.isFinite(subject)) {
          row.met = target.op === '>=' ? subject >= target.value : subject <= target.value;
        }
      }
    }
    return row;
  });
}

export function formatNumber(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  if (abs === 0) return '0';
  return value.toPrecision(3);
}

/** 1000 -> "1k", 1000000 -> "1M": sizes in metric names. */
export function sizeLabel(n: number): string {
  if (n >= 1e6 && n % 1e6 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 1e3 === 0) return `${n / 1e3}k`;
  return String(n);
}

function ratio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '-' : `${value.toFixed(2)}x`;
}

export function renderTable(rows: Row[]): string {
  const header = ['scenario', 'metric', 'median', 'min-max', 'vs (b)', 'vs (c)', 'target', 'met?'];
  const body = rows.map((r) => [
    r.scenario,
    r.unit === '' ? r.metric : `${r.metric} (${r.unit})`,
    formatNumber(r.median),
    r.runs > 1 ? `${formatNumber(r.min)}-${formatNumber(r.max)}` : '-',
    ratio(r.vsB),
    ratio(r.vsC),
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((line) => (line[i] ?? '').length)));
  const numeric = new Set([2, 3, 4, 5]);
  const fmt = (cells: string[]): string =>
    cells.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join(' | ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('-|-');
  const lines = [fmt(header), rule];
  let previous = '';
  for (const line of body) {
    const scenario = line[0] ?? '';
    if (previous !== '' && scenario !== previous) lines.push(rule);
    previous = scenario;
    lines.push(fmt(line));
  }
  return lines.join('\n');
}
