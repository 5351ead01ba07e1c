// Job status (SPEC 5.4) on a real Redis: every state, and nothing after finish.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { queueKeys, typeKeys } from '../../src/engine/keys.js';
import { POSITION_LIMIT } from '../../src/engine/lifecycle.js';
import { ValidationError } from '../../src/errors.js';
import { enqueueJob, pollDequeue, startEngine, waitForExpiry, type EngineHarness } from '../helpers/engine.js';

describe('job status', { concurrency: true }, () => {
  let h: EngineHarness;
  before(async () => {
    h = await startEngine({ jobExpireIntervalMs: 100 });
  });
  after(async () => {
    await h?.stop();
  });

  test('queued with its position and requeues remaining', async () => {
    const engine = await h.newEngine();
    for (const id of ['a', 'b', 'c']) await enqueueJob(engine, 's', 'q', id, { requeueLimit: 4 });
    assert.deepEqual(await engine.lifecycle.jobStatus('s', 'q', 'a'), { state: 'queued', position: 0, requeuesRemaining: 4, attempts: 0 });
    assert.deepEqual(await engine.lifecycle.jobStatus('s', 'q', 'c'), { state: 'queued', position: 2, requeuesRemaining: 4, attempts: 0 });
    await pollDequeue(engine, 's');
    assert.deepEqual(await engine.lifecycle.jobStatus('s', 'q', 'c'), { state: 'queued', position: 1, requeuesRemaining: 4, attempts: 0 });
  });

  test('delayed with run_at_ms, active with expires_at_ms, then gone after finish', async () => {
    const engine = await h.newEngine();
    await engine.enqueue({ queueType: 's', queueId: 'q', jobId: 'd', intervalMs: 0, payload: 1, delayMs: 60_000, requeueLimit: 2 });
    const due = Number(await engine.redis.zscore(typeKeys(engine.options.keyPrefix, 's').delayed, 'q:d'));
    assert.deepEqual(await engine.lifecycle.jobStatus('s', 'q', 'd'), { state: 'delayed', runAtMs: Math.ceil(due / 1000), attempts: 0 });

    await enqueueJob(engine, 's', 'q', 'x', { requeueLimit: 3 });
    await pollDequeue(engine, 's');
    const expires = Number(await engine.redis.zscore(typeKeys(engine.options.keyPrefix, 's').active, 'q:x'));
    assert.deepEqual(await engine.lifecycle.jobStatus('s', 'q', 'x'), {
      state: 'active',
      expiresAtMs: Math.ceil(expires / 1000),
      requeuesRemaining: 3,
      attempts: 1,
    });
    assert.equal(await engine.finish('s', 'q', 'x'), true);
    assert.equal(await engine.lifecycle.jobStatus('s', 'q', 'x'), undefined, 'finished: unknown');
    assert.equal(await engine.lifecycle.jobStatus('s', 'q', 'never'), undefined);
    assert.equal(await engine.lifecycle.jobStatus('other', 'q', 'd'), undefined);
  });

  test('dead with reason and discarded_at_ms; a live job of the same id wins', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'dd', 'q', 'j', { requeueLimit: 0 });
    await pollDequeue(engine, 'dd');
    await waitForExpiry(engine, 'dd');
    const beforeMs = await engine.redisTimeMs();
    assert.equal((await engine.requeue()).get('dd')?.discarded, 1);
    const status = await engine.lifecycle.jobStatus('dd', 'q', 'j');
    assert.equal(status?.state, 'dead');
    assert.ok(status?.state === 'dead' && status.reason === 'requeue_limit_reached');
    assert.equal(status?.attempts, 1, 'one delivery, which expired');
    assert.ok(status?.state === 'dead' && status.discardedAtMs >= beforeMs - 1 && status.discardedAtMs <= (await engine.redisTimeMs()));
    await enqueueJob(engine, 'dd', 'q', 'j');
    assert.deepEqual(await engine.lifecycle.jobStatus('dd', 'q', 'j'), { state: 'queued', position: 0, requeuesRemaining: -1, attempts: 0 });
  });

  test(`position is left out for queues over ${POSITION_LIMIT} jobs`, async () => {
    const engine = await h.newEngine();
    const q = queueKeys(engine.options.keyPrefix, 'big', 'q');
    await enqueueJob(engine, 'big', 'q', 'first');
    // Fill the list directly: the status only reads its length and the job's record.
    const filler = Array.from({ length: POSITION_LIMIT }, (_, i) => `f${i}`);
    for (let i = 0; i < filler.length; i += 1000) await engine.redis.rpush(q.queue, ...filler.slice(i, i + 1000));
    assert.deepEqual(await engine.lifecycle.jobStatus('big', 'q', 'first'), { state: 'queued', requeuesRemaining: -1, attempts: 0 });
  });

  test('bad identifiers are validation errors naming the field', async () => {
    const engine = await h.newEngine();
    const cases: [[string, string, string], string][] = [
      [['bad type', 'q', 'j'], 'queue_type'],
      [['t', 'q/x', 'j'], 'queue_id'],
      [['t', 'q', 'x'.repeat(101)], 'job_id'],
    ];
    for (const [args, field] of cases) {
      await assert.rejects(engine.lifecycle.jobStatus(...args), (e: unknown) => e instanceof ValidationError && e.field === field);
    }
  });
});
