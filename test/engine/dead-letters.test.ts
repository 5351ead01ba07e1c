// Dead letters (SPEC 5.7) on a real Redis: listed newest first and paged, replayed (one, some, all)
// atomically with the original requeue_limit, deleted, bounded, and migrated from the old LIST.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { QueueEngine } from '../../src/engine/engine.js';
import type { DeadLetter } from '../../src/engine/dead-letters.js';
import { typeKeys } from '../../src/engine/keys.js';
import { ValidationError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { DelayedPromoter } from '../../src/process/delayed-promoter.js';
import { waitFor } from '../helpers/wait.js';
import { drain, enqueueJob, startEngine, waitForExpiry, type EngineHarness } from '../helpers/engine.js';

/** Enqueues the jobs with requeue_limit 0 and lets them expire into the dead letters, in order. */
async function discard(engine: QueueEngine, type: string, jobs: { queueId: string; jobId: string; payload?: unknown }[]): Promise<void> {
  for (const job of jobs) {
    await enqueueJob(engine, type, job.queueId, job.jobId, { requeueLimit: 0, payload: job.payload ?? { id: job.jobId } });
    assert.equal((await drain(engine, type)).length, 1);
    await waitForExpiry(engine, type);
    assert.equal((await engine.requeue()).get(type)?.discarded, 1);
  }
}

async function allDead(engine: QueueEngine, type: string): Promise<DeadLetter[]> {
  return (await engine.deadLetters.list(type, 1000)).jobs;
}

describe('dead letters', { concurrency: true }, () => {
  let h: EngineHarness;
  before(async () => {
    h = await startEngine({ jobExpireIntervalMs: 30 });
  });
  after(async () => {
    await h?.stop();
  });

  test('listed newest first with every field, and paged with a cursor', async () => {
    const engine = await h.newEngine();
    await discard(engine, 'l', [1, 2, 3, 4, 5].map((i) => ({ queueId: `q${i % 2}`, jobId: `j${i}`, payload: { n: i, s: 'é"' } })));
    const [newest] = await allDead(engine, 'l');
    assert.equal(newest?.queueId, 'q1');
    assert.equal(newest?.jobId, 'j5');
    assert.equal(newest?.reason, 'requeue_limit_reached');
    assert.equal(newest?.requeueLimit, 0);
    assert.equal(newest?.payloadJson, '{"n":5,"s":"é\\""}');
    assert.ok((newest?.discardedAtMs ?? 0) <= (await engine.redisTimeMs()));

    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await engine.deadLetters.list('l', 2, cursor);
      assert.ok(page.jobs.length <= 2);
      ids.push(...page.jobs.map((j) => j.jobId));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== undefined);
    assert.deepEqual(ids, ['j5', 'j4', 'j3', 'j2', 'j1']);
    assert.equal(pages, 3);
    // A discard while paging does not shift later pages (the cursor is a position in discard order).
    const first = await engine.deadLetters.list('l', 2);
    await discard(engine, 'l', [{ queueId: 'q9', jobId: 'late' }]);
    const second = await engine.deadLetters.list('l', 2, first.nextCursor);
    assert.deepEqual(second.jobs.map((j) => j.jobId), ['j3', 'j2']);
    await assert.rejects(engine.deadLetters.list('l', 2, 'abc'), (e: unknown) => e instanceof ValidationError && e.field === 'cursor');
  });

  test('replay one: back at the tail of its queue with its original requeue_limit, out of the dead letters', async () => {
    const engine = await h.newEngine();
    // requeue_limit 1: handed out twice, then discarded with none left.
    await enqueueJob(engine, 'r', 'q', 'once', { requeueLimit: 1, payload: [1, 2] });
    for (let i = 0; i < 2; i++) {
      assert.equal((await drain(engine, 'r')).length, 1);
      await waitForExpiry(engine, 'r');
      await engine.requeue();
    }
    assert.equal((await engine.lifecycle.jobStatus('r', 'q', 'once'))?.state, 'dead');
    await enqueueJob(engine, 'r', 'q', 'waiting');

    assert.deepEqual(await engine.deadLetters.replay('r', [{ queueId: 'q', jobId: 'once' }]), { replayed: 1, skipped: 0 });
    assert.deepEqual(await allDead(engine, 'r'), []);
    assert.deepEqual(await engine.lifecycle.jobStatus('r', 'q', 'once'), { state: 'queued', position: 1, requeuesRemaining: 1, attempts: 0 });
    const out = await drain(engine, 'r');
    assert.deepEqual(out.map((j) => [j.jobId, j.requeuesRemaining, j.payloadJson]), [
      ['waiting', -1, '{"job":"waiting"}'],
      ['once', 1, '[1,2]'],
    ]);
    assert.deepEqual(await engine.deadLetters.replay('r', [{ queueId: 'q', jobId: 'once' }]), { replayed: 0, skipped: 1 });
  });

  test('a dead letter whose job id is live again is skipped and kept: never two copies', async () => {
    const engine = await h.newEngine();
    await discard(engine, 'live', [{ queueId: 'q', jobId: 'j' }]);
    await enqueueJob(engine, 'live', 'q', 'j');
    assert.deepEqual(await engine.deadLetters.replay('live', [{ queueId: 'q', jobId: 'j' }]), { replayed: 0, skipped: 1 });
    assert.equal((await allDead(engine, 'live')).length, 1);
    assert.equal((await drain(engine, 'live')).length, 1);
  });

  test('replay all: every job back in its queue in discard order, over several bounded calls', async () => {
    const engine = await h.newEngine({ requeueBatchSize: 1000, deadLetterLimit: 1000 });
    const t = typeKeys(engine.options.keyPrefix, 'all');
    const total = 450;
    await Promise.all(Array.from({ length: total }, (_, i) => enqueueJob(engine, 'all', `q${i % 3}`, `j${i}`, { requeueLimit: 0 })));
    assert.equal((await drain(engine, 'all')).length, total);
    await waitForExpiry(engine, 'all');
    assert.equal((await engine.requeue()).get('all')?.discarded, total);
    const deadOrder = (await allDead(engine, 'all')).map((d) => d.jobId).reverse();

    assert.deepEqual(await engine.deadLetters.replayAll('all'), { replayed: total, skipped: 0 });
    assert.equal(await engine.redis.zcard(t.deadIndex), 0);
    assert.equal(await engine.redis.hlen(t.deadJobs), 0);
    const gauges = await engine.reads.typeGauges('all');
    assert.equal(gauges.queued, total);
    assert.equal(gauges.deadLetters, 0);
    const out = await drain(engine, 'all');
    assert.equal(new Set(out.map((j) => j.jobId)).size, total);
    for (const q of ['q0', 'q1', 'q2']) {
      const mine = out.filter((j) => j.queueId === q).map((j) => j.jobId);
      assert.deepEqual(mine, deadOrder.filter((id) => mine.includes(id)), `${q} in discard order`);
    }
  });

  test('replays racing each other: every job is in exactly one place afterwards', async () => {
    const engine = await h.newEngine({ deadLetterLimit: 1000 }, { ownConnection: true });
    const other = await h.newEngine({ keyPrefix: engine.options.keyPrefix, deadLetterLimit: 1000 }, { ownConnection: true });
    const t = typeKeys(engine.options.keyPrefix, 'mix');
    await Promise.all(Array.from({ length: 300 }, (_, i) => enqueueJob(engine, 'mix', 'q', `j${i}`, { requeueLimit: 0 })));
    await drain(engine, 'mix');
    await waitForExpiry(engine, 'mix');
    await engine.requeue();
    const ids = Array.from({ length: 300 }, (_, i) => ({ queueId: 'q', jobId: `j${i}` }));
    const [a, b, c] = await Promise.all([
      engine.deadLetters.replay('mix', ids),
      other.deadLetters.replay('mix', [...ids].reverse()),
      other.deadLetters.replayAll('mix'),
    ]);
    assert.equal(a.replayed + b.replayed + c.replayed, 300, 'each dead letter replayed exactly once');
    assert.equal(await engine.redis.zcard(t.deadIndex), 0);
    const queued = await engine.redis.lrange(`${engine.options.keyPrefix}:{mix}:queue:q`, 0, -1);
    assert.equal(queued.length, 300);
    assert.equal(new Set(queued).size, 300);
  });

  test('delete returns the count; the store is bounded by dead_letter_limit, oldest dropped', async () => {
    const engine = await h.newEngine({ deadLetterLimit: 3 });
    await discard(engine, 'b', [1, 2, 3, 4, 5].map((i) => ({ queueId: 'q', jobId: `j${i}` })));
    assert.deepEqual((await allDead(engine, 'b')).map((d) => d.jobId), ['j5', 'j4', 'j3']);
    assert.equal(await engine.redis.hlen(typeKeys(engine.options.keyPrefix, 'b').deadJobs), 3);
    assert.equal(await engine.deadLetters.deleteAll('b'), 3);
    assert.equal(await engine.deadLetters.deleteAll('b'), 0);
    assert.deepEqual(await allDead(engine, 'b'), []);
    assert.equal(await engine.lifecycle.jobStatus('b', 'q', 'j5'), undefined);
  });

  test('the LIST of earlier versions is migrated in order, payload text unchanged, old key gone', async () => {
    const engine = await h.newEngine();
    const t = typeKeys(engine.options.keyPrefix, 'old');
    // Newest at the head, as requeue.lua used to LPUSH them; one entry of the first form (no requeue_limit).
    await engine.redis.rpush(
      t.dead,
      '{"queue_id":"q","job_id":"new","reason":"requeue_limit_reached","discarded_at_ms":1700000002000,"requeue_limit":3,"payload":{"a":1.50,"b":[]}}',
      '{"queue_id":"q","job_id":"mid","reason":"requeue_limit_reached","discarded_at_ms":1700000001000,"payload":"x|y"}',
      '{"reason":"requeue_limit_reached","queue_id":"p","job_id":"odd","discarded_at_ms":1700000000000,"requeue_limit":1,"payload":7}',
    );
    assert.equal(await engine.deadLetters.migrateOldList('old'), 3);
    assert.equal(await engine.redis.exists(t.dead), 0);
    const dead = await allDead(engine, 'old');
    assert.deepEqual(
      dead.map((d) => [d.queueId, d.jobId, d.discardedAtMs, d.requeueLimit, d.payloadJson]),
      [
        ['q', 'new', 1700000002000, 3, '{"a":1.50,"b":[]}'],
        ['q', 'mid', 1700000001000, 0, '"x|y"'],
        ['p', 'odd', 1700000000000, 1, '7'],
      ],
    );
    assert.equal(await engine.deadLetters.migrateOldList('old'), 0, 'idempotent');
    assert.deepEqual(await engine.deadLetters.replay('old', [{ queueId: 'q', jobId: 'new' }]), { replayed: 1, skipped: 0 });
    const [job] = await drain(engine, 'old');
    assert.deepEqual([job?.jobId, job?.requeuesRemaining, job?.payloadJson], ['new', 3, '{"a":1.50,"b":[]}']);
  });

  test('the leader migrates the old LIST of every type when it takes the lead', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'mig', 'q', 'live');
    const t = typeKeys(engine.options.keyPrefix, 'mig');
    await engine.redis.lpush(
      t.dead,
      '{"queue_id":"q","job_id":"old","reason":"requeue_limit_reached","discarded_at_ms":1,"requeue_limit":2,"payload":null}',
    );
    const promoter = new DelayedPromoter(engine, createLogger('error', 'test'));
    promoter.start();
    try {
      await waitFor(async () => (await engine.redis.exists(t.dead)) === 0, { what: 'the old LIST migrated' });
    } finally {
      await promoter.stop();
    }
    assert.deepEqual((await allDead(engine, 'mig')).map((d) => [d.jobId, d.requeueLimit, d.payloadJson]), [['old', 2, 'null']]);
  });
});
