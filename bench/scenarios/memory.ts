// 6. Memory. Redis: INFO used_memory before and after enqueueing (payload {"message":"hello, world"},
// UUID job ids), divided by the jobs, for many jobs per queue and for one job per queue (Python SharQ:
// 143 and 796 bytes). Server: VmRSS of each cluster worker (the largest) and of the primary, on a
// freshly started server 8 s after its banner (issue 15's "idle"), then at the peak of a cycle load
// (the full cycle load of scenario 1, at least LOADED_MIN_SEC long) and of the batch cycle load that
// follows it (scenario 8's, as long).
// Targets (issue 15): a worker <= 60 MiB idle and <= 80 MiB under load; the Python original's
// worker is about 46 MB.

import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import type { ServerHandle } from '../../test/helpers/server.js';
import { fillQueues } from '../lib/fill.js';
import { batchCycles } from './batch-cycle.js';
import { repeatRuns, withServer } from '../lib/kit.js';
import { CONNECTIONS } from '../lib/load.js';
import { sizeLabel } from '../lib/report.js';
import type { BenchContext, Sample, Scenario } from '../lib/types.js';

const TYPE = 'memory';
const PYTHON_BYTES_PER_JOB: Record<string, number> = { many: 143, single: 796 };
const RSS_SAMPLE_MS = 200;
const IDLE_AFTER_START_MS = 8000;
/**
 * "Under load" is the full cycle load for at least this long, even with --quick: a worker's young
 * generation and old space grow for seconds under load (a 0.5 s run showed 74 MiB where 10 s showed 100+).
 */
const LOADED_MIN_SEC = 5;
const IDLE_TARGET_MIB = 60;
const LOADED_TARGET_MIB = 80;

async function bytesPerJob(ctx: BenchContext, queues: number, jobsPerQueue: number): Promise<Sample> {
  await ctx.redis.flushAll();
  await sleep(100);
  const before = await ctx.redis.usedMemory();
  await fillQueues(ctx.redis, { queueType: TYPE, queues, jobsPerQueue, intervalMs: 1000, uuidJobIds: true });
  await sleep(100);
  const after = await ctx.redis.usedMemory();
  const reference = PYTHON_BYTES_PER_JOB[jobsPerQueue > 1 ? 'many' : 'single'];
  return {
    metric: `Redis per job, ${sizeLabel(queues)} queues x ${jobsPerQueue}`,
    unit: 'B',
    value: (after - before) / (queues * jobsPerQueue),
    kind: 'other',
    target: reference === undefined ? undefined : { op: '<=', value: reference, label: `ref ${reference} (Python)`, referenceOnly: true },
  };
}

/** Resident set size in MiB, from /proc/<pid>/status VmRSS; undefined when the process is gone. */
function rssMiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]) / 1024;
  } catch {
    return undefined;
  }
}

function maxWorkerRss(server: ServerHandle): number {
  const values = server.workerPids().map(rssMiB).filter((v): v is number => v !== undefined);
  if (values.length === 0) throw new Error('no worker processes found under the server');
  return Math.max(...values);
}

/** Samples the largest worker's and the primary's RSS every RSS_SAMPLE_MS while `load` runs; returns their peaks. */
async function peakRssDuring(server: ServerHandle, load: () => Promise<unknown>): Promise<{ worker: number; primary: number }> {
  const peak = { worker: maxWorkerRss(server), primary: rssMiB(server.pid) ?? Number.NaN };
  const sampler = setInterval(() => {
    try {
      peak.worker = Math.max(peak.worker, maxWorkerRss(server));
      peak.primary = Math.max(peak.primary, rssMiB(server.pid) ?? Number.NaN);
    } catch {
      // a worker being replaced: the next sample sees its successor
    }
  }, RSS_SAMPLE_MS);
  try {
    await load();
  } finally {
    clearInterval(sampler);
  }
  return peak;
}

/**
 * Idle: 8 s after a fresh start; under load: the peak during the single-job cycle load, then during
 * the batch cycle load (scenario 8's, 100 jobs a call), which grows a worker's heap further.
 */
async function workerRss(ctx: BenchContext, server: ServerHandle, run: number): Promise<Sample[]> {
  await sleep(IDLE_AFTER_START_MS);
  const idle = maxWorkerRss(server);
  const primaryIdle = rssMiB(server.pid) ?? Number.NaN;
  const loadedSec = Math.max(ctx.plan.durationSec, LOADED_MIN_SEC);
  const cycle = await peakRssDuring(server, () =>
    ctx.load.run({
      url: server.url,
      connections: CONNECTIONS,
      durationSec: loadedSec,
      warmupSec: 0,
      profile: { kind: 'cycle', queueType: TYPE, queues: 1000, idPrefix: `rss${run}` },
    }),
  );
  // A build without the batch routes (an older --baseline) has no batch figure; its other figures stand.
  const batch = await peakRssDuring(server, () => batchCycles(server, loadedSec, `rss${run}`)).catch((err: unknown) => {
    ctx.log(`  memory: no batch load (${err instanceof Error ? err.message : String(err)})`);
    return undefined;
  });
  const batchRows: Sample[] =
    batch === undefined
      ? []
      : [{ metric: 'RSS per worker, under batch load (peak)', unit: 'MiB', value: batch.worker, kind: 'other', target: { op: '<=', value: LOADED_TARGET_MIB, label: `<= ${LOADED_TARGET_MIB}` } }];
  return [
    { metric: 'RSS per worker, idle 8 s after start', unit: 'MiB', value: idle, kind: 'other', target: { op: '<=', value: IDLE_TARGET_MIB, label: `<= ${IDLE_TARGET_MIB}` } },
    { metric: 'RSS per worker, under load (peak)', unit: 'MiB', value: cycle.worker, kind: 'other', target: { op: '<=', value: LOADED_TARGET_MIB, label: `<= ${LOADED_TARGET_MIB}` } },
    ...batchRows,
    { metric: 'RSS of the primary, idle', unit: 'MiB', value: primaryIdle, kind: 'other', target: { op: '<=', value: 72, label: 'ref 72 (issue 15)', referenceOnly: true } },
    { metric: 'RSS of the primary, under load (peak)', unit: 'MiB', value: Math.max(cycle.primary, batch?.primary ?? 0), kind: 'other' },
  ];
}

export const memoryScenario: Scenario = {
  name: 'memory',
  title: '6 memory',
  measure: (ctx) =>
    repeatRuns(ctx, 'memory', async (run) => {
      const samples: Sample[] = [];
      for (const layout of ctx.plan.memoryLayouts) samples.push(await bytesPerJob(ctx, layout.queues, layout.jobsPerQueue));
      await ctx.redis.flushAll();
      await ctx.servers.stop(); // a fresh server per run: "idle" is 8 s after start, as in issue 15
      samples.push(...(await withServer(ctx, {}, (server) => workerRss(ctx, server, run))));
      return samples;
    }),
};
