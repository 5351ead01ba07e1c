import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { QueueEngine } from '../../src/engine/engine.js';
import { queueKeys } from '../../src/engine/keys.js';
import { QueueAdminScripts } from '../../src/engine/scripts/queue-admin.js';
import { activeJobs, drain, engineForSuite, enqueueJob, pollDequeue, readyAtUs, waitForExpiry } from '../helpers/engine.js';

/** Fills a queue with n jobs (interval 0) in one burst of concurrent calls. */
async function fill(engine: QueueEngine, type: string, queueId: string, n: number): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      engine.enqueue({ queueType: type, queueId, jobId: `j${i}`, intervalMs: 0, payload: { i } }),
    ),
  );
}

describe('clear queue', { concurrency: true }, () => {
  const h = engineForSuite();

  test('without purge: queued jobs go, active jobs stay finishable, other queues are untouched', async () => {
    const engine = await h.newEngine();
    for (let i = 0; i < 5; i++) await enqueueJob(engine, 'c', 'q', `j${i}`);
    await enqueueJob(engine, 'c', 'other', 'o1');
    const first = await pollDequeue(engine, 'c');
    assert.equal(first.jobId, 'j0');

    assert.deepEqual(await engine.clearQueue('c', 'q', false), { queuedRemoved: 4, activeRemoved: 0 });
    assert.equal(await engine.reads.queueLength('c', 'q'), 0);
    assert.equal(await readyAtUs(engine, 'c', 'q'), null, 'no longer ready');
    assert.deepEqual(await engine.reads.queueIds('c'), ['other', 'q'], 'q still has an active job');
    assert.deepEqual(await engine.reads.typeGauges('c'), { queued: 1, active: 1, readyQueues: 1, queues: 2, delayed: 0, deadLetters: 0, pausedQueues: 0, typePaused: 0 });
    assert.equal(await engine.reads.queueLength('c', 'other'), 1);

    const next = await engine.dequeue('c');
    assert.equal(next.kind === 'job' && next.jobId, 'o1', 'the cleared queue hands out nothing');
    assert.deepEqual(await engine.dequeue('c'), { kind: 'empty' });
    assert.equal(await engine.finish('c', 'q', 'j0'), true);
    assert.equal(await engine.finish('c', 'other', 'o1'), true);
    assert.deepEqual(await engine.reads.queueIds('c'), []);

    // Cleared job ids are free again.
    assert.equal((await enqueueJob(engine, 'c', 'q', 'j3')).kind, 'queued');
  });

  test('without purge: an active job of a cleared queue is still requeued when it expires', async () => {
    const engine = await h.newEngine({ jobExpireIntervalMs: 100 });
    await enqueueJob(engine, 'exp', 'q', 'a');
    await enqueueJob(engine, 'exp', 'q', 'b');
    await pollDequeue(engine, 'exp');
    assert.deepEqual(await engine.clearQueue('exp', 'q', false), { queuedRemoved: 1, activeRemoved: 0 });
    await waitForExpiry(engine, 'exp');
    assert.equal((await engine.requeueType('exp')).requeued, 1);
    assert.equal((await pollDequeue(engine, 'exp')).jobId, 'a');
  });

  test('with purgeAll: active jobs go too, finish is false, the queue is no longer listed', async () => {
    const engine = await h.newEngine({ jobExpireIntervalMs: 100 });
    for (let i = 0; i < 4; i++) await enqueueJob(engine, 'p', 'q', `j${i}`);
    await enqueueJob(engine, 'p', 'keep', 'k1');
    const out = await drain(engine, 'p');
    assert.equal(out.length, 5);
    for (let i = 0; i < 3; i++) await enqueueJob(engine, 'p', 'q', `n${i}`);

    assert.deepEqual(await engine.clearQueue('p', 'q', true), { queuedRemoved: 3, activeRemoved: 4 });
    for (let i = 0; i < 4; i++) assert.equal(await engine.finish('p', 'q', `j${i}`), false);
    assert.deepEqual(await engine.reads.queueIds('p'), ['keep']);
    assert.deepEqual(await engine.reads.typeGauges('p'), { queued: 0, active: 1, readyQueues: 0, queues: 1, delayed: 0, deadLetters: 0, pausedQueues: 0, typePaused: 0 });
    assert.equal(await h.redis.exists(queueKeys(engine.options.keyPrefix, 'p', 'q').jobs), 0, 'no job body left');
    assert.equal(await h.redis.exists(queueKeys(engine.options.keyPrefix, 'p', 'q').queue), 0);

    // Nothing of the purged queue comes back from the requeue pass.
    await waitForExpiry(engine, 'p');
    assert.deepEqual(await engine.requeueType('p'), { requeued: 1, discarded: 0, calls: 1 });
    assert.deepEqual((await drain(engine, 'p')).map((job) => job.jobId), ['k1']);
    // The purged job ids can be used again.
    assert.equal((await enqueueJob(engine, 'p', 'q', 'j0')).kind, 'queued');
  });

  test('clearing an unknown or empty queue is a no-op', async () => {
    const engine = await h.newEngine();
    assert.deepEqual(await engine.clearQueue('none', 'q', false), { queuedRemoved: 0, activeRemoved: 0 });
    assert.deepEqual(await engine.clearQueue('none', 'q', true), { queuedRemoved: 0, activeRemoved: 0 });
    assert.deepEqual(await engine.reads.typeGauges('none'), { queued: 0, active: 0, readyQueues: 0, queues: 0, delayed: 0, deadLetters: 0, pausedQueues: 0, typePaused: 0 });
  });

  test('a queue with 2000 queued jobs is cleared in several bounded steps', async () => {
    const calls: string[] = [];
    const engine = await h.newEngine({ observeCommand: (command) => calls.push(command) });
    await fill(engine, 'big', 'q', 2000);
    await enqueueJob(engine, 'big', 'other', 'o');
    calls.length = 0;
    assert.deepEqual(await engine.clearQueue('big', 'q', false), { queuedRemoved: 2000, activeRemoved: 0 });
    const steps = calls.filter((c) => c === 'clear_queue').length;
    assert.ok(steps >= 2, `cleared in ${steps} script calls`);
    assert.deepEqual(await engine.reads.typeGauges('big'), { queued: 1, active: 0, readyQueues: 1, queues: 1, delayed: 0, deadLetters: 0, pausedQueues: 0, typePaused: 0 });
    assert.deepEqual(await engine.reads.queueIds('big'), ['other']);
  });

  test('a queue with 1500 active and 1500 queued jobs is purged in several bounded steps', async () => {
    const calls: string[] = [];
    const engine = await h.newEngine({ observeCommand: (command) => calls.push(command) });
    await fill(engine, 'bigp', 'q', 1500);
    assert.equal((await drain(engine, 'bigp')).length, 1500);
    await Promise.all(
      Array.from({ length: 1500 }, (_, i) =>
        engine.enqueue({ queueType: 'bigp', queueId: 'q', jobId: `n${i}`, intervalMs: 0, payload: i }),
      ),
    );
    calls.length = 0;
    assert.deepEqual(await engine.clearQueue('bigp', 'q', true), { queuedRemoved: 1500, activeRemoved: 1500 });
    const steps = calls.filter((c) => c === 'clear_queue').length;
    assert.ok(steps >= 4, `purged in ${steps} script calls`);
    assert.deepEqual(await engine.reads.typeGauges('bigp'), { queued: 0, active: 0, readyQueues: 0, queues: 0, delayed: 0, deadLetters: 0, pausedQueues: 0, typePaused: 0 });
    assert.deepEqual(await engine.reads.queueIds('bigp'), []);
    assert.equal(await h.redis.exists(queueKeys(engine.options.keyPrefix, 'bigp', 'q').jobs), 0);
  });

  test('a purge abandoned after one step (client gone) leaves a queue that still goes idle', async () => {
    const engine = await h.newEngine();
    // More jobs than hash-max-listpack-entries (128 upstream, 512 in some builds): the job hash is
    // a real hash table, so one HSCAN step takes only part of it.
    await fill(engine, 'cut', 'q', 1200);
    assert.equal((await drain(engine, 'cut')).length, 1200);

    // One step of the purge, as clearQueue() would send it, and then nothing more.
    const scripts = new QueueAdminScripts({ redis: h.redis, keyPrefix: engine.options.keyPrefix });
    const step = await scripts.clearQueueStep('cut', 'q', {
      batch: 100,
      purgeAll: true,
      cursor: '0',
      idleQueueTtlMs: engine.options.idleQueueTtlMs,
    });
    const removed = step.activeRemoved;
    assert.equal(step.queuedRemoved, 0);
    assert.equal(step.done, false, 'one step does not purge 1200 active jobs');
    assert.ok(removed > 0 && removed < 1200, `${removed} removed in the first step`);

    // The jobs the step missed are still active; once they are finished the queue is idle.
    const left = [...(await activeJobs(engine, 'cut')).keys()].map((member) => member.split(':')[1] as string);
    assert.equal(left.length, 1200 - removed);
    for (const job of left) assert.equal(await engine.finish('cut', 'q', job), true);
    assert.deepEqual(await engine.reads.typeGauges('cut'), { queued: 0, active: 0, readyQueues: 0, queues: 0, delayed: 0, deadLetters: 0, pausedQueues: 0, typePaused: 0 });
    assert.deepEqual(await engine.reads.queueIds('cut'), []);
  });
});
