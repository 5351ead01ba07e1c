// The one table the bench prints: scenario | metric | median | min-max | vs (b) | vs (c) | target | met?

import type { Row } from './types.js';

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
