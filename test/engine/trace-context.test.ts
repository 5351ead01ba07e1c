// SPEC 5.16: the W3C trace context of an enqueue is checked as the W3C asks, kept in the job's record
// by the same script that stores the job, and handed back by every dequeue through retries, expiries,
// back-offs, dead letters and replays. Jobs without one keep their record byte for byte.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { QueueEngine } from '../../src/engine/engine.js';
import { parseJobRecord } from '../../src/engine/job-record.js';
import { queueKeys } from '../../src/engine/keys.js';
import { traceContextOf, validTraceparent, validTracestate } from '../../src/engine/trace-context.js';
import { engineForSuite, pollDequeue, queuedIds, redisNowUs, waitForExpiry } from '../helpers/engine.js';
import { waitFor } from '../helpers/wait.js';

const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const STATE = 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7';

describe('trace context: the W3C rules', () => {
  test('a version-00 traceparent is kept as sent; a malformed one is ignored', () => {
    assert.equal(validTraceparent(PARENT), PARENT);
    for (const bad of [
      undefined,
      42,
      '',
      PARENT.toUpperCase(),
      `${PARENT}-extra`, // version 00 has exactly four fields
      PARENT.replace('4bf92f3577b34da6a3ce929d0e0e4736', '0'.repeat(32)), // all-zero trace id
      PARENT.replace('00f067aa0ba902b7', '0'.repeat(16)), // all-zero parent id
      PARENT.replace(/^00/, 'ff'), // version ff is invalid
      PARENT.slice(0, -1),
      ` ${PARENT}`,
      `${PARENT},${PARENT}`, // two headers joined by node
    ]) {
      assert.equal(validTraceparent(bad), undefined, JSON.stringify(bad));
    }
  });

  test('a later version is read by the fields it shares with 00 and cut to them', () => {
    const later = PARENT.replace(/^00/, 'cc');
    assert.equal(validTraceparent(`${later}-what-comes-next`), later);
    assert.equal(validTraceparent(later), later);
    assert.equal(validTraceparent(`${later}x`), undefined, 'after the flags comes a dash or nothing');
  });

  test('a tracestate is kept only well-formed and beside a valid traceparent, cut to 512 characters', () => {
    assert.deepEqual(traceContextOf(PARENT, STATE), { traceparent: PARENT, tracestate: STATE });
    assert.deepEqual(traceContextOf(PARENT, ' congo=t61rcWkgMzE ,\t,rojo=00f067aa0ba902b7'), { traceparent: PARENT, tracestate: STATE });
    assert.equal(traceContextOf('nonsense', STATE), undefined);
    assert.deepEqual(traceContextOf(PARENT, 'no-equals-sign'), { traceparent: PARENT });
    assert.deepEqual(traceContextOf(PARENT, 'a=1,a=2'), { traceparent: PARENT }, 'duplicate keys');
    assert.deepEqual(traceContextOf(PARENT, 'Upper=1'), { traceparent: PARENT });
    assert.equal(validTracestate('tenant@system=v,k/x*y_z-1=a b'), 'tenant@system=v,k/x*y_z-1=a b');
    const members = Array.from({ length: 33 }, (_, i) => `k${i}=v`);
    assert.equal(validTracestate(members.join(',')), undefined, 'over 32 members');
    // Over 512 characters: the members over 128 go first, then members from the end.
    const long = `big=${'x'.repeat(200)}`;
    const small = Array.from({ length: 30 }, (_, i) => `key${String(i).padStart(2, '0')}=${'v'.repeat(10)}`);
    const cut = validTracestate([long, ...small].join(',')) ?? '';
    assert.ok(!cut.includes('big='), 'the long member went first');
    assert.ok(cut.length <= 512 && cut.startsWith('key00='), cut);
    const many = Array.from({ length: 32 }, (_, i) => `k${String(i).padStart(2, '0')}=${'v'.repeat(20)}`);
    const trimmed = validTracestate(many.join(',')) ?? '';
    assert.ok(trimmed.length <= 512 && trimmed.length > 450, `${trimmed.length}`);
    assert.ok(trimmed.startsWith('k00=') && !trimmed.includes('k31='), 'members are dropped from the end');
  });
});

describe('trace context: kept with the job', () => {
  const h = engineForSuite({ jobExpireIntervalMs: 100 });

  const record = async (engine: QueueEngine, type: string, jobId: string, queueId = 'q'): Promise<string | null> =>
    engine.redis.hget(queueKeys(engine.options.keyPrefix, type, queueId).jobs, jobId);

  const enqueue = (engine: QueueEngine, type: string, jobId: string, extra: Record<string, unknown> = {}) =>
    engine.enqueue({ queueType: type, queueId: 'q', jobId, intervalMs: 0, payload: { n: jobId }, ...extra });

  test('a job without one keeps the record it always had and its dequeue has no trace', async () => {
    const engine = await h.newEngine();
    await enqueue(engine, 'plain', 'j', { requeueLimit: 3 });
    await enqueue(engine, 'plain', 'bad', { requeueLimit: 3, traceparent: 'not-a-traceparent', tracestate: STATE });
    assert.equal(await record(engine, 'plain', 'j'), '3|3|1|{"n":"j"}');
    assert.equal(await record(engine, 'plain', 'bad'), '3|3|1|{"n":"bad"}', 'a malformed traceparent is ignored, its tracestate too');
    const job = await pollDequeue(engine, 'plain');
    assert.equal(job.jobId, 'j');
    assert.equal('trace' in job, false);
  });

  test('a traced job carries it in its record, which the TypeScript reader reads the same', async () => {
    const engine = await h.newEngine();
    await enqueue(engine, 'rec', 'j', { requeueLimit: 3, traceparent: PARENT, tracestate: STATE });
    const raw = await record(engine, 'rec', 'j');
    const stored = `${PARENT} ${STATE}`;
    assert.equal(raw, `@${stored.length}|${stored}3|3|1|{"n":"j"}`);
    assert.deepEqual(parseJobRecord(raw ?? ''), {
      requeuesRemaining: 3, requeueLimit: 3, cost: 1, retries: 0, backoffMs: 0, backoffMaxMs: 0,
      payloadJson: '{"n":"j"}', trace: { traceparent: PARENT, tracestate: STATE },
    });
    const job = await pollDequeue(engine, 'rec');
    assert.deepEqual(job.trace, { traceparent: PARENT, tracestate: STATE });
    assert.equal(job.payloadJson, '{"n":"j"}');
  });

  test('it survives a fail and its retry, with the error kept beside it', async () => {
    const engine = await h.newEngine();
    await enqueue(engine, 'failing', 'j', { traceparent: PARENT });
    assert.equal((await pollDequeue(engine, 'failing')).attempt, 1);
    assert.equal((await engine.fail('failing', 'q', 'j', { error: 'boom|@1|x' }))?.outcome, 'retry');
    const parsed = parseJobRecord((await record(engine, 'failing', 'j')) ?? '');
    assert.equal(parsed.lastError, 'boom|@1|x');
    assert.deepEqual(parsed.trace, { traceparent: PARENT });
    const again = await pollDequeue(engine, 'failing');
    assert.deepEqual([again.attempt, again.trace], [2, { traceparent: PARENT }]);
  });

  test('it survives an expiry and the requeue that puts the job back', async () => {
    const engine = await h.newEngine();
    await enqueue(engine, 'expiring', 'j', { traceparent: PARENT, tracestate: STATE });
    await pollDequeue(engine, 'expiring');
    await waitForExpiry(engine, 'expiring');
    assert.equal((await engine.requeue()).get('expiring')?.requeued, 1);
    const again = await pollDequeue(engine, 'expiring');
    assert.deepEqual([again.attempt, again.trace], [2, { traceparent: PARENT, tracestate: STATE }]);
  });

  test('a retry waiting out its back-off keeps it, and still goes back to the front of its queue', async () => {
    const engine = await h.newEngine();
    await enqueue(engine, 'backoff', 'first', { traceparent: PARENT, backoffMs: 200 });
    await pollDequeue(engine, 'backoff');
    await enqueue(engine, 'backoff', 'second');
    const failed = await engine.fail('backoff', 'q', 'first');
    assert.equal(failed?.outcome, 'retry');
    const runAtUs = (failed?.outcome === 'retry' ? failed.runAtMs : 0) * 1000;
    // While it waits, the newer job is handed out; once due, the traced retry goes ahead of a job queued meanwhile.
    assert.equal((await pollDequeue(engine, 'backoff')).jobId, 'second');
    await enqueue(engine, 'backoff', 'third');
    assert.ok((await redisNowUs(engine.redis)) < runAtUs, 'the retry is not due yet (back-off 200 ms)');
    await waitFor(async () => (await redisNowUs(engine.redis)) >= runAtUs, { what: 'the retry to come due', intervalMs: 10 });
    const due = await pollDequeue(engine, 'backoff');
    assert.deepEqual([due.jobId, due.attempt, due.trace], ['first', 2, { traceparent: PARENT }]);
    assert.deepEqual(await queuedIds(engine, 'backoff', 'q'), ['third']);
  });

  test('it survives the dead letters and a replay', async () => {
    const engine = await h.newEngine();
    await enqueue(engine, 'dying', 'j', { requeueLimit: 0, traceparent: PARENT, tracestate: STATE });
    await pollDequeue(engine, 'dying');
    assert.equal((await engine.fail('dying', 'q', 'j', { error: 'gave up' }))?.outcome, 'dead');
    const page = await engine.deadLetters.list('dying', 10);
    assert.deepEqual(page.jobs.map((job) => [job.jobId, job.error]), [['j', 'gave up']]);
    assert.equal((await engine.deadLetters.replay('dying', [{ queueId: 'q', jobId: 'j' }])).replayed, 1);
    const replayed = await pollDequeue(engine, 'dying');
    assert.deepEqual([replayed.attempt, replayed.trace], [1, { traceparent: PARENT, tracestate: STATE }]);
  });

  test('batch enqueue keeps each job its own; batch dequeue, finish-and-next and fail-and-next hand it back', async () => {
    const engine = await h.newEngine();
    const other = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const results = await engine.batch.enqueue('batch', [
      { queueId: 'a', jobId: 'traced', intervalMs: 0, payload: 1, traceparent: PARENT, tracestate: STATE },
      { queueId: 'b', jobId: 'plain', intervalMs: 0, payload: 2 },
      { queueId: 'c', jobId: 'other', intervalMs: 0, payload: 3, traceparent: other, tracestate: 'bad state' },
      { queueId: 'd', jobId: 'next', intervalMs: 0, payload: 4, traceparent: other },
    ]);
    assert.deepEqual(results.map((r) => r.kind), ['queued', 'queued', 'queued', 'queued']);
    assert.equal(await record(engine, 'batch', 'plain', 'b'), '-1|-1|1|2');
    const { jobs } = await engine.batch.dequeue('batch', 2);
    assert.deepEqual(jobs.map((job) => [job.jobId, job.trace]), [
      ['traced', { traceparent: PARENT, tracestate: STATE }],
      ['plain', undefined],
    ]);
    const finished = await engine.batch.finishAndTake('batch', [{ queueId: 'a', jobId: 'traced' }], 1);
    assert.deepEqual(finished.jobs.map((job) => [job.jobId, job.trace]), [['other', { traceparent: other }]]);
    const failed = await engine.failNext('batch', 'c', 'other');
    assert.deepEqual([failed?.next?.jobId, failed?.next?.trace], ['next', { traceparent: other }]);
    const next = await engine.finishNext('batch', 'd', 'next');
    assert.deepEqual([next?.next?.jobId, next?.next?.trace], ['other', { traceparent: other }], 'the failed job came back traced');
  });
});
