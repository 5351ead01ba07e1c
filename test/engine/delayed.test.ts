// Delayed jobs (SPEC 5.6) on a real Redis: never handed out before their time on Redis's clock,
// FIFO by due time, counted for duplicates and max_queued_length, promoted in bounded steps.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { QueueEngine } from '../../src/engine/engine.js';
import { typeKeys } from '../../src/engine/keys.js';
import { ValidationError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { DelayedPromoter } from '../../src/process/delayed-promoter.js';
import {
  dequeuedAtUs,
  drain,
  enqueueJob,
  pollDequeue,
  redisNowUs,
  setDueTimes,
  startEngine,
  type EngineHarness,
} from '../helpers/engine.js';
import { waitFor } from '../helpers/wait.js';

function enqueueDelayed(engine: QueueEngine, queueType: string, queueId: string, jobId: string, delayMs: number, intervalMs = 0) {
  return engine.enqueue({ queueType, queueId, jobId, intervalMs, payload: { job: jobId }, delayMs });
}

/** The due time (us, Redis clock) the enqueue gave the delayed job. */
async function dueAtUs(engine: QueueEngine, queueType: string, queueId: string, jobId: string): Promise<number> {
  const score = await engine.redis.zscore(typeKeys(engine.options.keyPrefix, queueType).delayed, `${queueId}:${jobId}`);
  assert.notEqual(score, null, `${queueId}:${jobId} is delayed`);
  return Number(score);
}

async function waitUntilRedisUs(engine: QueueEngine, us: number): Promise<void> {
  await waitFor(async () => (await redisNowUs(engine.redis)) > us, { what: `Redis time past ${us}`, intervalMs: 5 });
}

describe('delayed jobs', { concurrency: true }, () => {
  let h: EngineHarness;
  before(async () => {
    h = await startEngine();
  });
  after(async () => {
    await h?.stop();
  });

  test('never handed out before enqueue time + delay_ms on Redis clock, and at once after it', async () => {
    const engine = await h.newEngine();
    const before = await redisNowUs(engine.redis);
    assert.deepEqual(await enqueueDelayed(engine, 'd', 'q', 'j', 300), { kind: 'queued', lengthBefore: 0 });
    const due = await dueAtUs(engine, 'd', 'q', 'j');
    assert.ok(due >= before + 300_000, 'due no earlier than the Redis time of the enqueue + delay');
    // Poll hard until it comes out: never early.
    const job = await pollDequeue(engine, 'd', 10_000, 2);
    assert.equal(job.jobId, 'j');
    assert.equal(job.payloadJson, '{"job":"j"}');
    assert.ok((await dequeuedAtUs(engine, 'd', 'q', 'j')) >= due, 'dequeued at or after its due time');

    // Once due, the very next dequeue hands it out: no timer or requeue pass is needed.
    await enqueueDelayed(engine, 'd', 'q', 'k', 50);
    await waitUntilRedisUs(engine, await dueAtUs(engine, 'd', 'q', 'k'));
    const k = await engine.dequeue('d');
    assert.equal(k.kind === 'job' && k.jobId, 'k');
  });

  test('dequeue says when the earliest delayed job comes due', async () => {
    const engine = await h.newEngine();
    await enqueueDelayed(engine, 'w', 'q', 'late', 60_000);
    await enqueueDelayed(engine, 'w', 'q', 'soon', 20_000);
    const due = await dueAtUs(engine, 'w', 'q', 'soon');
    assert.deepEqual(await engine.dequeue('w'), { kind: 'empty', nextReadyAtMs: Math.ceil(due / 1000) });
  });

  test('FIFO by due time: jobs join the tail of their queue in the order they come due', async () => {
    const engine = await h.newEngine({}, { ownConnection: true });
    // Delays far apart, so a loaded machine is unlikely to reorder them (the order expected is still
    // read from the due times Redis gave them).
    await enqueueDelayed(engine, 'f', 'q', 'late', 3000);
    await enqueueDelayed(engine, 'f', 'q', 'early', 1500);
    await enqueueJob(engine, 'f', 'q', 'now');
    assert.deepEqual((await drain(engine, 'f')).map((j) => j.jobId), ['now']);
    const dues = { late: await dueAtUs(engine, 'f', 'q', 'late'), early: await dueAtUs(engine, 'f', 'q', 'early') };
    await waitUntilRedisUs(engine, Math.max(dues.late, dues.early));
    // Both are due; a job enqueued now comes after them (enqueue promotes what is due first).
    await enqueueJob(engine, 'f', 'q', 'after');
    const byDue = dues.early <= dues.late ? ['early', 'late'] : ['late', 'early'];
    assert.deepEqual((await drain(engine, 'f')).map((j) => j.jobId), [...byDue, 'after']);
  });

  test('a delayed job id counts as a duplicate, and for max_queued_length', async () => {
    const engine = await h.newEngine();
    await enqueueDelayed(engine, 'dup', 'q', 'j', 60_000);
    assert.equal((await enqueueJob(engine, 'dup', 'q', 'j')).kind, 'duplicate');
    assert.equal((await enqueueDelayed(engine, 'dup', 'q', 'j', 10)).kind, 'duplicate');
    await enqueueJob(engine, 'dup', 'q', 'k');
    assert.deepEqual(await enqueueJob(engine, 'dup', 'q', 'l', { maxQueuedLength: 2 }), { kind: 'rejected', lengthBefore: 2 });
    assert.deepEqual(
      await engine.enqueue({ queueType: 'dup', queueId: 'q', jobId: 'l', intervalMs: 0, payload: 1, delayMs: 5, maxQueuedLength: 2 }),
      { kind: 'rejected', lengthBefore: 2 },
    );
    assert.equal((await enqueueJob(engine, 'dup', 'q', 'l', { maxQueuedLength: 3 })).kind, 'queued');
  });

  test('a queue holding only delayed jobs keeps its interval past the idle TTL', async () => {
    const engine = await h.newEngine({ idleQueueTtlMs: 1 });
    await enqueueJob(engine, 'iv', 'q', 'a', { intervalMs: 400 });
    await pollDequeue(engine, 'iv');
    assert.equal(await engine.finish('iv', 'q', 'a'), true);
    await enqueueDelayed(engine, 'iv', 'q', 'b', 10, 400);
    await enqueueDelayed(engine, 'iv', 'q', 'c', 20, 400);
    const first = await pollDequeue(engine, 'iv', 10_000, 2);
    const second = await pollDequeue(engine, 'iv', 10_000, 2);
    assert.deepEqual([first.jobId, second.jobId], ['b', 'c']);
    const gap = (await dequeuedAtUs(engine, 'iv', 'q', 'c')) - (await dequeuedAtUs(engine, 'iv', 'q', 'b'));
    assert.ok(gap >= 400_000, `the rate limit holds for promoted jobs: ${gap} us apart`);
  });

  test('promotion is bounded per call: a dequeue moves at most 20 due jobs, promoteDue the rest in batches', async () => {
    const engine = await h.newEngine();
    const t = typeKeys(engine.options.keyPrefix, 'bulk');
    await Promise.all(Array.from({ length: 1200 }, (_, i) => enqueueDelayed(engine, 'bulk', `q${i % 7}`, `j${i}`, 60_000)));
    // Make all 1200 due at once (due times in the past, in enqueue order).
    await setDueTimes(engine, 'bulk', Array.from({ length: 1200 }, (_, i): [number, string] => [i + 1, `q${i % 7}:j${i}`]));
    assert.equal((await engine.dequeue('bulk')).kind, 'job');
    assert.equal(await engine.redis.zcard(t.delayed), 1200 - 20, 'one dequeue promoted 20');
    const result = await engine.lifecycle.promoteDue('bulk');
    assert.equal(result.promoted, 1180);
    assert.equal(result.nextDueAtMs, undefined);
    assert.equal(await engine.redis.zcard(t.delayed), 0);
    assert.equal(await engine.redis.exists(t.delayedCounts), 0, 'per-queue counts are gone with the jobs');
    const rest = await drain(engine, 'bulk');
    assert.equal(rest.length, 1199);
    // Within each queue, in due order.
    const q0 = rest.filter((j) => j.queueId === 'q0').map((j) => Number(j.jobId.slice(1)));
    assert.deepEqual(q0, [...q0].sort((a, b) => a - b));
  });

  test('the leader promoter moves due jobs without any dequeue', async () => {
    const engine = await h.newEngine();
    const promoted: number[] = [];
    const promoter = new DelayedPromoter(engine, createLogger('error', 'test'), { onPromoted: (_type, n) => promoted.push(n) });
    await enqueueDelayed(engine, 'bg', 'q', 'j', 200);
    promoter.start();
    try {
      // The promoter reports after its script returns: wait for the report, not only the effect.
      await waitFor(async () => promoted.length > 0 && (await engine.reads.queueLength('bg', 'q')) === 1, {
        what: 'the job promoted and reported',
        intervalMs: 10,
      });
      assert.deepEqual(promoted, [1]);
    } finally {
      await promoter.stop();
    }
  });

  test('deletequeue keeps delayed jobs; with purge_all they go too', async () => {
    const engine = await h.newEngine();
    const t = typeKeys(engine.options.keyPrefix, 'del');
    await enqueueDelayed(engine, 'del', 'q', 'd', 60_000);
    await enqueueJob(engine, 'del', 'q', 'n');
    assert.deepEqual(await engine.clearQueue('del', 'q', false), { queuedRemoved: 1, activeRemoved: 0 });
    assert.equal(await engine.redis.zcard(t.delayed), 1);
    assert.equal((await enqueueDelayed(engine, 'del', 'q', 'd', 5)).kind, 'duplicate');
    assert.deepEqual(await engine.clearQueue('del', 'q', true), { queuedRemoved: 0, activeRemoved: 1 });
    assert.equal(await engine.redis.zcard(t.delayed), 0);
    assert.equal(await engine.redis.hlen(t.queues), 0);
    assert.equal((await enqueueDelayed(engine, 'del', 'q', 'd', 5)).kind, 'queued');
  });

  test('delay_ms must be an integer from 0 to 30 days', async () => {
    const engine = await h.newEngine();
    for (const bad of [-1, 30 * 24 * 3600 * 1000 + 1, 1.5, '10', true, null, 2 ** 53]) {
      await assert.rejects(
        engine.enqueue({ queueType: 'v', queueId: 'q', jobId: 'j', intervalMs: 0, payload: 1, delayMs: bad as number }),
        (error: unknown) => error instanceof ValidationError && error.field === 'delay_ms',
        `delay_ms ${String(bad)}`,
      );
    }
    assert.equal((await enqueueDelayed(engine, 'v', 'q', 'max', 30 * 24 * 3600 * 1000)).kind, 'queued');
    assert.equal((await enqueueDelayed(engine, 'v', 'q', 'zero', 0)).kind, 'queued');
    assert.equal((await engine.dequeue('v')).kind, 'job', 'delay_ms 0 is not delayed');
  });
});
