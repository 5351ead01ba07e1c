import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { engineForSuite, enqueueJob, pollDequeue, queuedIds, waitForExpiry } from '../helpers/engine.js';

describe('duplicate job ids', { concurrency: true }, () => {
  const h = engineForSuite();

  test('a job id already queued is a duplicate; the queue keeps one copy with the first payload', async () => {
    const engine = await h.newEngine();
    assert.deepEqual(await enqueueJob(engine, 'dup', 'q', 'job', { payload: 'first' }), { kind: 'queued', lengthBefore: 0 });
    assert.deepEqual(await enqueueJob(engine, 'dup', 'q', 'other'), { kind: 'queued', lengthBefore: 1 });
    assert.deepEqual(await enqueueJob(engine, 'dup', 'q', 'job', { payload: 'second' }), {
      kind: 'duplicate',
      lengthBefore: 2,
    });
    assert.deepEqual(await queuedIds(engine, 'dup', 'q'), ['job', 'other']);
    assert.equal((await engine.reads.typeGauges('dup')).queued, 2);
    const job = await pollDequeue(engine, 'dup');
    assert.equal(job.payloadJson, '"first"');
  });

  test('the same job id in another queue or type is a different job', async () => {
    const engine = await h.newEngine();
    assert.equal((await enqueueJob(engine, 'dup', 'q1', 'job')).kind, 'queued');
    assert.equal((await enqueueJob(engine, 'dup', 'q2', 'job')).kind, 'queued');
    assert.equal((await enqueueJob(engine, 'other', 'q1', 'job')).kind, 'queued');
  });

  test('a job id that is active is a duplicate, and the queue gets no copy', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'active', 'q', 'job');
    await pollDequeue(engine, 'active');
    assert.deepEqual(await enqueueJob(engine, 'active', 'q', 'job'), { kind: 'duplicate', lengthBefore: 0 });
    assert.equal(await engine.reads.queueLength('active', 'q'), 0);
    assert.deepEqual(await engine.dequeue('active'), { kind: 'empty' });
  });

  test('an active job that expired (not yet requeued) is still a duplicate', async () => {
    const engine = await h.newEngine({ jobExpireIntervalMs: 100 });
    await enqueueJob(engine, 'expired', 'q', 'job');
    await pollDequeue(engine, 'expired');
    await waitForExpiry(engine, 'expired');
    assert.equal((await enqueueJob(engine, 'expired', 'q', 'job')).kind, 'duplicate');
    assert.equal((await engine.requeueType('expired')).requeued, 1);
    assert.deepEqual(await queuedIds(engine, 'expired', 'q'), ['job'], 'requeued once, not twice');
    assert.equal((await enqueueJob(engine, 'expired', 'q', 'job')).kind, 'duplicate');
  });

  test('after finish, the same job id can be enqueued again', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'again', 'q', 'job', { payload: 1 });
    await pollDequeue(engine, 'again');
    assert.equal(await engine.finish('again', 'q', 'job'), true);
    assert.deepEqual(await enqueueJob(engine, 'again', 'q', 'job', { payload: 2 }), { kind: 'queued', lengthBefore: 0 });
    const job = await pollDequeue(engine, 'again');
    assert.equal(job.payloadJson, '2');
  });

  test('a duplicate is reported even when the queue is at max_queued_length', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'full', 'q', 'job', { maxQueuedLength: 1 });
    assert.deepEqual(await enqueueJob(engine, 'full', 'q', 'job', { maxQueuedLength: 1 }), {
      kind: 'duplicate',
      lengthBefore: 1,
    });
  });

  test('concurrent enqueues of one job id from many connections queue it once', async () => {
    const engine = await h.newEngine();
    const engines = await Promise.all(
      Array.from({ length: 5 }, () => h.newEngine({ keyPrefix: engine.options.keyPrefix }, { ownConnection: true })),
    );
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => enqueueJob(engines[i % engines.length] ?? engine, 'race', 'q', 'job')),
    );
    assert.equal(results.filter((r) => r.kind === 'queued').length, 1);
    assert.equal(results.filter((r) => r.kind === 'duplicate').length, 39);
    assert.deepEqual(await queuedIds(engine, 'race', 'q'), ['job']);
  });
});
