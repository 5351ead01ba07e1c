// Runs of a scenario -> table rows: median and min-max over runs, ratios to the ceilings, targets.

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
