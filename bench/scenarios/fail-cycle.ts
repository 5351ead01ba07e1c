// 12. A job that fails once and then succeeds (SPEC 5.13): 50 clients loop enqueue -> dequeue ->
// fail (retry at once, at the front) -> dequeue -> finish over 1000 queues, in turn with the plain
// cycle (enqueue -> dequeue -> finish) in the same runs, so both Redis CPU figures share a sitting.
// Redis cost is CPU: the Redis process's INFO cpu (user + sys) over the load, divided by the cycles.

import { redisCpuSeconds } from '../lib/commandstats.js';
import { CONNECTIONS, type Profile } from '../lib/load.js';
import { repeatRuns, withServer } from '../lib/kit.js';
import type { BenchContext, Sample, Scenario } from '../lib/types.js';

const QUEUES = 1000;

async function cpuPerCycle(ctx: BenchContext, url: string, profile: Profile): Promise<{ cyclesPerSec: number; cpuUs: number; failedShare: number }> {
  const before = await redisCpuSeconds(ctx.redis.admin);
  const result = await ctx.load.run({ url, connections: CONNECTIONS, durationSec: ctx.plan.durationSec, warmupSec: 0, profile });
  const after = await redisCpuSeconds(ctx.redis.admin);
  const good = (result.statuses['200'] ?? 0) + (result.statuses['201'] ?? 0);
  return {
    cyclesPerSec: result.cycles / result.elapsedSec,
    cpuUs: ((after - before) * 1e6) / Math.max(1, result.cycles),
    failedShare: (100 * (result.requests - good + result.errors)) / Math.max(1, result.requests),
  };
}

export const failCycleScenario: Scenario = {
  name: 'fail-cycle',
  title: 'fail-and-retry cycle',
  measure: (ctx: BenchContext) =>
    withServer(ctx, {}, (server) =>
      repeatRuns(ctx, 'fail-cycle', async (run): Promise<Sample[]> => {
        await ctx.redis.flushAll();
        const plain: Profile = { kind: 'cycle', queueType: 'plain', queues: QUEUES, idPrefix: `p${run}` };
        const failing: Profile = { kind: 'fail-cycle', queueType: 'failing', queues: QUEUES, idPrefix: `f${run}` };
        if (run === 0) {
          for (const profile of [plain, failing]) {
            await ctx.load.run({ url: server.url, connections: CONNECTIONS, durationSec: ctx.plan.warmupSec, warmupSec: 0, profile: { ...profile, idPrefix: `warm-${profile.kind}` } });
          }
        }
        // Alternate which goes first, so neither always meets a warmer (or busier) machine.
        const order = run % 2 === 0 ? [plain, failing] : [failing, plain];
        const figures = new Map<string, Awaited<ReturnType<typeof cpuPerCycle>>>();
        for (const profile of order) figures.set(profile.kind, await cpuPerCycle(ctx, server.url, profile));
        const finish = figures.get('cycle');
        const fail = figures.get('fail-cycle');
        if (finish === undefined || fail === undefined) throw new Error('fail-cycle: a run is missing');
        return [
          { metric: 'finish cycle (3 requests) cycles/s', unit: '', value: finish.cyclesPerSec, kind: 'other' },
          { metric: 'finish cycle: Redis CPU per cycle', unit: 'us', value: finish.cpuUs, kind: 'other' },
          { metric: 'fail-and-retry cycle (5 requests) cycles/s', unit: '', value: fail.cyclesPerSec, kind: 'other' },
          { metric: 'fail-and-retry cycle: Redis CPU per cycle', unit: 'us', value: fail.cpuUs, kind: 'other' },
          { metric: 'fail-and-retry / finish, Redis CPU', unit: 'x', value: fail.cpuUs / finish.cpuUs, kind: 'other' },
          { metric: 'failed requests (both)', unit: '%', value: Math.max(finish.failedShare, fail.failedShare), kind: 'other' },
        ];
      }),
    ),
};
