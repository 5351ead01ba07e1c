// 2. One operation at a time by 50 clients: enqueue only; dequeue only (pre-filled once, topped up
// between runs); finish only (each request finishes a real active job, prepared through the engine;
// the run lasts until every prepared job is finished).

import type { ServerHandle } from '../../test/helpers/server.js';
import { resetScriptTime, scriptTime } from '../lib/commandstats.js';
import { dequeueMany, fillQueues, type FillSpec } from '../lib/fill.js';
import { jobsForRun, loadSamples, logRun, topUpAndLoadDequeue, withServer } from '../lib/kit.js';
import { CONNECTIONS } from '../lib/load.js';
import type { BenchContext, Sample, Scenario } from '../lib/types.js';

const QUEUES = 1000;

/**
 * Runs one load and adds the Redis script time per call it cost (INFO commandstats over the run);
 * `load` calls the reset it is given once its own preparation (fills through the engine) is done.
 */
async function withScriptTime(ctx: BenchContext, op: string, load: (reset: () => Promise<void>) => Promise<Sample[]>): Promise<Sample[]> {
  const samples = await load(() => resetScriptTime(ctx.redis.admin));
  const { calls, usec } = await scriptTime(ctx.redis.admin);
  return [...samples, { metric: `${op} Redis script time per call`, unit: 'us', value: usec / Math.max(1, calls), kind: 'other' }];
}

async function enqueueOnly(ctx: BenchContext, server: ServerHandle, run: number): Promise<Sample[]> {
  const result = await ctx.load.run({
    url: server.url,
    connections: CONNECTIONS,
    durationSec: ctx.plan.durationSec,
    warmupSec: run === 0 ? ctx.plan.warmupSec : 0,
    profile: { kind: 'enqueue', queueType: 'enq', queues: QUEUES, idPrefix: `r${run}`, intervalMs: 0 },
  });
  return loadSamples('enqueue', result, 201);
}

async function dequeueOnly(
  ctx: BenchContext,
  server: ServerHandle,
  run: number,
  spec: FillSpec,
  fullSize: number,
  beforeLoad: () => Promise<void>,
): Promise<Sample[]> {
  const result = await topUpAndLoadDequeue(ctx, server, run, spec, fullSize, beforeLoad);
  return loadSamples('dequeue', result, 200);
}

/** Sized for about 2x durationSec at `observedRps` (the faster of enqueue and dequeue just measured). */
async function finishOnly(ctx: BenchContext, server: ServerHandle, run: number, observedRps: number, beforeLoad: () => Promise<void>): Promise<Sample[]> {
  const queueType = `fin${run}`;
  const jobs = Math.min(jobsForRun(ctx, ctx.plan.durationSec), Math.ceil(observedRps * ctx.plan.durationSec * 2) + 2000);
  await fillQueues(ctx.redis, { queueType, queues: QUEUES, jobsPerQueue: Math.ceil(jobs / QUEUES), intervalMs: 0 });
  const active = await dequeueMany(ctx.redis, queueType, jobs);
  await beforeLoad();
  // Exactly one request per prepared job: the run ends when they are all finished.
  const result = await ctx.load.run({
    url: server.url,
    connections: CONNECTIONS,
    durationSec: ctx.plan.durationSec,
    warmupSec: 0,
    amount: active.length,
    profile: { kind: 'finish', queueType, jobs: active },
  });
  return loadSamples('finish', result, 200);
}

export const singleOpsScenario: Scenario = {
  name: 'single-ops',
  title: '2 single operations',
  measure: (ctx) =>
    withServer(ctx, {}, async (server) => {
      const jobsPerQueue = Math.ceil(jobsForRun(ctx, ctx.plan.durationSec + ctx.plan.warmupSec) / QUEUES);
      const deq: FillSpec = { queueType: 'deq', queues: QUEUES, jobsPerQueue, intervalMs: 0 };
      const fullSize = deq.queues * deq.jobsPerQueue;
      await fillQueues(ctx.redis, deq);
      const runs: Sample[][] = [];
      for (let run = 0; run < ctx.plan.runs; run += 1) {
        const enq = await withScriptTime(ctx, 'enqueue', async (reset) => {
          await reset();
          return enqueueOnly(ctx, server, run);
        });
        const deqSamples = await withScriptTime(ctx, 'dequeue', (reset) => dequeueOnly(ctx, server, run, deq, fullSize, reset));
        const observedRps = Math.max(...[...enq, ...deqSamples].filter((s) => s.kind === 'throughput').map((s) => s.value));
        const samples = [...enq, ...deqSamples, ...(await withScriptTime(ctx, 'finish', (reset) => finishOnly(ctx, server, run, observedRps, reset)))];
        logRun(ctx, 'single-ops', run, samples);
        runs.push(samples);
      }
      return runs;
    }),
};
