// Flow control (SPEC 5.14) on a real Redis: pause and resume of a queue and of a type, holds,
// max_active per queue and per type, and the type's token bucket, single and batch.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { QueueEngine } from '../../src/engine/engine.js';
import { typeKeys } from '../../src/engine/keys.js';
import { ValidationError } from '../../src/errors.js';
import { drain, engineForSuite, enqueueJob, pollDequeue, queuedIds, readyAtUs, redisNowUs, waitForExpiry } from '../helpers/engine.js';

const h = engineForSuite();

async function enqueueMany(e: QueueEngine, queueType: string, queueId: string, ids: string[], extra: Record<string, unknown> = {}) {
  for (const jobId of ids) {
    await e.enqueue({ queueType, queueId, jobId, intervalMs: 0, payload: { jobId }, ...extra });
  }
}

describe('pause and resume a queue', () => {
  test('a paused queue hands out nothing, still takes enqueues, and resume makes its jobs available at once', async () => {
    const e = await h.newEngine();
    await enqueueMany(e, 'p', 'paused', ['a', 'b']);
    await enqueueMany(e, 'p', 'other', ['c']);
    assert.equal(await e.flow.pause('p', 'paused', undefined), null, 'until resumed');
    assert.equal(await readyAtUs(e, 'p', 'paused'), null, 'out of the ready set');
    await enqueueMany(e, 'p', 'paused', ['d']);
    assert.deepEqual(await queuedIds(e, 'p', 'paused'), ['a', 'b', 'd'], 'enqueues are kept');
    assert.deepEqual((await drain(e, 'p')).map((j) => j.jobId), ['c'], 'other queues go on');
    assert.deepEqual(await e.flow.queueLimits('p', 'paused'), { intervalMs: 0, maxActive: null, paused: true, pausedUntilMs: null });
    await e.flow.resume('p', 'paused');
    assert.deepEqual((await drain(e, 'p')).map((j) => j.jobId), ['a', 'b', 'd']);
    assert.equal((await e.flow.queueLimits('p', 'paused')).paused, false);
  });

  test('active jobs of a paused queue are finished, failed and touched; its expiries are requeued', async () => {
    const e = await h.newEngine({ jobExpireIntervalMs: 1500 });
    await enqueueMany(e, 'pa', 'q', ['a', 'b', 'c']);
    const a = await pollDequeue(e, 'pa');
    const b = await pollDequeue(e, 'pa');
    const c = await pollDequeue(e, 'pa');
    await e.flow.pause('pa', 'q', undefined);
    assert.equal(await e.finish('pa', 'q', a.jobId), true);
    assert.equal((await e.fail('pa', 'q', b.jobId))?.outcome, 'retry');
    assert.notEqual(await e.lifecycle.touch('pa', 'q', c.jobId, 60_000), undefined);
    assert.equal(await e.finish('pa', 'q', c.jobId), true);
    assert.deepEqual(await queuedIds(e, 'pa', 'q'), ['b']);
    assert.equal((await e.dequeue('pa')).kind, 'empty', 'the failed job waits for the resume');
    await e.enqueue({ queueType: 'pa', queueId: 'q2', jobId: 'x', intervalMs: 0, payload: 1 });
    const x = await pollDequeue(e, 'pa');
    await e.flow.pause('pa', 'q2', undefined);
    await waitForExpiry(e, 'pa', 10_000);
    await e.requeue();
    assert.deepEqual(await queuedIds(e, 'pa', 'q2'), [x.jobId], 'the expired job is back in its paused queue');
    assert.equal((await e.dequeue('pa')).kind, 'empty');
  });

  test('a pause for_ms ends by itself; a queue may be paused before its first job', async () => {
    const e = await h.newEngine();
    const before = await redisNowUs(e.redis);
    const until = await e.flow.pause('pt', 'new', 400);
    assert.ok(until !== null && until >= before / 1000 + 400 && until <= before / 1000 + 2000);
    await enqueueMany(e, 'pt', 'new', ['a']);
    assert.equal((await e.dequeue('pt')).kind, 'empty');
    const limits = await e.flow.queueLimits('pt', 'new');
    assert.deepEqual([limits.paused, limits.pausedUntilMs], [true, until]);
    const empty = await e.dequeue('pt');
    assert.ok(empty.kind === 'empty' && empty.nextReadyAtMs !== undefined && empty.nextReadyAtMs >= until, 'waiters are told when it ends');
    const job = await pollDequeue(e, 'pt', 10_000, 20);
    assert.ok((await redisNowUs(e.redis)) / 1000 >= until);
    assert.equal(job.jobId, 'a');
    assert.equal((await e.flow.queueLimits('pt', 'new')).paused, false);
  });

  test('a paused queue with no job stays paused beyond the idle TTL; resume lets it go idle', async () => {
    const e = await h.newEngine({ idleQueueTtlMs: 50 });
    await enqueueMany(e, 'pi', 'q', ['a']);
    await e.flow.pause('pi', 'q', undefined);
    await e.clearQueue('pi', 'q', true);
    assert.equal((await e.flow.queueLimits('pi', 'q')).paused, true, 'a purge keeps the pause');
    await enqueueMany(e, 'pi', 'q', ['b']);
    assert.equal((await e.dequeue('pi')).kind, 'empty');
    await e.flow.resume('pi', 'q');
    assert.equal((await pollDequeue(e, 'pi')).jobId, 'b');
    assert.equal(await e.finish('pi', 'q', 'b'), true);
    assert.equal(await e.redis.hexists(typeKeys(e.options.keyPrefix, 'pi').queues, 'q'), 0, 'idle again');
    assert.equal(await e.redis.zcard(typeKeys(e.options.keyPrefix, 'pi').paused), 0);
  });

  test('a fail with hold_queue_ms pauses its queue for that long in the same step, never shortening a pause', async () => {
    const e = await h.newEngine();
    await enqueueMany(e, 'ph', 'q', ['a', 'b']);
    await pollDequeue(e, 'ph');
    const before = await redisNowUs(e.redis);
    await e.fail('ph', 'q', 'a', { holdQueueMs: 60_000 });
    const held = await e.flow.queueLimits('ph', 'q');
    assert.ok(held.paused && held.pausedUntilMs !== null && held.pausedUntilMs >= before / 1000 + 60_000);
    await e.flow.pause('ph', 'q', undefined);
    await e.flow.resume('ph', 'q');
    assert.deepEqual((await drain(e, 'ph')).map((j) => j.jobId), ['a', 'b'], 'resume ends a hold too');
    await e.flow.pause('ph', 'q', undefined);
    await e.fail('ph', 'q', 'a', { holdQueueMs: 1 });
    assert.deepEqual(await e.flow.queueLimits('ph', 'q'), { intervalMs: 0, maxActive: null, paused: true, pausedUntilMs: null });
  });
});

describe('pause and resume a type', () => {
  test('every queue of a paused type hands out nothing and says so; enqueues go on; resume frees them', async () => {
    const e = await h.newEngine();
    await enqueueMany(e, 'tp', 'q1', ['a']);
    await enqueueMany(e, 'tp', 'q2', ['b']);
    assert.equal(await e.flow.pause('tp', undefined, undefined), null);
    await enqueueMany(e, 'tp', 'q3', ['c']);
    const refused = await e.dequeue('tp');
    assert.deepEqual(refused, { kind: 'empty', refusedBy: 'type_paused' });
    const batch = await e.batch.dequeue('tp', 10);
    assert.equal(batch.jobs.length, 0);
    assert.equal(batch.refusedBy, 'type_paused');
    const limits = await e.flow.typeLimits('tp');
    assert.deepEqual(limits, { maxActive: null, ratePerS: null, burst: null, paused: true, pausedUntilMs: null });
    await e.flow.resume('tp', undefined);
    assert.deepEqual((await drain(e, 'tp')).map((j) => j.jobId).sort(), ['a', 'b', 'c']);
  });

  test('a type paused for_ms tells when it ends, and an empty type is not counted as refused', async () => {
    const e = await h.newEngine();
    const until = await e.flow.pause('tpt', undefined, 60_000);
    assert.deepEqual(await e.dequeue('tpt'), { kind: 'empty' }, 'nothing ready: not a refusal');
    await enqueueMany(e, 'tpt', 'q', ['a']);
    const refused = await e.dequeue('tpt');
    assert.deepEqual(refused, { kind: 'empty', nextReadyAtMs: until, refusedBy: 'type_paused' });
  });
});

describe('max_active per queue', () => {
  test('at most max_active of a queue active; a finish, a fail or an expiry makes it ready again', async () => {
    // Long enough that no lease runs out before the test ends it on a loaded machine.
    const e = await h.newEngine({ jobExpireIntervalMs: 1500 });
    await enqueueMany(e, 'ma', 'q', ['a', 'b', 'c', 'd', 'e'], { maxActive: 2 });
    await enqueueMany(e, 'ma', 'other', ['x']);
    const out = await drain(e, 'ma');
    assert.deepEqual(out.map((j) => j.jobId).sort(), ['a', 'b', 'x']);
    assert.equal(await readyAtUs(e, 'ma', 'q'), null, 'at its limit it leaves the ready set');
    assert.equal(await e.finish('ma', 'q', 'a'), true);
    assert.deepEqual((await drain(e, 'ma')).map((j) => j.jobId), ['c'], 'a finish frees one slot');
    assert.equal((await e.fail('ma', 'q', 'b', { retryInMs: 60_000 }))?.outcome, 'retry');
    assert.deepEqual((await drain(e, 'ma')).map((j) => j.jobId), ['d'], 'a fail frees one');
    await waitForExpiry(e, 'ma');
    await e.requeue();
    const back = await drain(e, 'ma');
    assert.deepEqual(back.filter((j) => j.queueId === 'q').map((j) => j.jobId), ['c', 'd'], 'the expiries free both slots');
  });

  test('the latest enqueue sets it unless pinned by the limits API; null removes the limit', async () => {
    const e = await h.newEngine();
    await enqueueMany(e, 'mp', 'q', ['a', 'b', 'c'], { maxActive: 1 });
    assert.equal((await drain(e, 'mp')).length, 1);
    await enqueueMany(e, 'mp', 'q', ['d'], { maxActive: 3 });
    assert.equal((await drain(e, 'mp')).length, 2, 'raised by the latest enqueue: the queue is ready again at once');
    assert.equal(await e.flow.setQueueLimits('mp', 'q', { maxActive: 5 }), true);
    await enqueueMany(e, 'mp', 'q', ['e', 'f']);
    assert.deepEqual(await e.flow.queueLimits('mp', 'q'), { intervalMs: 0, maxActive: 5, paused: false, pausedUntilMs: null });
    assert.equal((await drain(e, 'mp')).length, 2, 'pinned: an enqueue without max_active does not remove it');
    assert.equal(await e.flow.setQueueLimits('mp', 'q', { maxActive: null, interval: 250 }), true);
    assert.deepEqual(await e.flow.queueLimits('mp', 'q'), { intervalMs: 250, maxActive: null, paused: false, pausedUntilMs: null });
    assert.equal(await e.flow.setQueueLimits('mp', 'nope', { maxActive: 2 }), false, 'an unknown queue');
    await assert.rejects(e.flow.setQueueLimits('mp', 'q', { maxActive: 0 }), ValidationError);
    await assert.rejects(e.enqueue({ queueType: 'mp', queueId: 'q', jobId: 'z', intervalMs: 0, payload: 1, maxActive: 1_000_001 }), ValidationError);
  });

  test('a lowered limit takes the queue out at its next pop; batch dequeue stops at the limit', async () => {
    const e = await h.newEngine();
    await enqueueMany(e, 'mb', 'q', ['a', 'b', 'c', 'd'], { maxActive: 3 });
    const batch = await e.batch.dequeue('mb', 10);
    assert.deepEqual(batch.jobs.map((j) => j.jobId), ['a', 'b', 'c'], 'one call, and no more than max_active');
    await e.flow.setQueueLimits('mb', 'q', { maxActive: 1 });
    for (const id of ['a', 'b']) await e.finish('mb', 'q', id);
    assert.equal((await e.dequeue('mb')).kind, 'empty', 'still 1 active of 1');
    await e.finish('mb', 'q', 'c');
    assert.equal((await pollDequeue(e, 'mb')).jobId, 'd');
  });
});

describe('type-wide limits', () => {
  test('max_active over all queues of the type; a freed slot lets the next out', async () => {
    const e = await h.newEngine();
    for (const q of ['q1', 'q2', 'q3']) await enqueueMany(e, 'tm', q, [`${q}-a`, `${q}-b`]);
    await e.flow.setTypeLimits('tm', { maxActive: 2 });
    const batch = await e.batch.dequeue('tm', 10);
    assert.equal(batch.jobs.length, 2);
    assert.equal(batch.refusedBy, 'type_max_active');
    assert.deepEqual(await e.dequeue('tm'), { kind: 'empty', refusedBy: 'type_max_active' });
    const first = batch.jobs[0];
    assert.ok(first);
    assert.equal(await e.finish('tm', first.queueId, first.jobId), true);
    assert.equal((await e.dequeue('tm')).kind, 'job');
    assert.equal((await e.dequeue('tm')).kind, 'empty');
    await e.flow.setTypeLimits('tm', { maxActive: null });
    assert.equal((await drain(e, 'tm')).length, 3);
    assert.deepEqual(await e.flow.typeLimits('tm'), { maxActive: null, ratePerS: null, burst: null, paused: false, pausedUntilMs: null });
  });

  test('rate_per_s: a bucket of burst tokens on Redis\'s clock; a job of cost c takes c tokens', async () => {
    const e = await h.newEngine();
    await e.flow.setTypeLimits('tr', { ratePerS: 10, burst: 3 });
    assert.deepEqual(await e.flow.typeLimits('tr'), { maxActive: null, ratePerS: 10, burst: 3, paused: false, pausedUntilMs: null });
    for (let i = 0; i < 10; i++) await enqueueMany(e, 'tr', `q${i}`, [`j${i}`]);
    const start = await redisNowUs(e.redis);
    const batch = await e.batch.dequeue('tr', 10);
    assert.equal(batch.jobs.length, 3, 'the full bucket: burst jobs at once');
    assert.equal(batch.refusedBy, 'type_rate');
    assert.ok(batch.nextReadyInMs !== undefined && batch.nextReadyInMs > 0 && batch.nextReadyInMs <= 100, 'the next token comes within 1/rate');
    let handed = 3;
    while (handed < 10) {
      const job = await pollDequeue(e, 'tr', 10_000, 10);
      assert.ok(job);
      handed += 1;
    }
    const seconds = ((await redisNowUs(e.redis)) - start) / 1e6;
    assert.ok(seconds >= (10 - 3) / 10 - 0.01, `10 jobs at 10/s with a burst of 3 take at least 0.7 s, took ${seconds}`);

    await e.flow.setTypeLimits('tc', { ratePerS: 1, burst: 5 });
    await e.enqueue({ queueType: 'tc', queueId: 'q', jobId: 'heavy', intervalMs: 0, payload: 1, cost: 4 });
    await e.enqueue({ queueType: 'tc', queueId: 'q', jobId: 'next', intervalMs: 0, payload: 1, cost: 2 });
    assert.equal((await e.dequeue('tc')).kind, 'job', 'cost 4 of 5 tokens');
    const refused = await e.dequeue('tc');
    assert.ok(refused.kind === 'empty' && refused.refusedBy === 'type_rate' && refused.nextReadyAtMs !== undefined);
    assert.ok(refused.nextReadyAtMs - (await redisNowUs(e.redis)) / 1000 > 500, 'cost 2 waits for the second token');
    assert.deepEqual(await queuedIds(e, 'tc', 'q'), ['next'], 'the refused job stays at the head of its queue');
  });

  test('the bucket survives a change of limits, and one kept by an earlier version ("<micro-tokens>|<at_us>") is taken over', async () => {
    const e = await h.newEngine();
    const limitsKey = typeKeys(e.options.keyPrefix, 'tb').limits;
    await e.flow.setTypeLimits('tb', { ratePerS: 1, burst: 5 });
    for (let i = 0; i < 10; i++) await enqueueMany(e, 'tb', `q${i}`, [`j${i}`]);
    // As an earlier version wrote it: 2 tokens left at `at`, refilling at 1/s. Every count below
    // allows for the tokens that came since, however slow the machine.
    const at = await redisNowUs(e.redis);
    await e.redis.hset(limitsKey, 'bucket', `2000000|${at}`);
    const refilledSince = async (): Promise<number> => Math.ceil(((await redisNowUs(e.redis)) - at) / 1e6);
    const first = await e.batch.dequeue('tb', 10);
    assert.ok(first.jobs.length >= 2 && first.jobs.length <= 2 + (await refilledSince()), `the 2 tokens the old bucket held: ${first.jobs.length}`);
    assert.equal(first.refusedBy, 'type_rate');
    const kept = await e.redis.hgetall(limitsKey);
    assert.equal(kept.bucket, undefined, 'the old field is gone');
    assert.ok(Number(kept.tat) > at, `the bucket is kept as tat: ${JSON.stringify(kept)}`);

    await e.flow.setTypeLimits('tb', { burst: 50 });
    const after = await e.batch.dequeue('tb', 10);
    const out = first.jobs.length + after.jobs.length;
    assert.ok(out <= 2 + (await refilledSince()), `a larger burst does not refill the bucket: ${out} out`);
    await e.flow.setTypeLimits('tb', { ratePerS: null });
    assert.equal((await e.batch.dequeue('tb', 10)).jobs.length, 10 - out, 'no rate: the rest at once');
    assert.deepEqual(await e.redis.hgetall(limitsKey), {}, 'removing the rate removes the bucket');
  });

  test('limits kept by an earlier version as fields of their own are obeyed, and the first dequeue keeps them as one spec', async () => {
    const e = await h.newEngine();
    const limitsKey = typeKeys(e.options.keyPrefix, 'told').limits;
    for (const q of ['q1', 'q2', 'q3']) await enqueueMany(e, 'told', q, [`${q}-a`, `${q}-b`]);
    // As versions before the spec wrote them: 2 at once, one token a second, a bucket of 3.
    await e.redis.hset(limitsKey, 'max_active', '2', 'rate_per_s', '1', 'burst', '3');
    const limits = { maxActive: 2, ratePerS: 1, burst: 3, paused: false, pausedUntilMs: null };
    assert.deepEqual(await e.flow.typeLimits('told'), limits);
    const batch = await e.batch.dequeue('told', 10);
    assert.equal(batch.jobs.length, 2);
    assert.equal(batch.refusedBy, 'type_max_active');
    assert.deepEqual(await e.redis.hgetall(limitsKey), { spec: '2|1|3', tat: (await e.redis.hget(limitsKey, 'tat')) ?? 'none' });
    assert.deepEqual(await e.flow.typeLimits('told'), limits);
    const first = batch.jobs[0];
    assert.ok(first);
    assert.equal(await e.finish('told', first.queueId, first.jobId), true);
    const third = await e.dequeue('told');
    assert.equal(third.kind, 'job', 'the third of a bucket of 3');
    const refused = await e.dequeue('told');
    assert.ok(refused.kind === 'empty' && refused.refusedBy !== undefined, `a fourth waits: ${JSON.stringify(refused)}`);
  });

  test('limits validate their input', async () => {
    const e = await h.newEngine();
    await assert.rejects(e.flow.setTypeLimits('tv', { ratePerS: 0 }), /rate_per_s/);
    await assert.rejects(e.flow.setTypeLimits('tv', { burst: 1.5 }), /burst/);
    await assert.rejects(e.flow.setTypeLimits('tv', { maxActive: 'x' }), /max_active/);
    await assert.rejects(e.flow.pause('tv', 'q', 0), /for_ms/);
    await assert.rejects(e.flow.pause('tv', 'bad id', undefined), /queue_id/);
  });

  test('every limit together, batch: one call respects each', async () => {
    const e = await h.newEngine();
    // One token a second: the calls below are well inside a second apart, so the bucket is what decides.
    await e.flow.setTypeLimits('all', { maxActive: 5, ratePerS: 1, burst: 4 });
    for (const q of ['q1', 'q2']) await enqueueMany(e, 'all', q, ['a', 'b', 'c'], { maxActive: 1 });
    await enqueueMany(e, 'all', 'q3', ['a', 'b', 'c']);
    await e.flow.pause('all', 'q3', undefined);
    const start = await redisNowUs(e.redis);
    const batch = await e.batch.dequeue('all', 10);
    assert.deepEqual(batch.jobs.map((j) => j.queueId).sort(), ['q1', 'q2'], 'one per queue at max_active 1; the paused queue none');
    await e.flow.resume('all', 'q3');
    const more = await e.batch.dequeue('all', 10);
    const refilled = Math.floor(((await redisNowUs(e.redis)) - start) / 1e6);
    assert.ok(more.jobs.every((j) => j.queueId === 'q3'));
    assert.equal(more.jobs.length, Math.min(3, 2 + refilled), 'the 2 tokens left, and any that came since');
    if (more.jobs.length < 3) assert.equal(more.refusedBy, 'type_rate');
  });
});

describe('queues with many different limits', () => {
  test('each of 300 queues keeps its own max_active (more than the scripts remember at once)', async () => {
    const e = await h.newEngine();
    // Queue i allows i active jobs: 300 different metas, so the scripts' memo of them starts afresh on the way.
    const jobs = [];
    for (let i = 1; i <= 300; i++) {
      for (const jobId of ['a', 'b', 'c']) jobs.push({ queueId: `q${i}`, jobId, intervalMs: 0, payload: i, maxActive: i });
    }
    await e.batch.enqueue('tmany', jobs);
    const out = new Map<string, number>();
    for (;;) {
      const batch = await e.batch.dequeue('tmany', 100);
      for (const job of batch.jobs) out.set(job.queueId, (out.get(job.queueId) ?? 0) + 1);
      if (batch.jobs.length === 0) break;
    }
    assert.equal(out.get('q1'), 1);
    assert.equal(out.get('q2'), 2);
    for (let i = 3; i <= 300; i++) assert.equal(out.get(`q${i}`), 3, `q${i}`);
  });
});

describe('bounded work with many blocked queues', () => {
  /** Commands Redis ran (scripts' own calls included) while `fn` ran, from INFO commandstats. */
  async function commandsDuring(e: QueueEngine, fn: () => Promise<unknown>): Promise<number> {
    const count = async (): Promise<number> => {
      const text = (await e.redis.call('INFO', 'commandstats')) as string;
      return [...text.matchAll(/calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    };
    const before = await count();
    await fn();
    // The INFO call of `before` counts itself once: the difference is fn's commands and one INFO.
    return (await count()) - before - 1;
  }

  test('2,000 queues at their max_active and 2,000 paused: a dequeue stays a handful of commands, and its state survives a new engine', async () => {
    const e = await h.newEngine();
    const ids = Array.from({ length: 2000 }, (_, i) => i);
    await Promise.all(ids.map((i) => e.enqueue({ queueType: 'wide', queueId: `m${i}`, jobId: 'a', intervalMs: 0, payload: i, maxActive: 1 })));
    await Promise.all(ids.map((i) => e.enqueue({ queueType: 'wide', queueId: `m${i}`, jobId: 'b', intervalMs: 0, payload: i, maxActive: 1 })));
    for (let left = 2000; left > 0; left -= 500) assert.equal((await e.batch.dequeue('wide', 500)).jobs.length, 500);
    await Promise.all(ids.map((i) => e.enqueue({ queueType: 'wide', queueId: `p${i}`, jobId: 'a', intervalMs: 0, payload: i })));
    await Promise.all(ids.map((i) => e.flow.pause('wide', `p${i}`, undefined)));
    const calls = await commandsDuring(e, () => e.dequeue('wide'));
    assert.ok(calls <= 10, `a dequeue over 4,000 blocked queues ran ${calls} commands`);
    assert.equal(await e.redis.zcard(typeKeys(e.options.keyPrefix, 'wide').ready), 0, 'none of them is in the ready set');
    const gauges = await e.reads.typeGauges('wide');
    assert.deepEqual([gauges.pausedQueues, gauges.active, gauges.queued], [2000, 2000, 4000]);
    // Everything lives in Redis: another engine (another instance, or after a restart) sees the same.
    const other = await h.newEngine({ keyPrefix: e.options.keyPrefix });
    assert.deepEqual(await other.flow.queueLimits('wide', 'p7'), { intervalMs: 0, maxActive: null, paused: true, pausedUntilMs: null });
    assert.equal((await other.flow.queueLimits('wide', 'm7')).maxActive, 1);
    assert.equal(await other.finish('wide', 'm7', 'a'), true);
    assert.equal((await other.dequeue('wide')).kind, 'job', 'the freed queue is ready again');
  });
});
