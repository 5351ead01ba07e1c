import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { QueueEngine } from '../../src/engine/engine.js';
import { dequeuedAtUs, drain, engineForSuite, enqueueJob, pollDequeue, queuedIds, redisNowUs, waitForExpiry } from '../helpers/engine.js';
import { waitFor } from '../helpers/wait.js';

async function queue(engine: QueueEngine, type: string): Promise<string[]> {
  return (await drain(engine, type)).map((job) => job.jobId);
}

describe('order', { concurrency: true }, () => {
  const h = engineForSuite();

  test('jobs of one queue come out FIFO', async () => {
    const engine = await h.newEngine();
    const ids = Array.from({ length: 50 }, (_, i) => `job-${50 - i}`);
    for (const id of ids) await enqueueJob(engine, 'fifo', 'q', id);
    assert.deepEqual(await queue(engine, 'fifo'), ids);
  });

  test('a requeued job goes back to the front, ahead of jobs queued meanwhile', async () => {
    const engine = await h.newEngine({ jobExpireIntervalMs: 100 });
    for (const id of ['a', 'b', 'c']) await enqueueJob(engine, 'front', 'q', id);
    const firstTwo = [await engine.dequeue('front'), await engine.dequeue('front')];
    assert.deepEqual(
      firstTwo.map((job) => job.kind === 'job' && job.jobId),
      ['a', 'b'],
    );
    await enqueueJob(engine, 'front', 'q', 'd');
    await waitForExpiry(engine, 'front');
    assert.deepEqual(await engine.requeueType('front'), { requeued: 2, discarded: 0, calls: 1 });
    assert.deepEqual(await queuedIds(engine, 'front', 'q'), ['a', 'b', 'c', 'd'], 'a and b back at the head, in order');
    assert.deepEqual(await queue(engine, 'front'), ['a', 'b', 'c', 'd']);
  });

  test('jobs requeued from several queues each go to the front of their own queue', async () => {
    const engine = await h.newEngine({ jobExpireIntervalMs: 100 });
    for (const q of ['x', 'y']) for (const n of [1, 2, 3]) await enqueueJob(engine, 'own', q, `${q}${n}`);
    // x1, y1, x2, y2 leave (interval 0: the queues alternate); x3 and y3 stay queued.
    const out = [];
    for (let i = 0; i < 4; i++) out.push(await engine.dequeue('own'));
    assert.deepEqual(
      out.map((job) => job.kind === 'job' && job.jobId),
      ['x1', 'y1', 'x2', 'y2'],
    );
    await waitForExpiry(engine, 'own');
    assert.equal((await engine.requeueType('own')).requeued, 4);
    assert.deepEqual(await queuedIds(engine, 'own', 'x'), ['x1', 'x2', 'x3']);
    assert.deepEqual(await queuedIds(engine, 'own', 'y'), ['y1', 'y2', 'y3']);
  });

  test('queues of a type take turns: A, B, C, A, B, C', async () => {
    const engine = await h.newEngine();
    for (const round of [1, 2, 3]) {
      for (const q of ['A', 'B', 'C']) await enqueueJob(engine, 'turns', q, `${q}${round}`);
    }
    assert.deepEqual(await queue(engine, 'turns'), ['A1', 'B1', 'C1', 'A2', 'B2', 'C2', 'A3', 'B3', 'C3']);
  });

  test('turns follow when each queue became ready, not its name', async () => {
    const engine = await h.newEngine();
    for (const q of ['zeta', 'alpha', 'mid']) {
      await enqueueJob(engine, 'names', q, `${q}-1`);
      await enqueueJob(engine, 'names', q, `${q}-2`);
    }
    assert.deepEqual(await queue(engine, 'names'), ['zeta-1', 'alpha-1', 'mid-1', 'zeta-2', 'alpha-2', 'mid-2']);
  });

  test('the queue that has been ready longest goes first', async () => {
    const engine = await h.newEngine();
    const interval = 400;
    // P: dequeued at t0, ready again at t0 + 400 ms.
    await enqueueJob(engine, 'longest', 'P', 'p1', { intervalMs: interval });
    await enqueueJob(engine, 'longest', 'P', 'p2', { intervalMs: interval });
    const p1 = await pollDequeue(engine, 'longest');
    assert.equal(p1.jobId, 'p1');
    const t0 = await dequeuedAtUs(engine, 'longest', 'P', 'p1');
    // Q: ready right after t0.
    await enqueueJob(engine, 'longest', 'Q', 'q1');
    await waitFor(async () => (await redisNowUs(engine.redis)) > t0 + interval * 1000, { what: 'P to be ready again' });
    // R: ready after P.
    await enqueueJob(engine, 'longest', 'R', 'r1');
    assert.deepEqual(await queue(engine, 'longest'), ['q1', 'p2', 'r1']);
  });

  test('a queue waiting for its interval is passed over, then served in turn', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'wait', 'slow', 's1', { intervalMs: 500 });
    await enqueueJob(engine, 'wait', 'slow', 's2', { intervalMs: 500 });
    assert.equal((await pollDequeue(engine, 'wait')).jobId, 's1');
    await enqueueJob(engine, 'wait', 'fast', 'f1');
    assert.deepEqual(await queue(engine, 'wait'), ['f1']);
    assert.equal((await pollDequeue(engine, 'wait')).jobId, 's2');
  });
});

describe('order after an interval change', () => {
  const h = engineForSuite();

  test('a shorter interval on a refilled queue does not move it ahead of queues ready before it', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'fair', 'p', 'p1', { intervalMs: 0 });
    const first = await engine.dequeue('fair');
    assert.equal(first.kind === 'job' && first.jobId, 'p1');
    const dequeuedAt = await dequeuedAtUs(engine, 'fair', 'p', 'p1');
    // Q becomes ready more than 200 ms after P's dequeue; then P is refilled.
    await waitFor(async () => (await redisNowUs(h.redis)) > dequeuedAt + 250_000, { what: '250 ms on Redis' });
    await enqueueJob(engine, 'fair', 'q', 'q1', { intervalMs: 0 });
    await enqueueJob(engine, 'fair', 'p', 'p2', { intervalMs: 0 });
    // A new interval for P: last dequeue + 200 ms lies before Q's ready time, yet Q has waited longer.
    await enqueueJob(engine, 'fair', 'p', 'p3', { intervalMs: 200 });
    const next = await engine.dequeue('fair');
    assert.equal(next.kind === 'job' && next.queueId, 'q');
  });
});
