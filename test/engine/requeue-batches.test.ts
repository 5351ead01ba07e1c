import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { QueueEngine, RequeueCounts } from '../../src/engine/engine.js';
import { drain, engineForSuite, queuedIds, waitForExpiry, deadLetterJsons } from '../helpers/engine.js';

/** Enqueues queues x jobs (interval 0) with one pipeline-friendly burst of concurrent calls. */
async function fill(engine: QueueEngine, type: string, queues: number, jobs: number, requeueLimit: number): Promise<void> {
  const calls = [];
  for (let j = 0; j < jobs; j++) {
    for (let q = 0; q < queues; q++) {
      calls.push(engine.enqueue({ queueType: type, queueId: `q${q}`, jobId: `j${j}`, intervalMs: 0, payload: { q, j }, requeueLimit }));
    }
  }
  const results = await Promise.all(calls);
  assert.ok(results.every((r) => r.kind === 'queued'));
}

describe('requeue in bounded batches', { concurrency: true }, () => {
  const h = engineForSuite({ jobExpireIntervalMs: 100 });

  test('1000 expired jobs with requeueBatchSize 100 take >= 10 calls, and all come back', async () => {
    const engine = await h.newEngine({ requeueBatchSize: 100 });
    await fill(engine, 'bulk', 100, 10, -1);
    assert.equal((await drain(engine, 'bulk')).length, 1000);
    assert.deepEqual(await engine.reads.typeGauges('bulk'), { queued: 0, active: 1000, readyQueues: 0, queues: 100, delayed: 0, deadLetters: 0, pausedQueues: 0, typePaused: 0 });
    await waitForExpiry(engine, 'bulk');

    const counts = await engine.requeueType('bulk');
    assert.equal(counts.requeued, 1000);
    assert.equal(counts.discarded, 0);
    assert.ok(counts.calls >= 10, `${counts.calls} calls`);
    assert.ok(counts.calls <= 11, `${counts.calls} calls: each takes a full batch`);
    assert.deepEqual(await engine.reads.typeGauges('bulk'), { queued: 1000, active: 0, readyQueues: 100, queues: 100, delayed: 0, deadLetters: 0, pausedQueues: 0, typePaused: 0 });
    for (const q of [0, 42, 99]) {
      assert.deepEqual(await queuedIds(engine, 'bulk', `q${q}`), Array.from({ length: 10 }, (_, j) => `j${j}`));
    }
    const again = await drain(engine, 'bulk');
    assert.equal(new Set(again.map((job) => `${job.queueId}/${job.jobId}`)).size, 1000);
  });

  test('a pass split into batches puts each queue back in its original order', async () => {
    for (const requeueBatchSize of [1, 3, 100]) {
      const engine = await h.newEngine({ requeueBatchSize });
      await fill(engine, 'order', 3, 6, -1);
      assert.equal((await drain(engine, 'order')).length, 18);
      await waitForExpiry(engine, 'order');
      assert.equal((await engine.requeueType('order')).requeued, 18);
      for (let q = 0; q < 3; q++) {
        assert.deepEqual(
          await queuedIds(engine, 'order', `q${q}`),
          ['j0', 'j1', 'j2', 'j3', 'j4', 'j5'],
          `q${q} with batches of ${requeueBatchSize}`,
        );
      }
    }
  });

  test('a requeue call with nothing expired is one call and changes nothing', async () => {
    const engine = await h.newEngine({ requeueBatchSize: 5, jobExpireIntervalMs: 60_000 });
    await fill(engine, 'fresh', 4, 5, -1);
    assert.equal((await drain(engine, 'fresh')).length, 20);
    assert.deepEqual(await engine.requeueType('fresh'), { requeued: 0, discarded: 0, calls: 1 });
    assert.equal((await engine.reads.typeGauges('fresh')).active, 20);
  });

  test('overlapping requeue passes on separate connections keep the requeue limit exact', async () => {
    const limit = 2;
    const queues = 20;
    const jobsPerQueue = 10;
    const total = queues * jobsPerQueue;
    const base = await h.newEngine({ requeueBatchSize: 7, deadLetterLimit: 10_000 });
    const prefix = base.options.keyPrefix;
    const passers = await Promise.all(
      [0, 1].map(() => h.newEngine({ keyPrefix: prefix, requeueBatchSize: 7, deadLetterLimit: 10_000 }, { ownConnection: true })),
    );
    await fill(base, 'overlap', queues, jobsPerQueue, limit);

    const handedOut = new Map<string, number>();
    const sum = { requeued: 0, discarded: 0 };
    const add = (counts: RequeueCounts | undefined): void => {
      sum.requeued += counts?.requeued ?? 0;
      sum.discarded += counts?.discarded ?? 0;
    };
    for (let round = 0; round <= limit + 1; round++) {
      const jobs = await drain(base, 'overlap');
      for (const job of jobs) {
        const key = `${job.queueId}/${job.jobId}`;
        handedOut.set(key, (handedOut.get(key) ?? 0) + 1);
      }
      if (round <= limit) assert.equal(jobs.length, total, `round ${round}: every job is handed out once`);
      else assert.equal(jobs.length, 0, 'nothing left after limit + 1 rounds');
      if (jobs.length === 0) break;

      await waitForExpiry(base, 'overlap');
      // Both passes, three times each, all at once.
      const passes = await Promise.all(passers.flatMap((engine) => [engine.requeue(), engine.requeue(), engine.requeue()]));
      for (const counts of passes) add(counts.get('overlap'));
      for (let q = 0; q < queues; q++) {
        const ids = await queuedIds(base, 'overlap', `q${q}`);
        assert.equal(new Set(ids).size, ids.length, `round ${round}: q${q} holds no job twice: ${ids.join(',')}`);
      }
    }

    assert.equal(handedOut.size, total);
    for (const [job, times] of handedOut) assert.equal(times, limit + 1, `${job} handed out ${times} times`);
    assert.equal(sum.requeued, total * limit);
    assert.equal(sum.discarded, total);
    const dead = (await deadLetterJsons(base, 'overlap', 10_000)) as { queue_id: string; job_id: string }[];
    assert.equal(dead.length, total, 'each job discarded exactly once');
    assert.equal(new Set(dead.map((d) => `${d.queue_id}/${d.job_id}`)).size, total);
    assert.deepEqual(await base.reads.typeGauges('overlap'), { queued: 0, active: 0, readyQueues: 0, queues: 0, delayed: 0, deadLetters: total, pausedQueues: 0, typePaused: 0 });
  });
});
