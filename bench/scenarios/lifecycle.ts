// 7. The job lifecycle: dequeue of a type with 100k delayed jobs pending (none due) against a type
// with none, same run, same queued jobs; and the cost of a job status lookup (a queued job, a delayed
// job among the 100k). Over HTTP (50 clients) and, to see the script alone, as sequential engine
// calls timed one by one from the bench (one round trip each, no HTTP).

import { scriptTime } from '../lib/commandstats.js';
import { fillQueues, type FillSpec } from '../lib/fill.js';
import { benchEngine, HELLO_PAYLOAD } from '../lib/fixtures.js';
import { loadSamples, logRun, topUpAndLoadDequeue, withServer, jobsForRun } from '../lib/kit.js';
import { CONNECTIONS } from '../lib/load.js';
import { percentile } from '../lib/stats.js';
import type { BenchContext, Sample, Scenario } from '../lib/types.js';
import type { QueueEngine } from '../../src/engine/engine.js';
import type { Redis } from 'ioredis';

const QUEUES = 1000;
const DELAY_MS = 30 * 24 * 3600 * 1000;
/** Sequential calls timed per figure of the direct measurement. */
const DIRECT_CALLS = 2000;

/** Parks `count` delayed jobs (never due during the bench) over the type's queues, 2000 calls in flight. */
async function fillDelayed(engine: QueueEngine, queueType: string, count: number): Promise<void> {
  const inFlight = 2000;
  for (let from = 0; from < count; from += inFlight) {
    const calls = [];
    for (let i = from; i < Math.min(count, from + inFlight); i++) {
      calls.push(
        engine.enqueue({ queueType, queueId: `q${i % QUEUES}`, jobId: `d${i}`, intervalMs: 0, payload: HELLO_PAYLOAD, delayMs: DELAY_MS }),
      );
    }
    await Promise.all(calls);
  }
}

/**
 * p50/p99 (ms) of `calls` sequential calls of `fn`, each timed on its own (round trip included),
 * and the mean time inside Redis per script call (us, from INFO commandstats: unaffected by the
 * load on the client side; the server's own few background calls are included).
 */
async function timeSequential(redis: Redis, label: string, calls: number, fn: () => Promise<unknown>): Promise<Sample[]> {
  const ms: number[] = [];
  const before = await scriptTime(redis);
  for (let i = 0; i < calls; i++) {
    const started = process.hrtime.bigint();
    await fn();
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const after = await scriptTime(redis);
  ms.sort((a, b) => a - b);
  return [
    { metric: `${label} p50`, unit: 'ms', value: percentile(ms, 50), kind: 'other' },
    { metric: `${label} p99`, unit: 'ms', value: percentile(ms, 99), kind: 'other' },
    { metric: `${label} in Redis`, unit: 'us/call', value: (after.usec - before.usec) / Math.max(1, after.calls - before.calls), kind: 'other' },
  ];
}

export const lifecycleScenario: Scenario = {
  name: 'lifecycle',
  title: '7 lifecycle: dequeue with delayed jobs pending, job status',
  measure: (ctx: BenchContext) =>
    withServer(ctx, {}, async (server) => {
      const delayedCount = ctx.plan.quick ? 20_000 : 100_000;
      const jobsPerQueue = Math.ceil(jobsForRun(ctx, ctx.plan.durationSec + ctx.plan.warmupSec) / QUEUES);
      const plain: FillSpec = { queueType: 'lc_plain', queues: QUEUES, jobsPerQueue, intervalMs: 0 };
      const delayed: FillSpec = { ...plain, queueType: 'lc_delayed' };
      const fullSize = QUEUES * jobsPerQueue;
      const redis = ctx.redis.connect({ enableAutoPipelining: true });
      const engine = benchEngine(redis, ctx.redis.port);
      try {
        const fillStarted = Date.now();
        await Promise.all([fillQueues(ctx.redis, plain), fillQueues(ctx.redis, delayed)]);
        await fillDelayed(engine, delayed.queueType, delayedCount);
        ctx.log(`  lifecycle: filled ${fullSize} queued jobs x 2 types and ${delayedCount} delayed in ${Date.now() - fillStarted} ms`);
        // The jobs whose status is looked up: one queued at position 0 of its queue, one delayed.
        await engine.enqueue({ queueType: 'lc_status', queueId: 'q', jobId: 'queued', intervalMs: 0, payload: HELLO_PAYLOAD });
        const label = `${delayedCount / 1000}k delayed`;

        const runs: Sample[][] = [];
        for (let run = 0; run < ctx.plan.runs; run += 1) {
          const samples: Sample[] = [
            ...loadSamples('dequeue, 0 delayed', await topUpAndLoadDequeue(ctx, server, run, plain, fullSize), 200),
            ...loadSamples(`dequeue, ${label}`, await topUpAndLoadDequeue(ctx, server, run, delayed, fullSize), 200),
          ];
          for (const [what, path] of [
            ['status queued', '/job/lc_status/q/queued/'],
            [`status delayed (of ${label})`, `/job/${delayed.queueType}/q7/d7/`],
          ] as const) {
            const result = await ctx.load.run({
              url: server.url,
              connections: CONNECTIONS,
              durationSec: ctx.plan.durationSec,
              warmupSec: run === 0 ? ctx.plan.warmupSec : 0,
              profile: { kind: 'static', path },
            });
            samples.push(...loadSamples(what, result, 200));
          }
          // The scripts alone: one engine call at a time (the round trip included, no HTTP).
          samples.push(
            ...(await timeSequential(redis, 'direct dequeue, 0 delayed', DIRECT_CALLS, () => engine.dequeue(plain.queueType))),
            ...(await timeSequential(redis, `direct dequeue, ${label}`, DIRECT_CALLS, () => engine.dequeue(delayed.queueType))),
            ...(await timeSequential(redis, 'direct status (delayed job)', DIRECT_CALLS, () =>
              engine.lifecycle.jobStatus(delayed.queueType, 'q7', 'd7'),
            )),
            ...(await timeSequential(redis, 'direct status (queued job)', DIRECT_CALLS, () => engine.lifecycle.jobStatus('lc_status', 'q', 'queued'))),
          );
          logRun(ctx, 'lifecycle', run, samples);
          runs.push(samples);
        }
        return runs;
      } finally {
        redis.disconnect();
      }
    }),
};
