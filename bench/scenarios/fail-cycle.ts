// 12. Redis CPU per job, three ways a job goes, in turn in the same runs so the figures share a sitting
// (50 clients over 1000 queues each):
// - the plain cycle: enqueue -> dequeue -> finish;
// - finish-and-next (SPEC 5.15): enqueue -> finish ?next=1 of the job held, which hands out the next;
// - a job that fails once and then succeeds (SPEC 5.13): enqueue -> dequeue -> fail (retry at once, at
//   the front) -> dequeue -> finish.
// Redis cost is CPU: the Redis process's INFO cpu (user + sys) over the load, divided by the jobs.
// Targets (issue 24): <= 40 us per plain cycle, <= 30 us per job with finish-and-next.

import { withRedisCpu } from '../lib/commandstats.js';
import { CONNECTIONS, type Profile } from '../lib/load.js';
import { repeatRuns, withServer } from '../lib/kit.js';
import type { BenchContext, Sample, Scenario } from '../lib/types.js';
import { CPU_US_PER_CYCLE_TARGET } from './cycle.js';

const QUEUES = 1000;
const NEXT_CPU_TARGET_US = 30;

async function cpuPerCycle(ctx: BenchContext, url: string, profile: Profile): Promise<{ cyclesPerSec: number; cpuUs: number; failedShare: number }> {
  const { result, cpuSec } = await withRedisCpu(ctx.redis.admin, () =>
    ctx.load.run({ url, connections: CONNECTIONS, durationSec: ctx.plan.durationSec, warmupSec: 0, profile }),
  );
  const good = (result.statuses['200'] ?? 0) + (result.statuses['201'] ?? 0);
  return {
    cyclesPerSec: result.cycles / result.elapsedSec,
    cpuUs: (cpuSec * 1e6) / Math.max(1, result.cycles),
    failedShare: (100 * (result.requests - good + result.errors)) / Math.max(1, result.requests),
  };
}

/** A Redis CPU figure (µs) with its target. */
function cpuAtMost(metric: string, value: number, targetUs: number): Sample {
  return { metric, unit: 'us', value, kind: 'other', target: { op: '<=', value: targetUs, label: `<= ${targetUs}` } };
}

export const failCycleScenario: Scenario = {
  name: 'fail-cycle',
  title: '12 Redis CPU per job: finish, finish-and-next, fail-and-retry',
  measure: (ctx: BenchContext) =>
    withServer(ctx, {}, (server) =>
      repeatRuns(ctx, 'fail-cycle', async (run): Promise<Sample[]> => {
        await ctx.redis.flushAll();
        const plain: Profile = { kind: 'cycle', queueType: 'plain', queues: QUEUES, idPrefix: `p${run}` };
        const failing: Profile = { kind: 'fail-cycle', queueType: 'failing', queues: QUEUES, idPrefix: `f${run}` };
        const chained: Profile = { kind: 'next-cycle', queueType: 'chained', queues: QUEUES, idPrefix: `n${run}` };
        const profiles = [plain, chained, failing];
        if (run === 0) {
          for (const profile of profiles) {
            await ctx.load.run({ url: server.url, connections: CONNECTIONS, durationSec: ctx.plan.warmupSec, warmupSec: 0, profile: { ...profile, idPrefix: `warm-${profile.kind}` } });
          }
        }
        // Rotate which goes first, so none always meets a warmer (or busier) machine.
        const order = profiles.map((_, i) => profiles[(i + run) % profiles.length] as Profile);
        const figures = new Map<string, Awaited<ReturnType<typeof cpuPerCycle>>>();
        for (const profile of order) figures.set(profile.kind, await cpuPerCycle(ctx, server.url, profile));
        const finish = figures.get('cycle');
        const fail = figures.get('fail-cycle');
        const next = figures.get('next-cycle');
        if (finish === undefined || fail === undefined || next === undefined) throw new Error('fail-cycle: a run is missing');
        return [
          { metric: 'finish cycle (3 requests) cycles/s', unit: '', value: finish.cyclesPerSec, kind: 'other' },
          cpuAtMost('finish cycle: Redis CPU per cycle', finish.cpuUs, CPU_US_PER_CYCLE_TARGET),
          { metric: 'finish-and-next (2 requests per job) jobs/s', unit: '', value: next.cyclesPerSec, kind: 'other' },
          cpuAtMost('finish-and-next: Redis CPU per job', next.cpuUs, NEXT_CPU_TARGET_US),
          { metric: 'finish-and-next / finish cycle, Redis CPU', unit: 'x', value: next.cpuUs / finish.cpuUs, kind: 'other' },
          { metric: 'fail-and-retry cycle (5 requests) cycles/s', unit: '', value: fail.cyclesPerSec, kind: 'other' },
          { metric: 'fail-and-retry cycle: Redis CPU per cycle', unit: 'us', value: fail.cpuUs, kind: 'other' },
          { metric: 'fail-and-retry / finish, Redis CPU', unit: 'x', value: fail.cpuUs / finish.cpuUs, kind: 'other' },
          { metric: 'failed requests (worst of the three)', unit: '%', value: Math.max(finish.failedShare, next.failedShare, fail.failedShare), kind: 'other' },
        ];
      }),
    ),
};
