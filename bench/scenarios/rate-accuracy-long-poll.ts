// 7. Rate accuracy with long-polling workers: scenario 5 (same queues, jobs, interval, 8 pollers,
// Redis-clock method) with every dequeue sent as `?wait=<ms>`, so a poller waits for the next
// ready job instead of asking again. Wasted polls: 404s as a share of all dequeue requests.
// Targets: 0 violations, achieved/ideal >= 0.99, wasted polls < 5%.

import { fillQueues } from '../lib/fill.js';
import { repeatRuns, withServer } from '../lib/kit.js';
import type { Sample, Scenario } from '../lib/types.js';
import { analyse, poll, TYPE } from './rate-accuracy.js';

/** Longer than any interval of the plan, shorter than the run: a wait rarely runs out. */
const WAIT_MS = 5000;

export const rateAccuracyLongPollScenario: Scenario = {
  name: 'rate-accuracy-long-poll',
  title: '7 rate accuracy, long-poll',
  measure: (ctx) =>
    withServer(ctx, {}, (server, settings) =>
      repeatRuns(ctx, 'rate-accuracy-long-poll', async () => {
        await ctx.redis.flushAll();
        const { rateQueues: queues, rateJobsPerQueue: jobsPerQueue, rateIntervalMs: intervalMs } = ctx.plan;
        await fillQueues(ctx.redis, { queueType: TYPE, queues, jobsPerQueue, intervalMs });
        const deadlineMs = jobsPerQueue * intervalMs * 3 + 20000;
        const outcome = await poll(ctx, server, settings, queues * jobsPerQueue, deadlineMs, `?wait=${WAIT_MS}`);
        return analyse(outcome, intervalMs, jobsPerQueue).map((sample): Sample =>
          sample.metric === 'polls answered 404'
            ? { ...sample, metric: 'wasted polls (404s of all)', target: { op: '<=', value: 5, label: '< 5%' } }
            : sample,
        );
      }),
    ),
};
