import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { engineForSuite, enqueueJob } from '../helpers/engine.js';

describe('enqueue, dequeue, finish', () => {
  const h = engineForSuite();

  test('a job goes in, comes out with its fields, and is finished once', async () => {
    const engine = await h.newEngine({ defaultRequeueLimit: 4 });
    assert.deepEqual(await enqueueJob(engine, 'sms', 'q1', 'job-1', { intervalMs: 0, payload: { to: '+1555' } }), {
      kind: 'queued',
      lengthBefore: 0,
    });
    assert.deepEqual(await enqueueJob(engine, 'sms', 'q1', 'job-2'), { kind: 'queued', lengthBefore: 1 });
    assert.equal(await engine.reads.queueLength('sms', 'q1'), 2);

    const first = await engine.dequeue('sms');
    assert.deepEqual(first, {
      kind: 'job',
      queueId: 'q1',
      jobId: 'job-1',
      payloadJson: '{"to":"+1555"}',
      requeuesRemaining: 4,
      queueLength: 1,
      attempt: 1,
    });
    assert.equal(await engine.reads.queueLength('sms', 'q1'), 1);

    assert.equal(await engine.finish('sms', 'q1', 'job-1'), true);
    assert.equal(await engine.finish('sms', 'q1', 'job-1'), false, 'a finished job is no longer active');

    const second = await engine.dequeue('sms');
    assert.equal(second.kind, 'job');
    assert.equal(second.kind === 'job' && second.jobId, 'job-2');
    assert.equal(second.kind === 'job' && second.queueLength, 0);
    assert.equal(await engine.reads.queueLength('sms', 'q1'), 0);
    assert.deepEqual(await engine.dequeue('sms'), { kind: 'empty' });
    assert.equal(await engine.finish('sms', 'q1', 'job-2'), true);
  });

  test('requeue_limit given on enqueue comes back as requeuesRemaining', async () => {
    const engine = await h.newEngine({ defaultRequeueLimit: 7 });
    await enqueueJob(engine, 't', 'q', 'forever', { requeueLimit: -1 });
    await enqueueJob(engine, 't', 'q', 'never', { requeueLimit: 0 });
    await enqueueJob(engine, 't', 'q', 'three', { requeueLimit: 3 });
    await enqueueJob(engine, 't', 'q', 'default');
    const remaining: Record<string, number> = {};
    for (let i = 0; i < 4; i++) {
      const job = await engine.dequeue('t');
      assert.equal(job.kind, 'job');
      if (job.kind === 'job') remaining[job.jobId] = job.requeuesRemaining;
    }
    assert.deepEqual(remaining, { forever: -1, never: 0, three: 3, default: 7 });
  });

  test('a payload of every JSON kind comes back byte-identical', async () => {
    const engine = await h.newEngine();
    const payloads: unknown[] = [
      { hello: 'world', n: 1, nested: { list: [1, 2, { deep: true }] } },
      [1, 'two', null, false, { three: 3 }],
      'just a string',
      'pipes | inside | the | payload',
      '',
      0,
      -12.5,
      1e21,
      Number.MAX_SAFE_INTEGER,
      true,
      false,
      null,
      {},
      [],
      { unicode: 'héllo wörld – 日本語 – 😀🚀', escapes: 'quote " backslash \\ newline \n tab \t nul \u0000', lone: '\ud800' },
      { '': 'empty key', 'key with spaces': [[[[]]]], '😀': { '日本': 'キー' } },
    ];
    for (const [i, payload] of payloads.entries()) {
      assert.equal((await enqueueJob(engine, 'kinds', 'q', `job-${i}`, { payload })).kind, 'queued');
    }
    for (const [i, payload] of payloads.entries()) {
      const job = await engine.dequeue('kinds');
      assert.equal(job.kind, 'job');
      if (job.kind !== 'job') continue;
      assert.equal(job.jobId, `job-${i}`);
      assert.equal(job.payloadJson, JSON.stringify(payload), `payload ${i} is byte-identical`);
      assert.deepEqual(JSON.parse(job.payloadJson), payload);
    }
  });

  test('dequeue of a type with nothing queued is empty, for an unknown type too', async () => {
    const engine = await h.newEngine();
    assert.deepEqual(await engine.dequeue('never-used'), { kind: 'empty' });
    await enqueueJob(engine, 'used', 'q', 'j');
    assert.equal((await engine.dequeue('used')).kind, 'job');
    assert.deepEqual(await engine.dequeue('used'), { kind: 'empty' });
  });

  test('a rate-limited queue reports when it becomes ready', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'slow', 'q', 'a', { intervalMs: 60_000 });
    await enqueueJob(engine, 'slow', 'q', 'b', { intervalMs: 60_000 });
    const before = await engine.redisTimeMs();
    assert.equal((await engine.dequeue('slow')).kind, 'job');
    const after = await engine.redisTimeMs();
    const empty = await engine.dequeue('slow');
    assert.equal(empty.kind, 'empty');
    assert.ok(empty.kind === 'empty' && empty.nextReadyAtMs !== undefined, 'nextReadyAtMs is set');
    if (empty.kind === 'empty' && empty.nextReadyAtMs !== undefined) {
      assert.ok(empty.nextReadyAtMs >= before + 60_000, `${empty.nextReadyAtMs} >= ${before + 60_000}`);
      assert.ok(empty.nextReadyAtMs <= after + 60_000 + 1, `${empty.nextReadyAtMs} <= ${after + 60_001}`);
    }
  });

  test('finish of an unknown job, queue or type is false and changes nothing', async () => {
    const engine = await h.newEngine();
    assert.equal(await engine.finish('nothing', 'q', 'j'), false);
    await enqueueJob(engine, 'f', 'q', 'queued-only');
    assert.equal(await engine.finish('f', 'q', 'queued-only'), false, 'a queued, not dequeued job is not active');
    assert.equal(await engine.finish('f', 'other-queue', 'queued-only'), false);
    assert.equal(await engine.reads.queueLength('f', 'q'), 1);
    const job = await engine.dequeue('f');
    assert.equal(job.kind === 'job' && job.jobId, 'queued-only');
  });

  test('queueLength counts per queue and is 0 for an unknown queue', async () => {
    const engine = await h.newEngine();
    assert.equal(await engine.reads.queueLength('len', 'none'), 0);
    for (let i = 0; i < 5; i++) await enqueueJob(engine, 'len', 'a', `a${i}`);
    for (let i = 0; i < 2; i++) await enqueueJob(engine, 'len', 'b', `b${i}`);
    assert.equal(await engine.reads.queueLength('len', 'a'), 5);
    assert.equal(await engine.reads.queueLength('len', 'b'), 2);
    await engine.dequeue('len');
    assert.equal((await engine.reads.queueLength('len', 'a')) + (await engine.reads.queueLength('len', 'b')), 6);
  });
});
