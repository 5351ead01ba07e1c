import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { QueueEngine } from '../../src/engine/engine.js';
import { dequeuedAtUs, engineForSuite, enqueueJob, pollDequeue, readyAtUs, waitForExpiry } from '../helpers/engine.js';

/** Dequeues the queue's next job and returns [its dequeue time, the queue's next ready time] (us). */
async function dequeueAndNextReady(engine: QueueEngine, type: string, queueId: string): Promise<[number, number | null]> {
  const job = await pollDequeue(engine, type);
  assert.equal(job.queueId, queueId);
  const at = await dequeuedAtUs(engine, type, queueId, job.jobId);
  return [at, await readyAtUs(engine, type, queueId)];
}

describe('interval', { concurrency: true }, () => {
  const h = engineForSuite();

  test('setInterval on a queue that does not exist is false and creates nothing', async () => {
    const engine = await h.newEngine();
    assert.equal(await engine.setInterval('none', 'q', 100), false);
    assert.deepEqual(await engine.reads.queueIds('none'), []);
    await enqueueJob(engine, 'none', 'other', 'j');
    assert.equal(await engine.setInterval('none', 'q', 100), false, 'another queue of the type does not count');
    assert.equal(await engine.setInterval('none', 'other', 100), true);
  });

  test('without the API, the latest enqueue sets the interval', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'latest', 'q', 'a', { intervalMs: 300 });
    await enqueueJob(engine, 'latest', 'q', 'b', { intervalMs: 300 });
    await enqueueJob(engine, 'latest', 'q', 'c', { intervalMs: 9000 });
    const [at, next] = await dequeueAndNextReady(engine, 'latest', 'q');
    assert.equal(next, at + 9_000_000);
    await enqueueJob(engine, 'latest', 'q', 'd', { intervalMs: 2000 });
    assert.equal(await readyAtUs(engine, 'latest', 'q'), at + 2_000_000, 'the new interval applies to the waiting queue at once');
  });

  test('setInterval takes effect at once: a waiting queue is rescheduled from its last dequeue', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'now', 'q', 'a', { intervalMs: 60_000 });
    await enqueueJob(engine, 'now', 'q', 'b', { intervalMs: 60_000 });
    const [at, next] = await dequeueAndNextReady(engine, 'now', 'q');
    assert.equal(next, at + 60_000_000);
    assert.equal(await engine.setInterval('now', 'q', 300), true);
    assert.equal(await readyAtUs(engine, 'now', 'q'), at + 300_000);
    const b = await pollDequeue(engine, 'now', 5000);
    assert.equal(b.jobId, 'b');
    const bAt = await dequeuedAtUs(engine, 'now', 'q', 'b');
    assert.ok(bAt - at >= 300_000, `b came ${bAt - at} us after a`);
  });

  test('setInterval can lengthen the wait of a waiting queue', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'longer', 'q', 'a', { intervalMs: 0 });
    await enqueueJob(engine, 'longer', 'q', 'b', { intervalMs: 0 });
    const [at] = await dequeueAndNextReady(engine, 'longer', 'q');
    assert.equal(await engine.setInterval('longer', 'q', 60_000), true);
    assert.equal(await readyAtUs(engine, 'longer', 'q'), at + 60_000_000);
    const empty = await engine.dequeue('longer');
    assert.equal(empty.kind, 'empty');
    assert.equal(empty.kind === 'empty' && empty.nextReadyAtMs, Math.ceil((at + 60_000_000) / 1000));
  });

  test('setInterval pins the interval: later enqueues do not overwrite it', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'pin', 'q', 'a', { intervalMs: 5000 });
    assert.equal(await engine.setInterval('pin', 'q', 400), true);
    await enqueueJob(engine, 'pin', 'q', 'b', { intervalMs: 60_000 });
    await enqueueJob(engine, 'pin', 'q', 'c', { intervalMs: 0 });
    const [at, next] = await dequeueAndNextReady(engine, 'pin', 'q');
    assert.equal(next, at + 400_000);
    await enqueueJob(engine, 'pin', 'q', 'd', { intervalMs: 60_000 });
    assert.equal(await readyAtUs(engine, 'pin', 'q'), at + 400_000, 'a later enqueue does not reschedule a pinned queue');
  });

  test('the pin holds while only active jobs are left, and is released once the queue is idle', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'release', 'q', 'a', { intervalMs: 100 });
    assert.equal(await engine.setInterval('release', 'q', 200), true);
    const [aAt, next] = await dequeueAndNextReady(engine, 'release', 'q');
    assert.equal(next, null, 'no queued job: not in the ready set');

    // Only the active job is left: the queue is still live and stays pinned.
    assert.deepEqual(await engine.reads.queueIds('release'), ['q']);
    await enqueueJob(engine, 'release', 'q', 'b', { intervalMs: 60_000 });
    assert.equal(await readyAtUs(engine, 'release', 'q'), aAt + 200_000, 'pinned 200 ms, not 60 s');
    assert.equal(await engine.finish('release', 'q', 'a'), true);
    const [bAt] = await dequeueAndNextReady(engine, 'release', 'q');
    assert.ok(bAt - aAt >= 200_000);
    assert.equal(await engine.finish('release', 'q', 'b'), true);

    // No queued and no active job: the queue is no longer live, and the pin is released.
    assert.deepEqual(await engine.reads.queueIds('release'), []);
    await enqueueJob(engine, 'release', 'q', 'c', { intervalMs: 700 });
    await enqueueJob(engine, 'release', 'q', 'd', { intervalMs: 700 });
    const [cAt, afterC] = await dequeueAndNextReady(engine, 'release', 'q');
    assert.ok(cAt - bAt >= 200_000, 'the refill still respects the old rate limit');
    assert.equal(afterC, cAt + 700_000, "the new enqueue's interval applies");
    await enqueueJob(engine, 'release', 'q', 'e', { intervalMs: 300 });
    assert.equal(await readyAtUs(engine, 'release', 'q'), cAt + 300_000, 'and is not pinned any more');
  });

  test('setInterval on an idle queue pins the interval for its next life', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'idle', 'q', 'a', { intervalMs: 0 });
    const a = await pollDequeue(engine, 'idle');
    const aAt = await dequeuedAtUs(engine, 'idle', 'q', a.jobId);
    assert.equal(await engine.finish('idle', 'q', 'a'), true);
    assert.deepEqual(await engine.reads.queueIds('idle'), [], 'idle: not listed');

    assert.equal(await engine.setInterval('idle', 'q', 60_000), true, 'an idle queue still exists');
    await enqueueJob(engine, 'idle', 'q', 'b', { intervalMs: 0 });
    assert.equal(await readyAtUs(engine, 'idle', 'q'), aAt + 60_000_000, 'the pinned interval applies from the last dequeue');
    await enqueueJob(engine, 'idle', 'q', 'c', { intervalMs: 5 });
    assert.equal(await readyAtUs(engine, 'idle', 'q'), aAt + 60_000_000, 'and later enqueues do not overwrite it');
    assert.equal((await engine.dequeue('idle')).kind, 'empty');
  });

  test('a queue idle for longer than idleQueueTtlMs and its interval is forgotten', async () => {
    const engine = await h.newEngine({ idleQueueTtlMs: 0 });
    await enqueueJob(engine, 'forgotten', 'q', 'a', { intervalMs: 0 });
    await pollDequeue(engine, 'forgotten');
    assert.equal(await engine.finish('forgotten', 'q', 'a'), true);
    assert.equal(await engine.setInterval('forgotten', 'q', 100), false);
  });

  test('the pin is released when the last job is discarded by the requeue pass', async () => {
    const engine = await h.newEngine({ jobExpireIntervalMs: 100 });
    await enqueueJob(engine, 'gone', 'q', 'a', { intervalMs: 0, requeueLimit: 0 });
    assert.equal(await engine.setInterval('gone', 'q', 150), true);
    await pollDequeue(engine, 'gone');
    await waitForExpiry(engine, 'gone');
    assert.equal((await engine.requeueType('gone')).discarded, 1);
    assert.deepEqual(await engine.reads.queueIds('gone'), []);
    await enqueueJob(engine, 'gone', 'q', 'b', { intervalMs: 900 });
    await enqueueJob(engine, 'gone', 'q', 'c', { intervalMs: 900 });
    const [bAt, next] = await dequeueAndNextReady(engine, 'gone', 'q');
    assert.equal(next, bAt + 900_000);
  });

  test('the pin survives a requeue that puts the job back', async () => {
    const engine = await h.newEngine({ jobExpireIntervalMs: 100 });
    await enqueueJob(engine, 'keep', 'q', 'a', { intervalMs: 0, requeueLimit: 1 });
    await enqueueJob(engine, 'keep', 'q', 'b', { intervalMs: 0 });
    assert.equal(await engine.setInterval('keep', 'q', 250), true);
    const [aAt] = await dequeueAndNextReady(engine, 'keep', 'q');
    await waitForExpiry(engine, 'keep');
    assert.equal((await engine.requeueType('keep')).requeued, 1);
    await enqueueJob(engine, 'keep', 'q', 'c', { intervalMs: 60_000 });
    const [againAt, next] = await dequeueAndNextReady(engine, 'keep', 'q');
    assert.ok(againAt - aAt >= 250_000);
    assert.equal(next, againAt + 250_000);
  });

  test('setInterval on a queue with only active jobs applies to its next refill', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'active', 'q', 'a', { intervalMs: 0 });
    const [aAt] = await dequeueAndNextReady(engine, 'active', 'q');
    assert.equal(await engine.setInterval('active', 'q', 60_000), true);
    await enqueueJob(engine, 'active', 'q', 'b', { intervalMs: 0 });
    assert.equal(await readyAtUs(engine, 'active', 'q'), aAt + 60_000_000);
    assert.equal((await engine.dequeue('active')).kind, 'empty');
  });
});
