// 5. Rate accuracy: Q queues x J jobs at interval I, drained by 8 pollers in a tight loop (dequeue;
// on 200 finish; on 404 poll again at once), all queues ready from the start.
// Redis-clock method: the dequeue script scores the job in the type's active set at
// (its Redis TIME + job_expire_interval); a poller reads that score (ZSCORE) right after the 200,
// before its finish can remove it, so every dequeue time is exact on Redis's clock, the clock the
// rate limit uses (a missed read would be counted as "dequeues without Redis time").
// Violations are gaps < I between consecutive dequeues of one queue on that clock. For comparison a
// client-side count: gaps between receipt times < I - (longest request round trip seen).
// achieved/ideal = sum over queues of (J-1) x I / (last dequeue - first dequeue). Target >= 0.99.

import { performance } from 'node:perf_hooks';

import { httpClient, type HttpClient } from '../../test/helpers/http.js';
import type { ServerHandle } from '../../test/helpers/server.js';
import { withDeadline } from '../../test/helpers/wait.js';
import { fillQueues } from '../lib/fill.js';
import { activeKey, type ServerSettings } from '../lib/fixtures.js';
import { repeatRuns, withServer } from '../lib/kit.js';
import type { BenchContext, Sample, Scenario } from '../lib/types.js';

export const TYPE = 'rate';
const POLLERS = 8;

interface Dequeued {
  queueId: string;
  redisUs: number | undefined;
  clientMs: number;
}

interface PollOutcome {
  dequeued: Dequeued[];
  polls: number;
  notReady: number;
  maxRttMs: number;
}

/** `query` is added to the dequeue path (the long-poll variant passes `?wait=<ms>`). */
export async function poll(
  ctx: BenchContext,
  server: ServerHandle,
  settings: ServerSettings,
  total: number,
  deadlineMs: number,
  query = '',
): Promise<PollOutcome> {
  const redis = ctx.redis.connect();
  await redis.ping(); // connected before the pollers start
  const clients = Array.from({ length: POLLERS }, () => httpClient(server.url, { keepAliveSockets: 1 }));
  const outcome: PollOutcome = { dequeued: [], polls: 0, notReady: 0, maxRttMs: 0 };
  const key = activeKey(TYPE);
  const expireUs = settings.jobExpireIntervalMs * 1000;
  let stop = false;
  const loop = async (client: HttpClient): Promise<void> => {
    while (!stop && outcome.dequeued.length < total) {
      const sent = performance.now();
      const reply = await client.request('GET', `/dequeue/${TYPE}/${query}`);
      const received = performance.now();
      outcome.polls += 1;
      outcome.maxRttMs = Math.max(outcome.maxRttMs, received - sent);
      if (reply.status === 404) {
        outcome.notReady += 1;
        continue;
      }
      if (reply.status !== 200) throw new Error(`dequeue answered ${reply.status}: ${reply.text}`);
      const job = reply.body as { queue_id: string; job_id: string };
      // Read before the finish removes the member. Sent concurrently with it, Redis could run the two
      // in either order when both arrive in one event-loop turn, so this costs one round trip.
      const score = await redis.zscore(key, `${job.queue_id}:${job.job_id}`);
      outcome.dequeued.push({ queueId: job.queue_id, redisUs: score === null ? undefined : Number(score) - expireUs, clientMs: received });
      const finished = await client.request('POST', `/finish/${TYPE}/${job.queue_id}/${job.job_id}/`);
      if (finished.status !== 200) throw new Error(`finish answered ${finished.status}: ${finished.text}`);
    }
  };
  try {
    await withDeadline(Promise.all(clients.map(loop)), deadlineMs, 'rate accuracy pollers');
  } finally {
    stop = true;
    for (const client of clients) client.close();
    redis.disconnect();
  }
  return outcome;
}

export function analyse(outcome: PollOutcome, intervalMs: number, jobsPerQueue: number): Sample[] {
  const byQueue = new Map<string, Dequeued[]>();
  for (const d of outcome.dequeued) {
    const list = byQueue.get(d.queueId) ?? [];
    list.push(d);
    byQueue.set(d.queueId, list);
  }
  let violations = 0;
  let clientViolations = 0;
  let unmeasured = 0;
  let idealUs = 0;
  let actualUs = 0;
  let worst = Number.POSITIVE_INFINITY;
  const intervalUs = intervalMs * 1000;
  for (const list of byQueue.values()) {
    const times = list.map((d) => d.redisUs).filter((t): t is number => t !== undefined).sort((a, b) => a - b);
    unmeasured += list.length - times.length;
    for (let i = 1; i < times.length; i += 1) if ((times[i] ?? 0) - (times[i - 1] ?? 0) < intervalUs) violations += 1;
    const received = list.map((d) => d.clientMs).sort((a, b) => a - b);
    for (let i = 1; i < received.length; i += 1) {
      if ((received[i] ?? 0) - (received[i - 1] ?? 0) < intervalMs - outcome.maxRttMs) clientViolations += 1;
    }
    const first = times[0];
    const last = times[times.length - 1];
    if (first !== undefined && last !== undefined && times.length > 1) {
      const ideal = (times.length - 1) * intervalUs;
      idealUs += ideal;
      actualUs += last - first;
      worst = Math.min(worst, ideal / (last - first));
    }
  }
  const jobs = byQueue.size * jobsPerQueue;
  const gaps = Math.max(1, idealUs / intervalUs);
  return [
    { metric: 'achieved/ideal rate', unit: 'x', value: idealUs / actualUs, kind: 'other', target: { op: '>=', value: 0.99, label: '>= 0.99' } },
    { metric: 'worst queue achieved/ideal', unit: 'x', value: worst, kind: 'other' },
    { metric: 'mean delay past interval', unit: 'ms', value: (actualUs - idealUs) / gaps / 1000, kind: 'other' },
    { metric: 'violations (Redis clock)', unit: '', value: violations, kind: 'other', target: { op: '<=', value: 0, label: '0' } },
    { metric: 'violations (client: gap < I - max RTT)', unit: '', value: clientViolations, kind: 'other', target: { op: '<=', value: 0, label: '0' } },
    { metric: 'max poll round trip', unit: 'ms', value: outcome.maxRttMs, kind: 'other' },
    { metric: 'dequeues without Redis time', unit: '', value: unmeasured, kind: 'other' },
    { metric: 'polls answered 404', unit: '%', value: (100 * outcome.notReady) / Math.max(1, outcome.polls), kind: 'other' },
    { metric: 'jobs dequeued', unit: '%', value: (100 * outcome.dequeued.length) / Math.max(1, jobs), kind: 'other' },
  ];
}

export const rateAccuracyScenario: Scenario = {
  name: 'rate-accuracy',
  title: '5 rate accuracy',
  measure: (ctx) =>
    withServer(ctx, {}, (server, settings) =>
      repeatRuns(ctx, 'rate-accuracy', async () => {
        await ctx.redis.flushAll();
        const { rateQueues: queues, rateJobsPerQueue: jobsPerQueue, rateIntervalMs: intervalMs } = ctx.plan;
        await fillQueues(ctx.redis, { queueType: TYPE, queues, jobsPerQueue, intervalMs });
        const deadlineMs = jobsPerQueue * intervalMs * 3 + 20000;
        const outcome = await poll(ctx, server, settings, queues * jobsPerQueue, deadlineMs);
        return analyse(outcome, intervalMs, jobsPerQueue);
      }),
    ),
};
