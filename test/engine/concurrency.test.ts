import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { DequeuedJob, QueueEngine } from '../../src/engine/engine.js';
import { activeJobs, engineForSuite, type EngineHarness } from '../helpers/engine.js';

const WORKERS = 8;

async function workers(h: EngineHarness, base: QueueEngine): Promise<QueueEngine[]> {
  return Promise.all(
    Array.from({ length: WORKERS }, () => h.newEngine({ keyPrefix: base.options.keyPrefix }, { ownConnection: true })),
  );
}

describe('concurrent dequeues', { concurrency: true }, () => {
  const h = engineForSuite();

  test('8 connections over 200 queues x 5 jobs (interval 0): every job handed out exactly once', async () => {
    const base = await h.newEngine();
    const enqueues = [];
    for (let j = 0; j < 5; j++) {
      for (let q = 0; q < 200; q++) {
        enqueues.push(base.enqueue({ queueType: 'many', queueId: `q${q}`, jobId: `j${j}`, intervalMs: 0, payload: { q, j } }));
      }
    }
    await Promise.all(enqueues);

    const got: DequeuedJob[][] = await Promise.all(
      (await workers(h, base)).map(async (engine) => {
        const mine: DequeuedJob[] = [];
        for (;;) {
          const job = await engine.dequeue('many');
          if (job.kind === 'empty') return mine;
          mine.push(job);
          // Finish every other job, so finishes race with dequeues too.
          if (mine.length % 2 === 0) assert.equal(await engine.finish('many', job.queueId, job.jobId), true);
        }
      }),
    );

    const all = got.flat();
    const keys = all.map((job) => `${job.queueId}/${job.jobId}`);
    assert.equal(all.length, 1000);
    assert.equal(new Set(keys).size, 1000, 'no job handed out twice');
    for (const job of all) {
      assert.deepEqual(JSON.parse(job.payloadJson), { q: Number(job.queueId.slice(1)), j: Number(job.jobId.slice(1)) });
    }
    assert.ok(got.filter((mine) => mine.length > 0).length >= 2, 'the work was shared');
    // Within each queue, FIFO held across the workers: ids come out j0..j4 in dequeue order.
    const perQueue = new Map<string, string[]>();
    const active = await activeJobs(base, 'many');
    assert.equal((await base.reads.typeGauges('many')).queued, 0);
    for (const [member] of [...active].sort((a, b) => a[1] - b[1])) {
      const [q, j] = member.split(':') as [string, string];
      perQueue.set(q, [...(perQueue.get(q) ?? []), j]);
    }
    for (const [q, ids] of perQueue) {
      const sorted = [...ids].sort();
      assert.deepEqual(ids, sorted, `${q}: still-active jobs left in FIFO order`);
    }
  });

  test('8 connections over 10 queues with interval 300 ms: per-queue dequeues are >= 300 ms apart', async () => {
    const base = await h.newEngine();
    const interval = 300;
    const queues = 10;
    const jobsPerQueue = 4;
    for (let j = 0; j < jobsPerQueue; j++) {
      for (let q = 0; q < queues; q++) {
        await base.enqueue({ queueType: 'limited', queueId: `q${q}`, jobId: `j${j}`, intervalMs: interval, payload: null });
      }
    }

    // Jobs are not finished: each stays in the active set with score = dequeue time + expire interval.
    const counts = await Promise.all(
      (await workers(h, base)).map(async (engine) => {
        let mine = 0;
        const deadline = Date.now() + 15_000;
        while (Date.now() < deadline) {
          const job = await engine.dequeue('limited');
          if (job.kind === 'job') mine += 1;
          else if (job.nextReadyAtMs === undefined) return mine;
          else await new Promise<void>((resolve) => setImmediate(resolve));
        }
        return mine;
      }),
    );
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      queues * jobsPerQueue,
      'every job handed out once',
    );

    const expireUs = base.options.jobExpireIntervalMs * 1000;
    const times = new Map<string, number[]>();
    for (const [member, score] of await activeJobs(base, 'limited')) {
      const q = member.split(':')[0] as string;
      times.set(q, [...(times.get(q) ?? []), score - expireUs]);
    }
    assert.equal(times.size, queues);
    for (const [q, ts] of times) {
      ts.sort((a, b) => a - b);
      assert.equal(ts.length, jobsPerQueue);
      for (let i = 1; i < ts.length; i++) {
        const gap = (ts[i] as number) - (ts[i - 1] as number);
        assert.ok(gap >= interval * 1000, `${q}: dequeues ${gap} us apart (< ${interval} ms)`);
      }
    }
  });
});
