// Small pieces every scenario uses: the pooled server, repeated runs, load results as samples.

import type { ServerHandle } from '../../test/helpers/server.js';
import { enqueueJobs, type FillSpec } from './fill.js';
import { queuedJobs, type ServerSettings } from './fixtures.js';
import { CONNECTIONS, type LoadResult } from './load.js';
import type { ServerChoice } from './server-pool.js';
import type { BenchContext, Sample, Target } from './types.js';

/** The pooled server with these settings (started if need be), for the length of `fn`. */
export async function withServer<T>(
  ctx: BenchContext,
  choice: ServerChoice,
  fn: (server: ServerHandle, settings: ServerSettings) => Promise<T>,
): Promise<T> {
  const { server, settings } = await ctx.servers.get(choice);
  return fn(server, settings);
}

/** Repeats `fn` plan.runs times, logging each run. */
export async function repeatRuns(ctx: BenchContext, label: string, fn: (run: number) => Promise<Sample[]>): Promise<Sample[][]> {
  const runs: Sample[][] = [];
  for (let run = 0; run < ctx.plan.runs; run += 1) {
    const samples = await fn(run);
    logRun(ctx, label, run, samples);
    runs.push(samples);
  }
  return runs;
}

export function logRun(ctx: BenchContext, label: string, run: number, samples: Sample[]): void {
  const figures = samples.map((s) => `${s.metric} ${s.value.toFixed(2)}${s.unit === '' ? '' : ` ${s.unit}`}`);
  ctx.log(`  ${label} run ${run + 1}/${ctx.plan.runs}: ${figures.join(', ')}`);
}

/** Throughput and latency of one load run; statuses other than `expected` are counted as a share. */
export function loadSamples(
  prefix: string,
  result: LoadResult,
  expected: number,
  throughputTarget?: Target,
): Sample[] {
  const good = result.statuses[String(expected)] ?? 0;
  const unexpected = result.requests - good + result.errors + result.timeouts;
  const samples: Sample[] = [
    { metric: `${prefix} req/s`, unit: '', value: result.rps, kind: 'throughput', target: throughputTarget },
    { metric: `${prefix} p50`, unit: 'ms', value: result.p50Ms, kind: 'p50' },
    { metric: `${prefix} p99`, unit: 'ms', value: result.p99Ms, kind: 'p99' },
  ];
  if (unexpected > 0) {
    samples.push({ metric: `${prefix} not ${expected}`, unit: '%', value: (100 * unexpected) / Math.max(1, result.requests), kind: 'other' });
  }
  return samples;
}

/** Jobs a dequeue/finish run can consume at most: the single-script-call ceiling's rate, with margin. */
export function jobsForRun(ctx: BenchContext, seconds: number): number {
  const rps = ctx.ceilings.b?.rps;
  const rate = rps !== undefined && Number.isFinite(rps) ? rps : 30000;
  return Math.ceil(rate * seconds * 1.5) + 5000;
}

/** Tops a pre-filled queue type up to fullSize jobs, then loads its dequeue route for one run. */
export async function topUpAndLoadDequeue(
  ctx: BenchContext,
  server: ServerHandle,
  run: number,
  spec: FillSpec,
  fullSize: number,
  beforeLoad?: () => Promise<void>,
): Promise<LoadResult> {
  const missing = fullSize - (await queuedJobs(ctx.redis.admin, spec.queueType));
  if (missing > 0) await enqueueJobs(ctx.redis, { ...spec, jobIdPrefix: `t${run}-` }, missing);
  await beforeLoad?.();
  return ctx.load.run({
    url: server.url,
    connections: CONNECTIONS,
    durationSec: ctx.plan.durationSec,
    warmupSec: run === 0 ? ctx.plan.warmupSec : 0,
    profile: { kind: 'static', path: `/dequeue/${spec.queueType}/` },
  });
}
