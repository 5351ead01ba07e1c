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
/** Above this share of failed requests a kind of cycle is taken as one the build cannot run. */
const MAX_FAILED_PERCENT = 1;

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

/**
 * Whether the server hands out the next job at a finish (SPEC 5.15): its reply then has a `next` field,
 * a job or null. A build without it (an older --baseline) answers the plain finish and ignores `?next=1`,
 * so its "finish-and-next" load would be a three-request cycle by another name.
 */
async function finishesWithNext(url: string): Promise<boolean> {
  const type = 'probe-next';
  const enqueued = await fetch(`${url}/enqueue/${type}/q/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ job_id: 'probe', interval: 0, payload: {} }),
  });
  if (enqueued.status !== 201) throw new Error(`fail-cycle: probe enqueue answered ${enqueued.status}`);
  const dequeued = await fetch(`${url}/dequeue/${type}/`);
  if (dequeued.status !== 200) throw new Error(`fail-cycle: probe dequeue answered ${dequeued.status}`);
  const finished = await fetch(`${url}/finish/${type}/q/probe/?next=1`, { method: 'POST' });
  const body = (await finished.json()) as Record<string, unknown>;
  return finished.status === 200 && 'next' in body;
}

/** A Redis CPU figure (µs) with its target. */
function cpuAtMost(metric: string, value: number, targetUs: number): Sample {
  return { metric, unit: 'us', value, kind: 'other', target: { op: '<=', value: targetUs, label: `<= ${targetUs}` } };
}

export const failCycleScenario: Scenario = {
  name: 'fail-cycle',
  title: '12 Redis CPU per job: finish, finish-and-next, fail-and-retry',
  measure: (ctx: BenchContext) =>
    withServer(ctx, {}, async (server) => {
      await ctx.redis.flushAll();
      const withNext = await finishesWithNext(server.url);
      if (!withNext) ctx.log('  fail-cycle: this build has no finish-and-next (its finish reply has no next); those figures are left out');
      return repeatRuns(ctx, 'fail-cycle', async (run): Promise<Sample[]> => {
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
        // A build without the fail route or finish-and-next (an older --baseline) answers their requests
        // 404: its cycles of that kind did no work, so their figures are left out, not reported.
        const works = (kind: string, figure: { failedShare: number }): boolean => {
          if (figure.failedShare <= MAX_FAILED_PERCENT) return true;
          ctx.log(`  fail-cycle: ${figure.failedShare.toFixed(1)}% of the ${kind} requests failed; its figures are left out`);
          return false;
        };
        const nextWorks = withNext && works('finish-and-next', next);
        const failWorks = works('fail-and-retry', fail);
        return [
          { metric: 'finish cycle (3 requests) cycles/s', unit: '', value: finish.cyclesPerSec, kind: 'other' },
          cpuAtMost('finish cycle: Redis CPU per cycle', finish.cpuUs, CPU_US_PER_CYCLE_TARGET),
          ...(nextWorks
            ? [
                { metric: 'finish-and-next (2 requests per job) jobs/s', unit: '', value: next.cyclesPerSec, kind: 'other' } satisfies Sample,
                cpuAtMost('finish-and-next: Redis CPU per job', next.cpuUs, NEXT_CPU_TARGET_US),
                { metric: 'finish-and-next / finish cycle, Redis CPU', unit: 'x', value: next.cpuUs / finish.cpuUs, kind: 'other' } satisfies Sample,
              ]
            : []),
          ...(failWorks
            ? [
                { metric: 'fail-and-retry cycle (5 requests) cycles/s', unit: '', value: fail.cyclesPerSec, kind: 'other' } satisfies Sample,
                { metric: 'fail-and-retry cycle: Redis CPU per cycle', unit: 'us', value: fail.cpuUs, kind: 'other' } satisfies Sample,
                { metric: 'fail-and-retry / finish, Redis CPU', unit: 'x', value: fail.cpuUs / finish.cpuUs, kind: 'other' } satisfies Sample,
              ]
            : []),
          {
            metric: 'failed requests (worst kind reported)',
            unit: '%',
            value: Math.max(finish.failedShare, nextWorks ? next.failedShare : 0, failWorks ? fail.failedShare : 0),
            kind: 'other',
          },
        ];
      });
    }),
};
