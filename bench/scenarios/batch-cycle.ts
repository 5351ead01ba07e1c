// 8. Batch full cycle: CLIENTS keep-alive clients loop batch enqueue of 100 jobs (over 1000
// queues, interval 0) -> GET /dequeue/?count=100&wait=1000 -> batch finish of the jobs it got.
// jobs/s = jobs finished / elapsed. Beside it, in the same run, the single-job cycle of scenario 1
// (autocannon, 50 connections), so the ratio holds whatever else loads the machine.
// Targets: >= 25,000 jobs/s, >= 5x the single-job cycle, and (issue 24) Redis CPU <= 15 us per job.

import { performance } from 'node:perf_hooks';

import { httpClient, type HttpClient } from '../../test/helpers/http.js';
import type { ServerHandle } from '../../test/helpers/server.js';
import { withDeadline } from '../../test/helpers/wait.js';
import { CONNECTIONS } from '../lib/load.js';
import { repeatRuns, withServer } from '../lib/kit.js';
import { resetScriptTime, scriptTime, withRedisCpu } from '../lib/commandstats.js';
import type { Sample, Scenario } from '../lib/types.js';

const TYPE = 'batch';
const BATCH = 100;
const QUEUES = 1000;
/** Issue 24: Redis CPU (INFO cpu) per job of the batch cycle. */
const BATCH_CPU_TARGET_US = 15;
/** Enough requests in flight to keep 2 worker processes and Redis busy on 2 cores. */
const CLIENTS = 6;

interface BatchOutcome {
  jobs: number;
  elapsedSec: number;
  failures: number;
}

export async function batchCycles(server: ServerHandle, durationSec: number, runId: string): Promise<BatchOutcome> {
  const clients = Array.from({ length: CLIENTS }, () => httpClient(server.url, { keepAliveSockets: 1 }));
  const outcome: BatchOutcome = { jobs: 0, elapsedSec: 0, failures: 0 };
  const started = performance.now();
  const endAt = started + durationSec * 1000;
  const loop = async (client: HttpClient, c: number): Promise<void> => {
    for (let round = 0; performance.now() < endAt; round += 1) {
      const jobs = Array.from({ length: BATCH }, (_, i) => ({
        queue_id: `q${(c * BATCH + round * 7 + i) % QUEUES}`,
        job_id: `${runId}-${c}-${round}-${i}`,
        interval: 0,
        payload: { n: i },
      }));
      const enqueued = await client.post(`/enqueue/${TYPE}/`, { jobs });
      if (enqueued.status !== 200) throw new Error(`batch enqueue answered ${enqueued.status}: ${enqueued.text}`);
      const dequeued = await client.get(`/dequeue/${TYPE}/?count=${BATCH}&wait=1000`);
      if (dequeued.status === 404) continue;
      if (dequeued.status !== 200) throw new Error(`batch dequeue answered ${dequeued.status}: ${dequeued.text}`);
      const got = (dequeued.body as { jobs: { queue_id: string; job_id: string }[] }).jobs;
      const finished = await client.post(`/finish/${TYPE}/`, { jobs: got.map((j) => ({ queue_id: j.queue_id, job_id: j.job_id })) });
      if (finished.status !== 200) throw new Error(`batch finish answered ${finished.status}: ${finished.text}`);
      for (const result of (finished.body as { results: { status: string }[] }).results) {
        if (result.status === 'success') outcome.jobs += 1;
        else outcome.failures += 1;
      }
    }
  };
  try {
    await withDeadline(Promise.all(clients.map(loop)), durationSec * 1000 + 30000, 'batch cycle clients');
  } finally {
    for (const client of clients) client.close();
  }
  outcome.elapsedSec = (performance.now() - started) / 1000;
  return outcome;
}

export const batchCycleScenario: Scenario = {
  name: 'batch-cycle',
  title: '8 batch full cycle',
  measure: (ctx) =>
    withServer(ctx, {}, (server) =>
      repeatRuns(ctx, 'batch-cycle', async (run): Promise<Sample[]> => {
        await ctx.redis.flushAll();
        await resetScriptTime(ctx.redis.admin);
        const { result: single, cpuSec: singleCpuSec } = await withRedisCpu(ctx.redis.admin, () =>
          ctx.load.run({
            url: server.url,
            connections: CONNECTIONS,
            durationSec: ctx.plan.durationSec,
            warmupSec: run === 0 ? ctx.plan.warmupSec : 0,
            profile: { kind: 'cycle', queueType: 'cycle', queues: QUEUES, idPrefix: `bc${run}` },
          }),
        );
        const singlePerSec = single.cycles / single.elapsedSec;
        // Run 1's warm-up is counted in the single cycle's script time: the median over runs is not.
        const singleScript = await scriptTime(ctx.redis.admin);
        await ctx.redis.flushAll();
        await resetScriptTime(ctx.redis.admin);
        const { result: batch, cpuSec: batchCpuSec } = await withRedisCpu(ctx.redis.admin, () => batchCycles(server, ctx.plan.durationSec, `r${run}`));
        const batchScript = await scriptTime(ctx.redis.admin);
        const batchCpuUs = (batchCpuSec * 1e6) / Math.max(1, batch.jobs);
        const perSec = batch.jobs / batch.elapsedSec;
        return [
          { metric: 'batch jobs/s', unit: '', value: perSec, kind: 'other', target: { op: '>=', value: 25000, label: '>= 25000' } },
          { metric: 'single-job cycles/s (same run)', unit: '', value: singlePerSec, kind: 'other' },
          { metric: 'batch / single', unit: 'x', value: perSec / singlePerSec, kind: 'other', target: { op: '>=', value: 5, label: '>= 5x' } },
          {
            metric: 'Redis CPU per job, batch cycle',
            unit: 'us',
            value: batchCpuUs,
            kind: 'other',
            target: { op: '<=', value: BATCH_CPU_TARGET_US, label: `<= ${BATCH_CPU_TARGET_US} (issue 24)` },
          },
          // What one Redis core could carry of this cycle, were Redis the only limit: 1 s of CPU over the CPU per job.
          { metric: 'jobs/s one Redis core allows, batch cycle', unit: '', value: 1e6 / Math.max(1e-9, batchCpuUs), kind: 'other' },
          { metric: 'Redis CPU per job, single-job cycle (same run)', unit: 'us', value: (singleCpuSec * 1e6) / Math.max(1, single.cycles), kind: 'other' },
          { metric: 'Redis script time per job, batch cycle (wall)', unit: 'us', value: batchScript.usec / Math.max(1, batch.jobs), kind: 'other' },
          { metric: 'Redis script time per job, single-job cycle (wall, same run)', unit: 'us', value: singleScript.usec / Math.max(1, single.cycles), kind: 'other' },
          { metric: 'batch finish failures', unit: '', value: batch.failures, kind: 'other' },
        ];
      }),
    ),
};
