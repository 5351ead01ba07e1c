import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import type { EnqueueRequest, QueueEngine } from '../../src/engine/engine.js';
import { ValidationError } from '../../src/errors.js';
import { type EngineHarness, startEngine } from '../helpers/engine.js';

/** Lets a test hand the engine what an untyped caller (JSON from HTTP) could send. */
function untyped<T>(value: unknown): T {
  return value as T;
}

const VALID: EnqueueRequest = { queueType: 'sms', queueId: 'q1', jobId: 'job-1', intervalMs: 1000, payload: { a: 1 } };

const BAD_IDENTIFIERS: [string, unknown][] = [
  ['empty', ''],
  ['101 characters', 'x'.repeat(101)],
  ['a space', 'a b'],
  ['a colon', 'a:b'],
  ['braces (a hash tag)', '{a}'],
  ['a slash', 'a/b'],
  ['non-ASCII', 'héllo'],
  ['a trailing newline', 'abc\n'],
  ['a number', 5],
  ['null', null],
  ['undefined', undefined],
  ['an object', { id: 'a' }],
  ['an array', ['a']],
];

const BAD_INTEGERS: [string, unknown][] = [
  ['a float', 1.5],
  ['a numeric string', '100'],
  ['a boolean', true],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['beyond MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER + 1],
  ['1e300', 1e300],
  ['null', null],
  ['an object', {}],
];

async function assertRejected(call: () => Promise<unknown>, field: string, what: string): Promise<void> {
  await assert.rejects(call, (err: unknown) => {
    assert.ok(err instanceof ValidationError, `${what}: a ValidationError, got ${String(err)}`);
    assert.equal(err.field, field, `${what}: names the field`);
    assert.ok(err.message.includes(field), `${what}: the message names ${field}: ${err.message}`);
    return true;
  });
}

describe('validation', () => {
  let h: EngineHarness;
  let engine: QueueEngine;
  before(async () => {
    h = await startEngine();
    engine = h.engine;
  });
  after(async () => {
    await h?.stop();
  });
  beforeEach(async () => {
    await h.redis.flushall();
  });

  /** A rejected call must not have touched Redis at all. */
  async function assertNothingWritten(): Promise<void> {
    assert.equal(await h.redis.dbsize(), 0, 'a rejected call writes no key');
  }

  test('identifiers are 1-100 characters of A-Za-z0-9_-', async () => {
    for (const ok of ['a', 'x'.repeat(100), 'Az09_-', '-', '_', '0']) {
      const result = await engine.enqueue({ ...VALID, queueType: ok, queueId: ok, jobId: ok });
      assert.equal(result.kind, 'queued', `${JSON.stringify(ok)} is a valid identifier`);
    }
  });

  for (const field of ['queue_type', 'queue_id', 'job_id'] as const) {
    const property = ({ queue_type: 'queueType', queue_id: 'queueId', job_id: 'jobId' } as const)[field];
    test(`enqueue rejects a bad ${field} and writes nothing`, async () => {
      for (const [what, value] of BAD_IDENTIFIERS) {
        await assertRejected(() => engine.enqueue({ ...VALID, [property]: untyped<string>(value) }), field, `${field} ${what}`);
      }
      await assertNothingWritten();
    });
  }

  test('dequeue, finish, setInterval, clearQueue and queueLength reject bad identifiers', async () => {
    for (const [what, value] of BAD_IDENTIFIERS) {
      const bad = untyped<string>(value);
      await assertRejected(() => engine.dequeue(bad), 'queue_type', `dequeue ${what}`);
      await assertRejected(() => engine.finish(bad, 'q', 'j'), 'queue_type', `finish type ${what}`);
      await assertRejected(() => engine.finish('t', bad, 'j'), 'queue_id', `finish queue ${what}`);
      await assertRejected(() => engine.finish('t', 'q', bad), 'job_id', `finish job ${what}`);
      await assertRejected(() => engine.setInterval(bad, 'q', 10), 'queue_type', `setInterval type ${what}`);
      await assertRejected(() => engine.setInterval('t', bad, 10), 'queue_id', `setInterval queue ${what}`);
      await assertRejected(() => engine.clearQueue(bad, 'q', false), 'queue_type', `clearQueue type ${what}`);
      await assertRejected(() => engine.clearQueue('t', bad, true), 'queue_id', `clearQueue queue ${what}`);
      await assertRejected(() => engine.reads.queueLength(bad, 'q'), 'queue_type', `queueLength type ${what}`);
      await assertRejected(() => engine.reads.queueLength('t', bad), 'queue_id', `queueLength queue ${what}`);
    }
    await assertNothingWritten();
  });

  test('interval must be a non-negative safe integer', async () => {
    for (const [what, value] of [['negative', -1] as [string, unknown], ['undefined', undefined], ...BAD_INTEGERS]) {
      const bad = untyped<number>(value);
      await assertRejected(() => engine.enqueue({ ...VALID, intervalMs: bad }), 'interval', `enqueue interval ${what}`);
      await assertRejected(() => engine.setInterval('sms', 'q1', bad), 'interval', `setInterval ${what}`);
    }
    await assertNothingWritten();
    for (const ok of [0, 1, Number.MAX_SAFE_INTEGER]) {
      assert.equal((await engine.enqueue({ ...VALID, jobId: `ok-${ok}`, intervalMs: ok })).kind, 'queued');
    }
  });

  test('requeue_limit must be an integer >= -1', async () => {
    for (const [what, value] of [['-2', -2] as [string, unknown], ...BAD_INTEGERS]) {
      const bad = untyped<number>(value);
      await assertRejected(() => engine.enqueue({ ...VALID, requeueLimit: bad }), 'requeue_limit', `requeue_limit ${what}`);
    }
    await assertNothingWritten();
    for (const [i, ok] of [-1, 0, 1, Number.MAX_SAFE_INTEGER].entries()) {
      assert.equal((await engine.enqueue({ ...VALID, jobId: `ok-${i}`, requeueLimit: ok })).kind, 'queued');
    }
  });

  test('max_queued_length must be a non-negative integer', async () => {
    for (const [what, value] of [['-1', -1] as [string, unknown], ...BAD_INTEGERS]) {
      const bad = untyped<number>(value);
      await assertRejected(
        () => engine.enqueue({ ...VALID, maxQueuedLength: bad }),
        'max_queued_length',
        `max_queued_length ${what}`,
      );
    }
    await assertNothingWritten();
  });

  test('a missing payload is rejected, null is a payload', async () => {
    await assertRejected(() => engine.enqueue({ ...VALID, payload: undefined }), 'payload', 'payload undefined');
    await assertRejected(() => engine.enqueue({ ...VALID, payload: () => 1 }), 'payload', 'payload a function');
    await assertRejected(() => engine.enqueue({ ...VALID, payload: { n: 1n } }), 'payload', 'payload with a BigInt');
    const withoutPayload: Partial<EnqueueRequest> = { ...VALID };
    delete withoutPayload.payload;
    await assertRejected(() => engine.enqueue(untyped<EnqueueRequest>(withoutPayload)), 'payload', 'payload absent');
    await assertNothingWritten();
    assert.equal((await engine.enqueue({ ...VALID, payload: null })).kind, 'queued');
  });

  test('the first invalid field is reported even when several are bad, and nothing is written', async () => {
    await assert.rejects(
      () => engine.enqueue(untyped<EnqueueRequest>({ queueType: 'ok', queueId: 'bad id', jobId: '', intervalMs: -1 })),
      ValidationError,
    );
    await assertNothingWritten();
  });
});
