// 3. Dequeue throughput and latency with 1k .. 1M ready queues in one type (interval 0). Each size
// is filled once (the fill time is reported) with enough jobs per queue that a run cannot drain the
// set noticeably, and topped up to the same size before each further run. Target: p50 at the
// largest size within 1.3x of p50 at the smallest (dequeue is O(log n) in ready queues).

import type { ServerHandle } from '../../test/helpers/server.js';
import { fillQueues, type FillSpec } from '../lib/fill.js';
import { jobsForRun, loadSamples, logRun, topUpAndLoadDequeue, withServer } from '../lib/kit.js';
import { sizeLabel } from '../lib/report.js';
import type { BenchContext, Sample, Scenario } from '../lib/types.js';

const TYPE = 'many';

/** Every run of one size: samples per run, and the p50 of each run. */
async function measureSize(ctx: BenchContext, server: ServerHandle, queues: number): Promise<{ runs: Sample[][]; p50s: number[] }> {
  await ctx.redis.flushAll();
  const label = `${sizeLabel(queues)} queues`;
  const expected = jobsForRun(ctx, ctx.plan.durationSec + ctx.plan.warmupSec);
  const spec: FillSpec = { queueType: TYPE, queues, jobsPerQueue: Math.max(1, Math.ceil(expected / queues)), intervalMs: 0 };
  const fullSize = queues * spec.jobsPerQueue;
  const fillMs = await fillQueues(ctx.redis, spec);
  ctx.log(`  ${label}: filled ${fullSize} jobs in ${(fillMs / 1000).toFixed(1)} s (${Math.round(fullSize / (fillMs / 1000))} jobs/s)`);
  const runs: Sample[][] = [];
  const p50s: number[] = [];
  for (let run = 0; run < ctx.plan.runs; run += 1) {
    const result = await topUpAndLoadDequeue(ctx, server, run, spec, fullSize);
    const samples = loadSamples(`${label} dequeue`, result, 200);
    if (run === 0) samples.push({ metric: `${label} fill (${fullSize} jobs, once)`, unit: 's', value: fillMs / 1000, kind: 'other' });
    logRun(ctx, label, run, samples);
    runs.push(samples);
    p50s.push(result.p50Ms);
  }
  return { runs, p50s };
}

export const manyQueuesScenario: Scenario = {
  name: 'many-queues',
  title: '3 many queues',
  measure: (ctx) =>
    withServer(ctx, {}, async (server) => {
      const sizes = ctx.plan.manyQueuesSizes;
      const runs: Sample[][] = Array.from({ length: ctx.plan.runs }, () => []);
      const p50sBySize: number[][] = [];
      for (const queues of sizes) {
        const measured = await measureSize(ctx, server, queues);
        measured.runs.forEach((samples, run) => runs[run]?.push(...samples));
        p50sBySize.push(measured.p50s);
      }
      const smallest = p50sBySize[0];
      const largest = p50sBySize[p50sBySize.length - 1];
      if (sizes.length > 1 && smallest !== undefined && largest !== undefined) {
        const metric = `p50 ${sizeLabel(sizes[sizes.length - 1] ?? 0)} / p50 ${sizeLabel(sizes[0] ?? 0)}`;
        runs.forEach((samples, run) => {
          const ratio = (largest[run] ?? Number.NaN) / (smallest[run] ?? Number.NaN);
          samples.push({ metric, unit: 'x', value: ratio, kind: 'other', target: { op: '<=', value: 1.3, label: '<= 1.3' } });
        });
      }
      return runs;
    }),
};
