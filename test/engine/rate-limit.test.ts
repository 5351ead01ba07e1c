import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { QueueEngine } from '../../src/engine/engine.js';
import { dequeuedAtUs, engineForSuite, enqueueJob, pollDequeue, redisNowUs, waitForExpiry } from '../helpers/engine.js';
import { waitFor } from '../helpers/wait.js';

function assertGapsAtLeast(timesUs: number[], intervalMs: number, what: string): void {
  for (let i = 1; i < timesUs.length; i++) {
    const gap = (timesUs[i] as number) - (timesUs[i - 1] as number);
    assert.ok(gap >= intervalMs * 1000, `${what}: dequeue ${i} came ${gap} us after the previous one (< ${intervalMs} ms)`);
  }
}

/** Dequeues one job, records when it left on Redis's clock, finishes it. */
async function dequeueFinishAt(engine: QueueEngine, type: string, timeoutMs = 10_000): Promise<number> {
  const job = await pollDequeue(engine, type, timeoutMs, 2);
  const at = await dequeuedAtUs(engine, type, job.queueId, job.jobId);
  assert.equal(await engine.finish(type, job.queueId, job.jobId), true);
  return at;
}

describe('rate limit', { concurrency: true }, () => {
  const h = engineForSuite();

  test('successive dequeues of one queue are >= interval apart (tight loop, two pollers)', async () => {
    const engine = await h.newEngine();
    const other = await h.newEngine({ keyPrefix: engine.options.keyPrefix }, { ownConnection: true });
    const interval = 300;
    for (let i = 0; i < 20; i++) await enqueueJob(engine, 'tight', 'q', `j${i}`, { intervalMs: interval });

    const times: number[] = [];
    const deadline = Date.now() + 1500;
    const poll = async (e: QueueEngine): Promise<void> => {
      while (Date.now() < deadline) {
        const job = await e.dequeue('tight');
        if (job.kind === 'job') times.push(await dequeuedAtUs(e, 'tight', job.queueId, job.jobId));
        else await new Promise<void>((resolve) => setImmediate(resolve));
      }
    };
    await Promise.all([poll(engine), poll(other)]);
    times.sort((a, b) => a - b);
    assert.ok(times.length >= 3, `the queue kept handing out jobs (${times.length} in 1.5 s)`);
    assertGapsAtLeast(times, interval, 'tight loop');
    assert.equal(times.length + (await engine.reads.queueLength('tight', 'q')), 20, 'no job lost or handed out twice');
  });

  test('a queue that drains (finish) and refills after the expire interval still waits its interval', async () => {
    const engine = await h.newEngine({ jobExpireIntervalMs: 100 });
    const interval = 800;
    await enqueueJob(engine, 'refill', 'q', 'first', { intervalMs: interval });
    const first = await dequeueFinishAt(engine, 'refill');
    // Let every job-expiry based marker lapse (the original forgets the last dequeue here).
    await waitFor(async () => (await redisNowUs(engine.redis)) > first + 150_000, { what: '150 ms on Redis' });
    assert.equal((await enqueueJob(engine, 'refill', 'q', 'second', { intervalMs: interval })).kind, 'queued');
    const second = await dequeueFinishAt(engine, 'refill');
    assertGapsAtLeast([first, second], interval, 'drain and refill');
  });

  test('a queue that drains and refills with a longer interval waits the new interval from its last dequeue', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'longer', 'q', 'first', { intervalMs: 50 });
    const first = await dequeueFinishAt(engine, 'longer');
    await waitFor(async () => (await redisNowUs(engine.redis)) > first + 100_000, { what: 'the old interval to pass' });
    await enqueueJob(engine, 'longer', 'q', 'second', { intervalMs: 700 });
    const second = await dequeueFinishAt(engine, 'longer');
    assertGapsAtLeast([first, second], 700, 'refill with a longer interval');
  });

  test('a queue whose only job expired and was requeued still waits its interval', async () => {
    const engine = await h.newEngine({ jobExpireIntervalMs: 100 });
    const interval = 800;
    await enqueueJob(engine, 'expired', 'q', 'job', { intervalMs: interval, requeueLimit: 3 });
    const job = await pollDequeue(engine, 'expired');
    const first = await dequeuedAtUs(engine, 'expired', job.queueId, job.jobId);
    await waitForExpiry(engine, 'expired');
    assert.equal((await engine.requeueType('expired')).requeued, 1);
    const second = await dequeueFinishAt(engine, 'expired');
    assertGapsAtLeast([first, second], interval, 'expiry and requeue');
  });

  test('a queue whose only job was discarded at expiry, then refilled, still waits its interval', async () => {
    const engine = await h.newEngine({ jobExpireIntervalMs: 100 });
    const interval = 800;
    await enqueueJob(engine, 'discarded', 'q', 'job', { intervalMs: interval, requeueLimit: 0 });
    const job = await pollDequeue(engine, 'discarded');
    const first = await dequeuedAtUs(engine, 'discarded', job.queueId, job.jobId);
    await waitForExpiry(engine, 'discarded');
    assert.equal((await engine.requeueType('discarded')).discarded, 1);
    await enqueueJob(engine, 'discarded', 'q', 'next', { intervalMs: interval });
    const second = await dequeueFinishAt(engine, 'discarded');
    assertGapsAtLeast([first, second], interval, 'discard and refill');
  });

  test('a queue purged while its job ran, then refilled, still waits its interval', async () => {
    const engine = await h.newEngine();
    const interval = 800;
    await enqueueJob(engine, 'purged', 'q', 'job', { intervalMs: interval });
    const job = await pollDequeue(engine, 'purged');
    const first = await dequeuedAtUs(engine, 'purged', job.queueId, job.jobId);
    assert.deepEqual(await engine.clearQueue('purged', 'q', true), { queuedRemoved: 0, activeRemoved: 1 });
    await enqueueJob(engine, 'purged', 'q', 'next', { intervalMs: interval });
    const second = await dequeueFinishAt(engine, 'purged');
    assertGapsAtLeast([first, second], interval, 'purge and refill');
  });

  test('a queue refilled while its job is still active waits its interval', async () => {
    const engine = await h.newEngine();
    const interval = 600;
    await enqueueJob(engine, 'busy', 'q', 'a', { intervalMs: interval });
    const a = await pollDequeue(engine, 'busy');
    const first = await dequeuedAtUs(engine, 'busy', a.queueId, a.jobId);
    await enqueueJob(engine, 'busy', 'q', 'b', { intervalMs: interval });
    assert.equal(await engine.finish('busy', 'q', 'a'), true);
    const second = await dequeueFinishAt(engine, 'busy');
    assertGapsAtLeast([first, second], interval, 'refill while active');
  });

  test('interval 0 hands jobs out back to back', async () => {
    const engine = await h.newEngine();
    for (let i = 0; i < 10; i++) await enqueueJob(engine, 'zero', 'q', `j${i}`, { intervalMs: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const job = await engine.dequeue('zero');
      assert.equal(job.kind, 'job', `dequeue ${i} got a job without waiting`);
      if (job.kind === 'job') ids.push(job.jobId);
    }
    assert.deepEqual(ids, Array.from({ length: 10 }, (_, i) => `j${i}`));
  });

  test('a rate-limited queue does not hold back the other queues of its type', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'mixed', 'slow', 's1', { intervalMs: 60_000 });
    await enqueueJob(engine, 'mixed', 'slow', 's2', { intervalMs: 60_000 });
    for (let i = 0; i < 5; i++) await enqueueJob(engine, 'mixed', 'fast', `f${i}`, { intervalMs: 0 });
    const ids: string[] = [];
    for (;;) {
      const job = await engine.dequeue('mixed');
      if (job.kind === 'empty') break;
      ids.push(job.jobId);
    }
    assert.deepEqual(ids, ['s1', 'f0', 'f1', 'f2', 'f3', 'f4']);
    assert.equal(await engine.reads.queueLength('mixed', 'slow'), 1);
  });
});
