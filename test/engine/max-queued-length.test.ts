import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { engineForSuite, enqueueJob, pollDequeue, queuedIds } from '../helpers/engine.js';

describe('max_queued_length', { concurrency: true }, () => {
  const h = engineForSuite();

  test('an enqueue into a queue holding max_queued_length jobs is rejected with the queue length', async () => {
    const engine = await h.newEngine();
    for (let i = 1; i <= 3; i++) {
      assert.deepEqual(await enqueueJob(engine, 'cap', 'q', `j${i}`, { maxQueuedLength: 3 }), { kind: 'queued', lengthBefore: i - 1 });
    }
    assert.deepEqual(await enqueueJob(engine, 'cap', 'q', 'j4', { maxQueuedLength: 3 }), { kind: 'rejected', lengthBefore: 3 });
    assert.deepEqual(await queuedIds(engine, 'cap', 'q'), ['j1', 'j2', 'j3']);
    assert.equal((await engine.reads.typeGauges('cap')).queued, 3);

    // The limit counts queued jobs only: a dequeue makes room, even while that job is active.
    await pollDequeue(engine, 'cap');
    assert.deepEqual(await enqueueJob(engine, 'cap', 'q', 'j4', { maxQueuedLength: 3 }), { kind: 'queued', lengthBefore: 2 });
    // Without a limit the same queue takes more; a lower limit rejects.
    assert.equal((await enqueueJob(engine, 'cap', 'q', 'j5')).kind, 'queued');
    assert.deepEqual(await enqueueJob(engine, 'cap', 'q', 'j6', { maxQueuedLength: 1 }), { kind: 'rejected', lengthBefore: 4 });
  });

  test('the limit is per queue', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'per', 'a', 'j1', { maxQueuedLength: 1 });
    assert.equal((await enqueueJob(engine, 'per', 'a', 'j2', { maxQueuedLength: 1 })).kind, 'rejected');
    assert.equal((await enqueueJob(engine, 'per', 'b', 'j2', { maxQueuedLength: 1 })).kind, 'queued');
  });

  test('max_queued_length 0 rejects every job and creates nothing', async () => {
    const engine = await h.newEngine();
    assert.deepEqual(await enqueueJob(engine, 'zero', 'q', 'j', { maxQueuedLength: 0 }), { kind: 'rejected', lengthBefore: 0 });
    const gauges = await engine.reads.typeGauges('zero');
    assert.deepEqual(gauges, { queued: 0, active: 0, readyQueues: 0, queues: 0, delayed: 0, deadLetters: 0, pausedQueues: 0, typePaused: 0 });
    assert.deepEqual(await engine.dequeue('zero'), { kind: 'empty' });
  });

  test('50 concurrent enqueues from 5 connections with max 10: exactly 10 queued, 40 rejected', async () => {
    const engine = await h.newEngine();
    const engines = await Promise.all(
      Array.from({ length: 5 }, () => h.newEngine({ keyPrefix: engine.options.keyPrefix }, { ownConnection: true })),
    );
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        enqueueJob(engines[i % engines.length] ?? engine, 'race', 'q', `job-${i}`, { maxQueuedLength: 10 }),
      ),
    );
    const queued = results.filter((r) => r.kind === 'queued');
    const rejected = results.filter((r) => r.kind === 'rejected');
    assert.equal(queued.length, 10);
    assert.equal(rejected.length, 40);
    for (const r of rejected) assert.equal(r.lengthBefore, 10);
    assert.deepEqual(queued.map((r) => r.lengthBefore).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(await engine.reads.queueLength('race', 'q'), 10);
    assert.equal((await engine.reads.typeGauges('race')).queued, 10);
  });
});
