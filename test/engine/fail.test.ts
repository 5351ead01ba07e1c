// Failing a job (SPEC 5.13) on a real Redis: the lease ends at once; the job is retried (at the
// front of its queue, now or after its back-off in the delayed set) while its requeue limit allows,
// else dead-lettered with reason 'failed', its error and attempts; holds, attempts and errors kept.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { QueueEngine } from '../../src/engine/engine.js';
import { queueKeys, typeKeys } from '../../src/engine/keys.js';
import { ValidationError } from '../../src/errors.js';
import { parseJobRecord } from '../../src/engine/job-record.js';
import {
  activeJobs,
  deadLetterJsons,
  drain,
  engineForSuite,
  enqueueJob,
  pollDequeue,
  queuedIds,
  setDueTimes,
  redisNowUs,
  waitForExpiry,
} from '../helpers/engine.js';

const h = engineForSuite();

function enqueueWithBackoff(engine: QueueEngine, queueType: string, queueId: string, jobId: string, extra: Record<string, unknown> = {}) {
  return engine.enqueue({ queueType, queueId, jobId, intervalMs: 0, payload: { job: jobId }, ...extra });
}

async function delayedDueUs(engine: QueueEngine, queueType: string, queueId: string, jobId: string): Promise<number | null> {
  const score = await engine.redis.zscore(typeKeys(engine.options.keyPrefix, queueType).delayed, `${queueId}:${jobId}`);
  return score === null ? null : Number(score);
}

describe('fail', () => {
  test('ends the lease at once and puts the job back at the front of its queue, ahead of newer jobs', async () => {
    const e = await h.newEngine();
    for (const id of ['a', 'b', 'c']) await enqueueJob(e, 'f', 'q', id, { requeueLimit: 3 });
    const first = await pollDequeue(e, 'f');
    assert.equal(first.jobId, 'a');
    assert.equal(first.attempt, 1);
    const before = await redisNowUs(e.redis);
    const result = await e.fail('f', 'q', 'a', { error: 'carrier down' });
    assert.equal(result?.outcome, 'retry');
    assert.ok(result?.outcome === 'retry' && result.runAtMs >= Math.floor(before / 1000) && result.runAtMs <= Math.ceil((await redisNowUs(e.redis)) / 1000));
    assert.equal((await activeJobs(e, 'f')).size, 0, 'no longer active: nobody waits for its lease');
    assert.deepEqual(await queuedIds(e, 'f', 'q'), ['a', 'b', 'c']);
    const again = await pollDequeue(e, 'f');
    assert.deepEqual([again.jobId, again.attempt, again.requeuesRemaining], ['a', 2, 2]);
    assert.equal(await e.fail('f', 'q', 'nope'), undefined);
  });

  test('a fail spends the requeue limit as an expiry does; then the job is dead with reason failed, error and attempts', async () => {
    const e = await h.newEngine();
    await enqueueJob(e, 'lim', 'q', 'j', { requeueLimit: 1, payload: { to: '+1' } });
    await pollDequeue(e, 'lim');
    assert.equal((await e.fail('lim', 'q', 'j', { error: 'first' }))?.outcome, 'retry');
    const second = await pollDequeue(e, 'lim');
    assert.deepEqual([second.attempt, second.requeuesRemaining], [2, 0]);
    assert.deepEqual(await e.fail('lim', 'q', 'j', { error: 'second' }), { outcome: 'dead' });
    assert.equal(await e.fail('lim', 'q', 'j'), undefined, 'not active any more');
    const [dead] = await deadLetterJsons(e, 'lim', 10);
    assert.deepEqual(
      { ...dead, discarded_at_ms: 0 },
      { queue_id: 'q', job_id: 'j', reason: 'failed', discarded_at_ms: 0, requeue_limit: 1, attempts: 2, error: 'second', payload: { to: '+1' } },
    );
    const status = await e.lifecycle.jobStatus('lim', 'q', 'j');
    assert.ok(status?.state === 'dead' && status.reason === 'failed');
    assert.deepEqual([status.attempts, status.lastError], [2, 'second']);
  });

  test('with requeue limit 0 a fail goes straight to the dead letters; an expiry says requeue_limit_reached', async () => {
    const e = await h.newEngine({ jobExpireIntervalMs: 50 });
    await enqueueJob(e, 'zero', 'q', 'failed-one', { requeueLimit: 0 });
    await enqueueJob(e, 'zero', 'q', 'expired-one', { requeueLimit: 0 });
    await pollDequeue(e, 'zero');
    assert.deepEqual(await e.fail('zero', 'q', 'failed-one'), { outcome: 'dead' });
    await pollDequeue(e, 'zero');
    await waitForExpiry(e, 'zero');
    await e.requeue();
    const reasons = Object.fromEntries((await deadLetterJsons(e, 'zero', 10)).map((d) => [d.job_id, [d.reason, d.attempts, d.error]]));
    assert.deepEqual(reasons, { 'failed-one': ['failed', 1, null], 'expired-one': ['requeue_limit_reached', 1, null] });
  });

  test('error keeps its first 2,000 characters; attempts and last_error show in every state', async () => {
    const e = await h.newEngine();
    await enqueueJob(e, 'err', 'q', 'j', { requeueLimit: -1 });
    assert.deepEqual(await e.lifecycle.jobStatus('err', 'q', 'j'), { state: 'queued', position: 0, requeuesRemaining: -1, attempts: 0 });
    await pollDequeue(e, 'err');
    const long = `${'é'.repeat(1999)}🙂tail`;
    await e.fail('err', 'q', 'j', { error: long });
    const queued = await e.lifecycle.jobStatus('err', 'q', 'j');
    assert.equal(queued?.state, 'queued');
    assert.equal(queued?.attempts, 1);
    assert.equal(queued?.lastError, `${'é'.repeat(1999)}🙂`, 'cut at 2,000 characters, a whole emoji kept');
    await pollDequeue(e, 'err');
    const active = await e.lifecycle.jobStatus('err', 'q', 'j');
    assert.deepEqual([active?.state, active?.attempts], ['active', 2]);
    // A fail without an error keeps the earlier one.
    await e.fail('err', 'q', 'j', { retryInMs: 60_000 });
    const delayed = await e.lifecycle.jobStatus('err', 'q', 'j');
    assert.deepEqual([delayed?.state, delayed?.attempts, Array.from(delayed?.lastError ?? '').length], ['delayed', 2, 2000]);
    const page = await e.browse.jobPage('err', 'q');
    assert.deepEqual(page.jobs, [], 'a delayed retry is not in the queue list yet');
  });

  test('bad input is a ValidationError naming the field', async () => {
    const e = await h.newEngine();
    const cases: [Record<string, unknown>, string][] = [
      [{ error: 5 }, 'error'],
      [{ retryInMs: -1 }, 'retry_in_ms'],
      [{ retryInMs: 31 * 24 * 3600 * 1000 }, 'retry_in_ms'],
      [{ retryInMs: 1.5 }, 'retry_in_ms'],
      [{ holdQueueMs: '5' }, 'hold_queue_ms'],
    ];
    for (const [request, field] of cases) {
      await assert.rejects(e.fail('v', 'q', 'j', request), (error: unknown) => error instanceof ValidationError && error.field === field);
    }
    await assert.rejects(e.fail('bad type!', 'q', 'j'), (error: unknown) => error instanceof ValidationError && error.field === 'queue_type');
    await assert.rejects(
      enqueueWithBackoff(e, 'v', 'q', 'j', { backoffMs: 24 * 3600 * 1000 + 1 }),
      (error: unknown) => error instanceof ValidationError && error.field === 'backoff_ms',
    );
    await assert.rejects(
      enqueueWithBackoff(e, 'v', 'q', 'j', { backoffMaxMs: -5 }),
      (error: unknown) => error instanceof ValidationError && error.field === 'backoff_max_ms',
    );
  });
});

describe('back-off', () => {
  test('retry n waits backoff x 2^(n-1), at most backoff_max, in the delayed set; then the front of its queue', async () => {
    const e = await h.newEngine();
    await enqueueWithBackoff(e, 'bo', 'q', 'j', { backoffMs: 1000, backoffMaxMs: 3000, requeueLimit: -1 });
    const waitsS: number[] = [];
    for (let n = 1; n <= 4; n++) {
      const job = await pollDequeue(e, 'bo');
      assert.deepEqual([job.jobId, job.attempt], ['j', n]);
      const before = await redisNowUs(e.redis);
      const result = await e.fail('bo', 'q', 'j');
      const due = await delayedDueUs(e, 'bo', 'q', 'j');
      assert.ok(due !== null, `retry ${n} waits in the delayed set`);
      waitsS.push(Math.round((due - before) / 1e6));
      assert.ok(result?.outcome === 'retry' && result.runAtMs === Math.ceil(due / 1000));
      assert.equal((await e.lifecycle.jobStatus('bo', 'q', 'j'))?.state, 'delayed');
      if (n === 1) assert.equal((await e.dequeue('bo')).kind, 'empty', 'not handed out before it is due');
      // A newer job arrives meanwhile; once the retry is due it comes out ahead of it.
      await enqueueJob(e, 'bo', 'q', `newer${n}`);
      await setDueTimes(e, 'bo', [[await redisNowUs(e.redis), 'q:j']]);
    }
    assert.deepEqual(waitsS, [1, 2, 3, 3]);
    const last = await pollDequeue(e, 'bo');
    assert.deepEqual([last.jobId, last.attempt], ['j', 5]);
    assert.deepEqual(await queuedIds(e, 'bo', 'q'), ['newer1', 'newer2', 'newer3', 'newer4']);
  });

  test('retry_in_ms sets that one retry\'s wait; 0 puts it back at the front at once', async () => {
    const e = await h.newEngine();
    await enqueueWithBackoff(e, 'rin', 'q', 'j', { backoffMs: 1000 });
    await enqueueJob(e, 'rin', 'q', 'later');
    await pollDequeue(e, 'rin');
    const before = await redisNowUs(e.redis);
    await e.fail('rin', 'q', 'j', { retryInMs: 30_000 });
    const due = await delayedDueUs(e, 'rin', 'q', 'j');
    assert.ok(due !== null && Math.round((due - before) / 1e6) === 30);
    await setDueTimes(e, 'rin', [[await redisNowUs(e.redis), 'q:j']]);
    assert.equal((await pollDequeue(e, 'rin')).jobId, 'j');
    await e.fail('rin', 'q', 'j', { retryInMs: 0 });
    assert.deepEqual(await queuedIds(e, 'rin', 'q'), ['j', 'later']);
  });

  test('an expiry found by the requeue pass waits out the back-off too, and counts the attempt', async () => {
    const e = await h.newEngine({ jobExpireIntervalMs: 50 });
    await enqueueWithBackoff(e, 'exp', 'q', 'j', { backoffMs: 60_000, requeueLimit: 2 });
    await pollDequeue(e, 'exp');
    await waitForExpiry(e, 'exp');
    const before = await redisNowUs(e.redis);
    assert.equal((await e.requeue()).get('exp')?.requeued, 1);
    const due = await delayedDueUs(e, 'exp', 'q', 'j');
    assert.ok(due !== null && due >= before + 60_000_000 && due <= (await redisNowUs(e.redis)) + 60_000_000);
    const status = await e.lifecycle.jobStatus('exp', 'q', 'j');
    assert.deepEqual([status?.state, status?.attempts], ['delayed', 1]);
    assert.equal(parseJobRecord((await e.redis.hget(queueKeys(e.options.keyPrefix, 'exp', 'q').jobs, 'j')) ?? '').requeuesRemaining, 1);
    assert.equal(await e.redis.hget(typeKeys(e.options.keyPrefix, 'exp').totals, 'queued'), '0', 'waiting, not queued');
  });

  test('with back-off 0 (the default) an expired or failed job is back at the front at once, as in the original', async () => {
    const e = await h.newEngine({ jobExpireIntervalMs: 50 });
    await enqueueJob(e, 'zero', 'q', 'a');
    await enqueueJob(e, 'zero', 'q', 'b');
    await pollDequeue(e, 'zero');
    await waitForExpiry(e, 'zero');
    await e.requeue();
    assert.deepEqual(await queuedIds(e, 'zero', 'q'), ['a', 'b']);
    const again = await pollDequeue(e, 'zero');
    assert.deepEqual([again.jobId, again.attempt], ['a', 2]);
    assert.equal(await delayedDueUs(e, 'zero', 'q', 'a'), null);
  });

  test('[sharq] default_backoff_ms applies to jobs enqueued without backoff_ms', async () => {
    const e = await h.newEngine({ defaultBackoffMs: 5000 });
    await enqueueJob(e, 'def', 'q', 'j');
    await pollDequeue(e, 'def');
    const before = await redisNowUs(e.redis);
    await e.fail('def', 'q', 'j');
    const due = await delayedDueUs(e, 'def', 'q', 'j');
    assert.ok(due !== null && due - before >= 5_000_000 && due - before < 6_000_000, `due ${due} after ${before}`);
  });

  test('a retried job is still spaced by its queue interval and cost', async () => {
    const e = await h.newEngine();
    await e.enqueue({ queueType: 'rate', queueId: 'q', jobId: 'j', intervalMs: 60_000, payload: 1, cost: 2 });
    await pollDequeue(e, 'rate');
    const dequeuedUs = await redisNowUs(e.redis);
    await e.fail('rate', 'q', 'j');
    const empty = await e.dequeue('rate');
    assert.ok(empty.kind === 'empty' && empty.nextReadyAtMs !== undefined);
    assert.ok(empty.nextReadyAtMs >= dequeuedUs / 1000 + 120_000 - 1000, 'the retry waits the two intervals the first delivery spent');
  });
});

describe('hold_queue_ms', () => {
  test('holds the job\'s queue for that long in the same step; other queues go on', async () => {
    const e = await h.newEngine();
    await enqueueJob(e, 'hold', 'held', 'a');
    await enqueueJob(e, 'hold', 'held', 'b');
    await enqueueJob(e, 'hold', 'other', 'c');
    const first = await pollDequeue(e, 'hold');
    assert.equal(first.queueId, 'held');
    const before = await redisNowUs(e.redis);
    const result = await e.fail('hold', 'held', 'a', { holdQueueMs: 60_000 });
    assert.ok(result?.outcome === 'retry' && result.runAtMs >= Math.floor(before / 1000) + 60_000, 'the retry runs after the hold');
    const rest = await drain(e, 'hold');
    assert.deepEqual(rest.map((job) => job.jobId), ['c'], 'the held queue hands out nothing, the other goes on');
    const ready = Number(await e.redis.zscore(typeKeys(e.options.keyPrefix, 'hold').ready, 'held'));
    assert.ok(ready >= before + 60_000_000, 'the held queue is ready only after the hold');
    // A hold also survives the queue draining and refilling: a fail that dead-letters holds too.
    await enqueueJob(e, 'hold2', 'q', 'x', { requeueLimit: 0 });
    await pollDequeue(e, 'hold2');
    assert.deepEqual(await e.fail('hold2', 'q', 'x', { holdQueueMs: 60_000 }), { outcome: 'dead' });
    await enqueueJob(e, 'hold2', 'q', 'y');
    assert.equal((await e.dequeue('hold2')).kind, 'empty', 'refilled after the hold began: still held');
  });
});
