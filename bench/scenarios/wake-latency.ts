// 9. Wake-up latency: WAITERS long-polling requests on one type (one keep-alive connection each,
// `?wait=30000`); the bench enqueues one job at a time and measures from the enqueue's reply
// (201 received) to the reply of the waiter that got the job. The waiter finishes it and waits
// again; the next enqueue goes out once every waiter is back in line (a short pause).
// Target: p99 < 50 ms.

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

import { httpClient, type HttpClient } from '../../test/helpers/http.js';
import type { ServerHandle } from '../../test/helpers/server.js';
import { withDeadline } from '../../test/helpers/wait.js';
import { repeatRuns, withServer } from '../lib/kit.js';
import { percentile } from '../lib/stats.js';
import type { Sample, Scenario } from '../lib/types.js';

const TYPE = 'wake';
const WAITERS = 100;
/** Time for the woken waiter's finish and new wait to reach the server before the next enqueue. */
const SETTLE_MS = 30;

async function measure(server: ServerHandle, jobs: number, runId: string): Promise<number[]> {
  const producer = httpClient(server.url, { keepAliveSockets: 1 });
  const waiters = Array.from({ length: WAITERS }, () => httpClient(server.url, { keepAliveSockets: 1 }));
  const received = new Map<string, number>();
  let stop = false;
  const wait = async (client: HttpClient): Promise<void> => {
    while (!stop) {
      const reply = await client.request('GET', `/dequeue/${TYPE}/?wait=30000`, undefined, { timeoutMs: 40000 });
      const at = performance.now();
      if (reply.status === 404) continue;
      if (reply.status !== 200) throw new Error(`waiting dequeue answered ${reply.status}: ${reply.text}`);
      const job = reply.body as { queue_id: string; job_id: string };
      received.set(job.job_id, at);
      await client.post(`/finish/${TYPE}/${job.queue_id}/${job.job_id}/`);
    }
  };
  const running = waiters.map(wait);
  running.forEach((p) => p.catch(() => undefined));
  const latencies: number[] = [];
  try {
    await sleep(500); // every waiter in line
    for (let i = 0; i < jobs; i += 1) {
      const jobId = `${runId}-${i}`;
      const reply = await producer.post(`/enqueue/${TYPE}/q${i % 10}/`, { job_id: jobId, interval: 0, payload: i });
      const ackedAt = performance.now();
      if (reply.status !== 201) throw new Error(`enqueue answered ${reply.status}: ${reply.text}`);
      await withDeadline(
        (async () => {
          while (!received.has(jobId)) await sleep(1);
        })(),
        30000,
        `job ${jobId} to reach a waiter`,
      );
      latencies.push(Math.max(0, (received.get(jobId) as number) - ackedAt));
      await sleep(SETTLE_MS);
    }
  } finally {
    stop = true;
    producer.close();
    for (const client of waiters) client.close();
  }
  return latencies.sort((a, b) => a - b);
}

export const wakeLatencyScenario: Scenario = {
  name: 'wake-latency',
  title: `9 wake-up latency, ${WAITERS} waiters`,
  measure: (ctx) =>
    withServer(ctx, {}, (server) =>
      repeatRuns(ctx, 'wake-latency', async (run): Promise<Sample[]> => {
        await ctx.redis.flushAll();
        const latencies = await measure(server, ctx.plan.quick ? 50 : 200, `r${run}`);
        return [
          { metric: 'enqueue ack -> waiter reply p50', unit: 'ms', value: percentile(latencies, 50), kind: 'other' },
          { metric: 'enqueue ack -> waiter reply p99', unit: 'ms', value: percentile(latencies, 99), kind: 'other', target: { op: '<=', value: 50, label: '< 50' } },
          { metric: 'wake-ups measured', unit: '', value: latencies.length, kind: 'other' },
        ];
      }),
    ),
};
