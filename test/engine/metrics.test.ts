import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { CountsByMinute } from '../../src/engine/reads.js';
import { engineForSuite, enqueueJob, pollDequeue } from '../helpers/engine.js';

function total(counts: CountsByMinute): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Ten consecutive whole minutes in ms, the last one holding Redis's "now". */
function assertTenMinutes(counts: CountsByMinute, redisNowMs: number): void {
  const minutes = Object.keys(counts).map(Number);
  assert.equal(minutes.length, 10);
  for (const minute of minutes) assert.equal(minute % 60_000, 0, `${minute} is a whole minute in ms`);
  const sorted = [...minutes].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) assert.equal((sorted[i] as number) - (sorted[i - 1] as number), 60_000);
  const last = sorted[9] as number;
  assert.ok(last <= redisNowMs && redisNowMs - last < 2 * 60_000, `the last minute ${last} is the current one (${redisNowMs})`);
}

describe('metrics', () => {
  const h = engineForSuite();

  test('global, per-type and per-queue counts and gauges after a known sequence', async () => {
    const engine = await h.newEngine();
    const before = await engine.redisTimeMs();
    // sms: q1 x3 and q2 x2 (interval 0), slow x2 (interval 60 s); email: e1 x1.
    for (let i = 0; i < 3; i++) await enqueueJob(engine, 'sms', 'q1', `a${i}`);
    for (let i = 0; i < 2; i++) await enqueueJob(engine, 'sms', 'q2', `b${i}`);
    for (let i = 0; i < 2; i++) await enqueueJob(engine, 'sms', 'slow', `s${i}`, { intervalMs: 60_000 });
    await enqueueJob(engine, 'email', 'e1', 'm0');
    // Not counted: a duplicate and a rejected enqueue.
    assert.equal((await enqueueJob(engine, 'sms', 'q1', 'a0')).kind, 'duplicate');
    assert.equal((await enqueueJob(engine, 'sms', 'q2', 'b9', { maxQueuedLength: 2 })).kind, 'rejected');

    // Dequeue order by readiness: q1 (a0), q2 (b0), slow (s0), then q1 (a1); finish a0.
    const out = [];
    for (let i = 0; i < 4; i++) out.push(await pollDequeue(engine, 'sms'));
    assert.deepEqual(
      out.map((job) => job.jobId),
      ['a0', 'b0', 's0', 'a1'],
    );
    assert.equal(await engine.finish('sms', 'q1', 'a0'), true);
    assert.deepEqual(await engine.dequeue('never-enqueued'), { kind: 'empty' });

    const global = await engine.reads.globalMetrics();
    const now = await engine.redisTimeMs();
    assert.deepEqual(global.queueTypes, ['email', 'sms']);
    assertTenMinutes(global.enqueueCounts, now);
    assertTenMinutes(global.dequeueCounts, now);
    assert.equal(total(global.enqueueCounts), 8);
    assert.equal(total(global.dequeueCounts), 4);
    // Everything happened in the minute(s) since `before`.
    for (const [minute, count] of Object.entries(global.enqueueCounts)) {
      if (Number(minute) + 60_000 <= before) assert.equal(count, 0, `no enqueue counted in minute ${minute}`);
    }

    assert.deepEqual(await engine.reads.queueIds('sms'), ['q1', 'q2', 'slow']);
    assert.deepEqual(await engine.reads.queueIds('email'), ['e1']);
    assert.deepEqual(await engine.reads.queueIds('never-enqueued'), []);

    const q1 = await engine.reads.queueMetrics('sms', 'q1');
    assert.equal(q1.queueLength, 1);
    assertTenMinutes(q1.enqueueCounts, now);
    assert.equal(total(q1.enqueueCounts), 3);
    assert.equal(total(q1.dequeueCounts), 2);
    const q2 = await engine.reads.queueMetrics('sms', 'q2');
    assert.deepEqual([q2.queueLength, total(q2.enqueueCounts), total(q2.dequeueCounts)], [1, 2, 1]);
    const slow = await engine.reads.queueMetrics('sms', 'slow');
    assert.deepEqual([slow.queueLength, total(slow.enqueueCounts), total(slow.dequeueCounts)], [1, 2, 1]);
    const none = await engine.reads.queueMetrics('sms', 'none');
    assert.deepEqual([none.queueLength, total(none.enqueueCounts), total(none.dequeueCounts)], [0, 0, 0]);

    // sms: queued a2, b1, s1; active a1, b0, s0; ready q1, q2 (slow waits 60 s).
    assert.deepEqual(await engine.reads.typeGauges('sms'), { queued: 3, active: 3, readyQueues: 2, queues: 3, delayed: 0, deadLetters: 0, pausedQueues: 0, typePaused: 0 });
    assert.deepEqual(await engine.reads.typeGauges('email'), { queued: 1, active: 0, readyQueues: 1, queues: 1, delayed: 0, deadLetters: 0, pausedQueues: 0, typePaused: 0 });
    assert.deepEqual(await engine.reads.typeGauges('never-enqueued'), { queued: 0, active: 0, readyQueues: 0, queues: 0, delayed: 0, deadLetters: 0, pausedQueues: 0, typePaused: 0 });
  });

  test('globalMetrics sums the counts of every type per minute', async () => {
    const engine = await h.newEngine();
    for (const [type, n] of [
      ['t1', 2],
      ['t2', 3],
      ['t3', 5],
    ] as const) {
      for (let i = 0; i < n; i++) await enqueueJob(engine, type, 'q', `j${i}`);
      await pollDequeue(engine, type);
    }
    const global = await engine.reads.globalMetrics();
    assert.deepEqual(global.queueTypes, ['t1', 't2', 't3']);
    assert.equal(total(global.enqueueCounts), 10);
    assert.equal(total(global.dequeueCounts), 3);
    const perType = await Promise.all(['t1', 't2', 't3'].map((type) => engine.reads.queueMetrics(type, 'q')));
    for (const minute of Object.keys(global.enqueueCounts)) {
      const sum = perType.reduce((acc, m) => acc + (m.enqueueCounts[minute] ?? 0), 0);
      assert.equal(global.enqueueCounts[minute], sum, `minute ${minute}`);
    }
  });

  test('an engine with nothing enqueued reports no types and zero counts', async () => {
    const engine = await h.newEngine();
    const global = await engine.reads.globalMetrics();
    assert.deepEqual(global.queueTypes, []);
    assertTenMinutes(global.enqueueCounts, await engine.redisTimeMs());
    assert.equal(total(global.enqueueCounts) + total(global.dequeueCounts), 0);
  });

  test('queue_types lists the types with queued or active jobs now, not every type ever seen', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'drained', 'q', 'j');
    await enqueueJob(engine, 'waiting', 'q', 'j');
    await enqueueJob(engine, 'running', 'q', 'j');
    assert.deepEqual((await engine.reads.globalMetrics()).queueTypes, ['drained', 'running', 'waiting']);

    const drained = await pollDequeue(engine, 'drained');
    assert.equal(await engine.finish('drained', 'q', drained.jobId), true);
    await pollDequeue(engine, 'running');
    const global = await engine.reads.globalMetrics();
    assert.deepEqual(global.queueTypes, ['running', 'waiting']);
    assert.equal(total(global.enqueueCounts), 3, 'a drained type still counts in the per-minute totals');
  });
});
