// 13. Flow control (SPEC 5.14), three parts per run:
// (a) Accuracy with every limit at once: QUEUES queues x JOBS jobs at a per-queue interval, each queue
//     at max_active 2, under a type-wide bucket (RATE/s, burst BURST) that binds before the intervals
//     do; POLLERS long-polling pollers each hold a job HOLD_MS before finishing it. Every dequeue time
//     is read on Redis's clock (the active set's score, as in scenario 5) and every finish is stamped
//     with Redis TIME read just before it is sent (so a job counts as active at least that long).
//     Violations: a queue's gap under its interval; a dequeue while max_active jobs of its queue were
//     active; any window of t seconds with more than burst + rate x t dequeues of the type.
//     achieved/ideal = (n - burst) / rate over the time the n dequeues took. Target >= 0.98.
// (b) Wake-up latency of what lifts a limit: from the reply of a resume (a paused queue) or of the
//     finish that frees the type's only slot, to the reply of the request waiting for that job.
// (c) Redis CPU per dequeue (INFO cpu, the single-job script through the engine) on a type without any
//     limit and on one with every limit set high enough that none refuses: what the checks cost. This
//     VM's CPU accounting swings by a quarter between identical rounds of a few seconds, so the two
//     types are drained in CPU_CHUNKS interleaved chunks (which goes first alternating) and each side's
//     CPU is summed over its chunks: a slow stretch of the machine falls on both sides alike. 30 chunks
//     of 1,000 dequeues a side: with 20 of 500 the runs of one sitting spread from 0.97x to 1.16x.

import { performance } from 'node:perf_hooks';

import type { QueueEngine } from '../../src/engine/engine.js';
import { redisNowUs } from '../../test/helpers/engine.js';
import { httpClient, type HttpClient } from '../../test/helpers/http.js';
import type { ServerHandle } from '../../test/helpers/server.js';
import { withDeadline } from '../../test/helpers/wait.js';
import { withRedisCpu } from '../lib/commandstats.js';
import { activeKey, engineUnderTest, type ServerSettings } from '../lib/fixtures.js';
import { repeatRuns, withServer } from '../lib/kit.js';
import { percentile } from '../lib/stats.js';
import type { BenchContext, Sample, Scenario } from '../lib/types.js';

const TYPE = 'flow';
/** Part (c): interleaved chunks per side per run. */
const CPU_CHUNKS = 30;
/** Part (c): connections (and engines) dequeuing at once, one call in flight each. */
const CPU_CONNECTIONS = 8;
const QUEUES = 40;
const JOBS = 25;
const INTERVAL_MS = 100;
const MAX_ACTIVE = 2;
const RATE = 250;
const BURST = 10;
const POLLERS = 24;
const HOLD_MS = 15;

interface Lease {
  queueId: string;
  startUs: number;
  endUs: number;
}

async function fill(api: HttpClient, queueType: string, queues: number, jobsPerQueue: number, extra: Record<string, unknown>): Promise<void> {
  const jobs = [];
  for (let j = 0; j < jobsPerQueue; j += 1) {
    for (let q = 0; q < queues; q += 1) jobs.push({ queue_id: `q${q}`, job_id: `j${j}`, payload: j, ...extra });
  }
  for (let at = 0; at < jobs.length; at += 500) {
    const reply = await api.post(`/enqueue/${queueType}/`, { jobs: jobs.slice(at, at + 500) });
    if (reply.status !== 200) throw new Error(`batch enqueue answered ${reply.status}: ${reply.text}`);
  }
}

/** Part (a): the leases of every job, drained by long-polling pollers. */
async function drainWithLimits(ctx: BenchContext, server: ServerHandle, settings: ServerSettings): Promise<Lease[]> {
  const admin = httpClient(server.url, { keepAliveSockets: 1 });
  const redis = ctx.redis.connect();
  try {
    const set = await admin.post(`/limits/${TYPE}/`, { rate_per_s: RATE, burst: BURST, max_active: POLLERS });
    if (set.status !== 200) throw new Error(`limits answered ${set.status}: ${set.text}`);
    // Paused while filling, so every queue is ready at once when the clock starts.
    await admin.post(`/pause/${TYPE}/`);
    await fill(admin, TYPE, QUEUES, JOBS, { interval: INTERVAL_MS, max_active: MAX_ACTIVE });
    const total = QUEUES * JOBS;
    const leases: Lease[] = [];
    const expireUs = settings.jobExpireIntervalMs * 1000;
    const key = activeKey(TYPE);
    const clients = Array.from({ length: POLLERS }, () => httpClient(server.url, { keepAliveSockets: 1 }));
    const loop = async (client: HttpClient): Promise<void> => {
      while (leases.length < total) {
        const reply = await client.request('GET', `/dequeue/${TYPE}/?wait=2000`, undefined, { timeoutMs: 10_000 });
        if (reply.status === 404) continue;
        if (reply.status !== 200) throw new Error(`dequeue answered ${reply.status}: ${reply.text}`);
        const job = reply.body as { queue_id: string; job_id: string };
        const score = await redis.zscore(key, `${job.queue_id}:${job.job_id}`);
        if (score === null) throw new Error('a dequeued job was not active (its lease ran out?)');
        await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
        const endUs = await redisNowUs(redis);
        const finished = await client.post(`/finish/${TYPE}/${job.queue_id}/${job.job_id}/`);
        if (finished.status !== 200) throw new Error(`finish answered ${finished.status}: ${finished.text}`);
        leases.push({ queueId: job.queue_id, startUs: Number(score) - expireUs, endUs });
      }
    };
    await admin.post(`/resume/${TYPE}/`);
    try {
      await withDeadline(Promise.all(clients.map(loop)), (total / RATE) * 1000 * 4 + 30_000, 'flow-control pollers');
    } finally {
      for (const client of clients) client.close();
    }
    return leases;
  } finally {
    admin.close();
    redis.disconnect();
  }
}

function analyseLeases(leases: Lease[]): Sample[] {
  const byQueue = new Map<string, Lease[]>();
  for (const lease of leases) byQueue.set(lease.queueId, [...(byQueue.get(lease.queueId) ?? []), lease]);
  let intervalViolations = 0;
  let activeViolations = 0;
  for (const list of byQueue.values()) {
    list.sort((a, b) => a.startUs - b.startUs);
    for (let i = 0; i < list.length; i += 1) {
      const lease = list[i] as Lease;
      const previous = list[i - 1];
      if (previous && lease.startUs - previous.startUs < INTERVAL_MS * 1000) intervalViolations += 1;
      const overlapping = list.filter((other) => other !== lease && other.startUs <= lease.startUs && other.endUs > lease.startUs).length;
      if (overlapping >= MAX_ACTIVE) activeViolations += 1;
    }
  }
  // Any window [t_i, t_j] holds j - i + 1 dequeues: at most burst + rate x (t_j - t_i).
  const times = leases.map((l) => l.startUs).sort((a, b) => a - b);
  let lowest = Number.POSITIVE_INFINITY;
  let worstExcess = Number.NEGATIVE_INFINITY;
  times.forEach((t, j) => {
    const f = j - (RATE * t) / 1e6;
    lowest = Math.min(lowest, f);
    worstExcess = Math.max(worstExcess, f - lowest + 1 - BURST);
  });
  const first = times[0] ?? 0;
  const last = times[times.length - 1] ?? 0;
  const idealUs = ((times.length - BURST) / RATE) * 1e6;
  return [
    { metric: 'all limits: type rate achieved/ideal', unit: 'x', value: idealUs / Math.max(1, last - first), kind: 'other', target: { op: '>=', value: 0.98, label: '>= 0.98' } },
    { metric: 'all limits: interval violations (Redis clock)', unit: '', value: intervalViolations, kind: 'other', target: { op: '<=', value: 0, label: '0' } },
    { metric: 'all limits: max_active violations', unit: '', value: activeViolations, kind: 'other', target: { op: '<=', value: 0, label: '0' } },
    { metric: 'all limits: bucket violations (windows over burst + rate x t)', unit: '', value: Math.max(0, Math.ceil(worstExcess)), kind: 'other', target: { op: '<=', value: 0, label: '0' } },
    { metric: 'all limits: jobs', unit: '', value: leases.length, kind: 'other' },
  ];
}

/** Part (b): ms from the reply that lifts the limit to the waiter's reply, per trial. */
async function wakeLatencies(server: ServerHandle, kind: 'resume' | 'slot', trials: number): Promise<number[]> {
  const api = httpClient(server.url, { keepAliveSockets: 1 });
  const waiter = httpClient(server.url, { keepAliveSockets: 1 });
  const type = `flow_${kind}`;
  const latencies: number[] = [];
  try {
    if (kind === 'slot') await api.post(`/limits/${type}/`, { max_active: 1 });
    for (let i = 0; i < trials; i += 1) {
      let holder: { queue_id: string; job_id: string } | undefined;
      if (kind === 'resume') {
        await api.post(`/pause/${type}/q/`);
        await api.post(`/enqueue/${type}/q/`, { job_id: `r${i}`, interval: 0, payload: i });
      } else {
        await api.post(`/enqueue/${type}/hold/`, { job_id: `h${i}`, interval: 0, payload: i });
        holder = (await api.get(`/dequeue/${type}/`)).body as { queue_id: string; job_id: string };
        await api.post(`/enqueue/${type}/q/`, { job_id: `s${i}`, interval: 0, payload: i });
      }
      const waiting = waiter.request('GET', `/dequeue/${type}/?wait=10000`, undefined, { timeoutMs: 20_000 });
      const answered = waiting.then(() => performance.now());
      // The waiter's request reaches the server and finds nothing before the limit lifts.
      await new Promise((resolve) => setTimeout(resolve, 30));
      const lift = kind === 'resume' ? api.post(`/resume/${type}/q/`) : api.post(`/finish/${type}/hold/${holder?.job_id ?? ''}/`);
      const lifted = await lift.then(() => performance.now());
      const reply = await waiting;
      if (reply.status !== 200) throw new Error(`${kind}: the waiter got ${reply.status}`);
      latencies.push(Math.max(0, (await answered) - lifted));
      const job = reply.body as { queue_id: string; job_id: string };
      await api.post(`/finish/${type}/${job.queue_id}/${job.job_id}/`);
    }
  } finally {
    api.close();
    waiter.close();
  }
  return latencies.sort((a, b) => a - b);
}

/**
 * Part (c): Redis CPU (s) of `count` single-job dequeues of a type, one call in flight on each engine
 * (each on a connection of its own, as from that many workers): every call costs Redis one read and
 * one write, whichever type it dequeues. Calls in flight on one connection reach Redis in reads of
 * varying size, so the syscalls per call would vary with how fast each type's script runs.
 */
async function cpuOfDequeues(ctx: BenchContext, engines: QueueEngine[], queueType: string, count: number): Promise<number> {
  let sent = 0;
  const loop = async (engine: QueueEngine): Promise<void> => {
    // Counted when sent: the loops together make exactly `count` calls.
    while (sent < count) {
      sent += 1;
      const out = await engine.dequeue(queueType);
      if (out.kind !== 'job') throw new Error(`${queueType}: a dequeue found no job (${JSON.stringify(out)})`);
    }
  };
  const { cpuSec } = await withRedisCpu(ctx.redis.admin, () => Promise.all(engines.map(loop)));
  return cpuSec;
}

/**
 * Part (c): Redis CPU (us) per dequeue of a type without limits and of one with every limit, `jobs`
 * each, drained in `chunks` interleaved chunks whose order alternates.
 */
async function cpuPerDequeuePair(ctx: BenchContext, engines: QueueEngine[], run: number, jobs: number, chunks: number): Promise<{ plain: number; limited: number }> {
  const [engine] = engines;
  if (!engine) throw new Error('no engine to dequeue with');
  const types = new Map<boolean, string>();
  for (const limited of [false, true]) {
    const type = `cpu_${limited ? 'limited' : 'plain'}_${run}`;
    await fillForCpu(engine, type, jobs, limited);
    types.set(limited, type);
  }
  const seconds = new Map<boolean, number>([[false, 0], [true, 0]]);
  const perChunk = Math.floor(jobs / chunks);
  for (let chunk = 0; chunk < chunks; chunk += 1) {
    for (const limited of (run + chunk) % 2 === 0 ? [false, true] : [true, false]) {
      const cpu = await cpuOfDequeues(ctx, engines, types.get(limited) ?? '', perChunk);
      seconds.set(limited, (seconds.get(limited) ?? 0) + cpu);
    }
  }
  const perDequeueUs = (limited: boolean): number => ((seconds.get(limited) ?? 0) * 1e6) / (perChunk * chunks);
  return { plain: perDequeueUs(false), limited: perDequeueUs(true) };
}

async function fillForCpu(engine: QueueEngine, queueType: string, jobs: number, limited: boolean): Promise<void> {
  if (limited) {
    await engine.flow.setTypeLimits(queueType, { maxActive: 1_000_000, ratePerS: 1_000_000, burst: 1_000_000_000 });
  }
  const batch = [];
  for (let i = 0; i < jobs; i += 1) {
    batch.push({ queueId: `q${i % 1000}`, jobId: `j${i}`, intervalMs: 0, payload: i, ...(limited && { maxActive: 1_000_000 }) });
  }
  for (let at = 0; at < batch.length; at += 1000) await engine.batch.enqueue(queueType, batch.slice(at, at + 1000));
}

export const flowControlScenario: Scenario = {
  name: 'flow-control',
  title: '13 flow control',
  measure: (ctx) =>
    withServer(ctx, {}, (server, settings) =>
      repeatRuns(ctx, 'flow-control', async (run): Promise<Sample[]> => {
        await ctx.redis.flushAll();
        const samples = analyseLeases(await drainWithLimits(ctx, server, settings));
        const trials = ctx.plan.quick ? 20 : 60;
        for (const kind of ['resume', 'slot'] as const) {
          const latencies = await wakeLatencies(server, kind, trials);
          const what = kind === 'resume' ? 'resume -> waiter reply' : 'freed slot (finish) -> waiter reply';
          samples.push(
            { metric: `${what} p50`, unit: 'ms', value: percentile(latencies, 50), kind: 'other' },
            { metric: `${what} p99`, unit: 'ms', value: percentile(latencies, 99), kind: 'other', target: { op: '<=', value: 50, label: '< 50' } },
          );
        }
        const connections = Array.from({ length: CPU_CONNECTIONS }, () => ctx.redis.connect());
        try {
          const engines = await Promise.all(connections.map((redis) => engineUnderTest(redis, ctx.redis.port, ctx.servers.cliUnderTest)));
          // Each engine's first call loads the dequeue script into Redis if it is not there: not in a chunk's CPU.
          await Promise.all(engines.map((engine) => engine.dequeue('cpu_warm_up')));
          const jobs = ctx.plan.quick ? 5000 : 30000;
          const cpu = await cpuPerDequeuePair(ctx, engines, run, jobs, ctx.plan.quick ? 10 : CPU_CHUNKS);
          samples.push(
            { metric: 'Redis CPU per dequeue, no limits', unit: 'us', value: cpu.plain, kind: 'other' },
            { metric: 'Redis CPU per dequeue, every limit set', unit: 'us', value: cpu.limited, kind: 'other' },
            {
              metric: 'every limit / no limits, Redis CPU per dequeue (interleaved)',
              unit: 'x',
              value: cpu.limited / cpu.plain,
              kind: 'other',
              target: { op: '<=', value: 1.15, label: '<= 1.15' },
            },
          );
        } finally {
          for (const redis of connections) redis.disconnect();
        }
        return samples;
      }),
    ),
};
