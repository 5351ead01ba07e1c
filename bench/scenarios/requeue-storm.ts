// 4. Requeue storm: N jobs (over 100 queues, and over N queues) are dequeued through the engine, then
// their expiry scores are all set to one moment T. Measured from T on Redis's clock: until the active
// set is empty (every job back in its queue), the longest script call (SLOWLOG with threshold 0), and
// the longest PING round trip of a client pinging every 1 ms meanwhile. Two ways of requeueing:
//   leader  the server's leader pass (job_requeue_interval LEADER_INTERVAL_MS = 100 ms), as in production;
//   direct  engine.requeue() called by the bench at T (server stopped): the pass alone.
// Targets: no call over 5 ms; all back within 2 s of expiry.

import { setTimeout as sleep } from 'node:timers/promises';

import type { Redis } from 'ioredis';

import type { QueueEngine } from '../../src/engine/engine.js';
import { redisNowUs } from '../../test/helpers/engine.js';
import { withDeadline } from '../../test/helpers/wait.js';
import { dequeueMany, fillQueues } from '../lib/fill.js';
import { activeKey, engineUnderTest } from '../lib/fixtures.js';
import { logRun, withServer } from '../lib/kit.js';
import { sizeLabel } from '../lib/report.js';
import { LEADER_INTERVAL_MS } from '../lib/server-pool.js';
import { startPinger, startSlowlog, stopSlowlog, type PingerResult } from '../lib/stalls.js';
import type { BenchContext, Sample, Scenario } from '../lib/types.js';

const TYPE = 'storm';
const REWRITE_CHUNK = 2000;
const BACK_DEADLINE_MS = 60000;

type Mode = 'leader' | 'direct';

/** Sets every active job's expiry to `expiryUs`, in chunks (the scripts only read the score). */
async function expireAllAt(redis: Redis, key: string, expiryUs: number): Promise<number> {
  const members = await redis.zrange(key, '0', '-1');
  for (let i = 0; i < members.length; i += REWRITE_CHUNK) {
    const args: Array<string | number> = [];
    for (const member of members.slice(i, i + REWRITE_CHUNK)) args.push(expiryUs, member);
    await redis.call('ZADD', [key, 'XX', ...args]);
  }
  return members.length;
}

async function waitUntilRedisTime(redis: Redis, targetUs: number): Promise<void> {
  const ahead = (targetUs - (await redisNowUs(redis))) / 1000;
  if (ahead > 3) await sleep(ahead - 2);
  while ((await redisNowUs(redis)) < targetUs) await sleep(0);
}

/** Polls TIME + ZCARD atomically until the active set is empty; returns Redis µs at that moment. */
async function waitActiveEmpty(redis: Redis, key: string): Promise<number> {
  let done = false; // stops the polling once answered or timed out
  const poll = async (): Promise<number> => {
    while (!done) {
      const replies = await redis.multi().time().zcard(key).exec();
      const time = replies?.[0]?.[1];
      const count = replies?.[1]?.[1];
      if (!Array.isArray(time) || typeof count !== 'number') throw new Error('unexpected MULTI reply');
      if (count === 0) return Number(time[0]) * 1e6 + Number(time[1]);
      await sleep(2);
    }
    return Number.NaN;
  };
  try {
    return await withDeadline(poll(), BACK_DEADLINE_MS, 'requeue storm: active set to drain');
  } finally {
    done = true;
  }
}

/** From the expiry moment: the requeue (leader: nothing to do, direct: one pass) until all are back. */
async function requeueFrom(mode: Mode, engine: QueueEngine, redis: Redis, expiryUs: number): Promise<{ backUs: number; passMs: number }> {
  await waitUntilRedisTime(redis, expiryUs);
  let passMs = Number.NaN;
  if (mode === 'direct') {
    const started = process.hrtime.bigint();
    await withDeadline(engine.requeue(), BACK_DEADLINE_MS, 'direct requeue pass');
    passMs = Number(process.hrtime.bigint() - started) / 1e6;
  }
  return { backUs: await waitActiveEmpty(redis, activeKey(TYPE)), passMs };
}

/** One storm on a filled layout: every queued job is dequeued, expired at one moment, requeued. */
async function stormOnce(ctx: BenchContext, mode: Mode, queues: number): Promise<Sample[]> {
  const jobs = ctx.plan.stormJobs;
  const key = activeKey(TYPE);
  await dequeueMany(ctx.redis, TYPE, jobs);
  const redis = ctx.redis.connect({ enableAutoPipelining: true });
  const engine = await engineUnderTest(redis, ctx.redis.port, ctx.servers.cliUnderTest);
  try {
    // Far enough ahead for the rewrite below (about 5 us a job on a quiet machine, several times
    // that on a loaded one) and for the pinger to start.
    const expiryUs = (await redisNowUs(redis)) + (ctx.plan.quick ? 300000 : 1000000) + jobs * 30;
    const rewritten = await expireAllAt(redis, key, expiryUs);
    if (rewritten !== jobs) throw new Error(`requeue storm: ${rewritten} active jobs, expected ${jobs}`);
    if ((await redisNowUs(redis)) >= expiryUs - 100000) throw new Error('requeue storm: rewriting expiries took too long');
    await startSlowlog(ctx.redis.admin);
    const pinger = await startPinger(ctx.redis.port);
    let measured: { backUs: number; passMs: number };
    let ping: PingerResult;
    try {
      measured = await requeueFrom(mode, engine, redis, expiryUs);
    } finally {
      ping = await pinger.stop();
    }
    const { backUs, passMs } = measured;
    const slow = await stopSlowlog(ctx.redis.admin);
    const layout = `${sizeLabel(jobs)} jobs/${sizeLabel(queues)} queues`;
    const samples: Sample[] = [
      { metric: `${mode} ${layout}: all back after`, unit: 'ms', value: (backUs - expiryUs) / 1000, kind: 'other', target: { op: '<=', value: 2000, label: '<= 2000' } },
      { metric: `${mode} ${layout}: longest script`, unit: 'ms', value: slow.maxScriptMs, kind: 'other', target: { op: '<=', value: 5, label: '<= 5' } },
      { metric: `${mode} ${layout}: longest PING`, unit: 'ms', value: ping.maxMs, kind: 'other', target: { op: '<=', value: 5, label: '<= 5' } },
    ];
    if (mode === 'direct') samples.push({ metric: `${mode} ${layout}: pass duration`, unit: 'ms', value: passMs, kind: 'other' });
    // Where the time goes: script calls (jobs and µs each) against the time until all were back.
    const callUs = (slow.totalScriptMs * 1000) / Math.max(1, slow.scriptCalls);
    ctx.log(
      `  ${mode} ${layout}: ${slow.scriptCalls} script calls (${(jobs / Math.max(1, slow.scriptCalls)).toFixed(0)} jobs, ${callUs.toFixed(0)} us each), ` +
        `script time ${slow.totalScriptMs.toFixed(0)} ms of ${((backUs - expiryUs) / 1000).toFixed(0)} ms, longest command ${slow.maxAnyCommand} ` +
        `${slow.maxAnyMs.toFixed(2)} ms, ${ping.pings} pings (p99 ${ping.p99Ms.toFixed(2)} ms)`,
    );
    return samples;
  } finally {
    redis.disconnect();
  }
}

/** Per layout: fill once (every storm puts all jobs back), then plan.runs storms. */
async function allLayouts(ctx: BenchContext, mode: Mode): Promise<Sample[][]> {
  const runs: Sample[][] = Array.from({ length: ctx.plan.runs }, () => []);
  for (const queues of ctx.plan.stormQueueCounts) {
    await ctx.redis.flushAll();
    await fillQueues(ctx.redis, { queueType: TYPE, queues, jobsPerQueue: Math.ceil(ctx.plan.stormJobs / queues), intervalMs: 0 });
    for (let run = 0; run < ctx.plan.runs; run += 1) {
      const samples = await stormOnce(ctx, mode, queues);
      logRun(ctx, `requeue-storm ${mode}`, run, samples);
      runs[run]?.push(...samples);
    }
  }
  return runs;
}

export const requeueStormScenario: Scenario = {
  name: 'requeue-storm',
  title: '4 requeue storm',
  measure: async (ctx) => {
    const leader = await withServer(ctx, { jobRequeueIntervalMs: LEADER_INTERVAL_MS }, () => allLayouts(ctx, 'leader'));
    if (ctx.plan.quick) return leader; // --quick: the production path only
    await ctx.servers.stop(); // the bench's pass alone: no leader competing
    const direct = await allLayouts(ctx, 'direct');
    return leader.map((run, i) => [...run, ...(direct[i] ?? [])]);
  },
};
