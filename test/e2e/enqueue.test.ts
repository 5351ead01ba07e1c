// POST /enqueue/<type>/<id>/ end to end: the real CLI (2 workers) on a real Redis. Each test uses
// its own queue types so that the tests do not see each other's jobs.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { asObject, assertCleanError, enqueue, JOB, queueLength, serverForFile, type Json } from '../helpers/api.js';

const { api } = serverForFile();

describe('enqueue', () => {
  test('201 queued', async () => {
    const res = await enqueue(api, 'enq-ok', 'q1', JOB);
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body, { status: 'queued' });
    assert.equal(await queueLength(api, 'enq-ok', 'q1'), 1);
  });

  test('missing or invalid job_id, interval, requeue_limit and payload: 400 naming the field', async () => {
    const { job_id: _j, ...noJobId } = JOB;
    const { interval: _i, ...noInterval } = JOB;
    const { payload: _p, ...noPayload } = JOB;
    const cases: { body: Json; field: string }[] = [
      { body: noJobId, field: 'job_id' },
      { body: { ...JOB, job_id: '' }, field: 'job_id' },
      { body: { ...JOB, job_id: 'a.b' }, field: 'job_id' },
      { body: { ...JOB, job_id: 'x'.repeat(101) }, field: 'job_id' },
      { body: { ...JOB, job_id: 42 }, field: 'job_id' },
      { body: { ...JOB, job_id: null }, field: 'job_id' },
      { body: noInterval, field: 'interval' },
      { body: { ...JOB, interval: -1 }, field: 'interval' },
      { body: { ...JOB, interval: 1.5 }, field: 'interval' },
      { body: { ...JOB, interval: '10' }, field: 'interval' },
      { body: { ...JOB, interval: true }, field: 'interval' },
      { body: { ...JOB, interval: 2 ** 53 }, field: 'interval' },
      { body: { ...JOB, interval: null }, field: 'interval' },
      { body: { ...JOB, requeue_limit: -2 }, field: 'requeue_limit' },
      { body: { ...JOB, requeue_limit: 1.5 }, field: 'requeue_limit' },
      { body: { ...JOB, requeue_limit: '3' }, field: 'requeue_limit' },
      { body: { ...JOB, requeue_limit: false }, field: 'requeue_limit' },
      { body: noPayload, field: 'payload' },
    ];
    for (const { body, field } of cases) {
      const res = await enqueue(api, 'enq-bad', 'q1', body);
      assertCleanError(res, 400, field);
    }
    // Nothing of that was queued.
    assert.equal(await queueLength(api, 'enq-bad', 'q1'), 0);
  });

  test('invalid queue_type or queue_id in the path: 400', async () => {
    const long = 'x'.repeat(101);
    for (const [path, field] of [
      ['/enqueue/a.b/q1/', 'queue_type'],
      [`/enqueue/${long}/q1/`, 'queue_type'],
      ['/enqueue/a%20b/q1/', 'queue_type'],
      ['/enqueue/enq-path/a.b/', 'queue_id'],
      [`/enqueue/enq-path/${long}/`, 'queue_id'],
      ['/enqueue/enq-path/%C3%A9/', 'queue_id'],
    ] as const) {
      assertCleanError(await api.post(path, JOB), 400, field);
    }
    // 100 characters are fine.
    const res = await enqueue(api, 'x'.repeat(100), 'y'.repeat(100), JOB);
    assert.equal(res.status, 201, res.text);
  });


  test('a duplicate job_id: 201 with duplicate: true, one copy queued', async () => {
    const first = await enqueue(api, 'enq-dup', 'q1', JOB);
    assert.equal(first.status, 201);
    assert.deepEqual(first.body, { status: 'queued' });
    const second = await enqueue(api, 'enq-dup', 'q1', { ...JOB, payload: 'other' });
    assert.equal(second.status, 201, second.text);
    const body = asObject(second.body);
    assert.equal(body.status, 'queued');
    assert.equal(body.duplicate, true);
    assert.equal(await queueLength(api, 'enq-dup', 'q1'), 1);
    // Also while active: dequeued and not finished.
    const deq = await api.get('/dequeue/enq-dup/');
    assert.equal(deq.status, 200);
    assert.deepEqual(asObject(deq.body).payload, JOB.payload);
    const third = await enqueue(api, 'enq-dup', 'q1', JOB);
    assert.equal(third.status, 201);
    assert.equal(asObject(third.body).duplicate, true);
    assert.equal(await queueLength(api, 'enq-dup', 'q1'), 0);
    // The same job_id in another queue is another job.
    const other = await enqueue(api, 'enq-dup', 'q2', JOB);
    assert.deepEqual(other.body, { status: 'queued' });
  });

  test('max_queued_length inside the payload: 429 with current_queue_length once full', async () => {
    for (const jobId of ['m1', 'm2']) {
      const res = await enqueue(api, 'enq-max-payload', 'q1', { job_id: jobId, interval: 0, payload: { max_queued_length: 2 } });
      assert.equal(res.status, 201, res.text);
    }
    const res = await enqueue(api, 'enq-max-payload', 'q1', { job_id: 'm3', interval: 0, payload: { max_queued_length: 2 } });
    assert.equal(res.status, 429, res.text);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const body = asObject(res.body);
    assert.equal(body.status, 'failure');
    assert.equal(body.current_queue_length, 2);
    assert.equal(await queueLength(api, 'enq-max-payload', 'q1'), 2);
  });

  test('max_queued_length at the top level: 429 with current_queue_length once full', async () => {
    for (const jobId of ['m1', 'm2', 'm3']) {
      const res = await enqueue(api, 'enq-max-top', 'q1', { job_id: jobId, interval: 0, payload: {}, max_queued_length: 3 });
      assert.equal(res.status, 201, res.text);
    }
    const res = await enqueue(api, 'enq-max-top', 'q1', { job_id: 'm4', interval: 0, payload: {}, max_queued_length: 3 });
    assert.equal(res.status, 429, res.text);
    assert.equal(asObject(res.body).current_queue_length, 3);
    // max_queued_length 0: nothing can be queued.
    const zero = await enqueue(api, 'enq-max-top', 'q2', { job_id: 'z', interval: 0, payload: {}, max_queued_length: 0 });
    assert.equal(zero.status, 429);
    assert.equal(asObject(zero.body).current_queue_length, 0);
    // A bad value is a 400 naming it.
    const bad = await enqueue(api, 'enq-max-top', 'q3', { job_id: 'z', interval: 0, payload: {}, max_queued_length: -1 });
    assertCleanError(bad, 400, 'max_queued_length');
  });

  test('a payload of every JSON kind comes back unchanged', async () => {
    let nested: unknown = { leaf: ['end', 1, null, true] };
    for (let i = 0; i < 100; i++) nested = { level: i, child: nested, list: [i, `s${i}`] };
    const payloads: unknown[] = [
      { message: 'hello, world', n: 1, f: 1.25, t: true, f2: false, z: null, a: [1, { b: 'c' }] },
      [1, 'two', 3.5, null, false, { four: [4] }, []],
      'just a string',
      '',
      0,
      -12.5e-3,
      123456789012,
      true,
      false,
      null,
      {},
      [],
      'héllo wörld ✓ — 日本語 😀 \u0000 \u2028 "quoted" \\ back\nslash\ttab',
      { 'ключ': 'значение', '😀': ['🎉'] },
      nested,
      { wide: Array.from({ length: 2000 }, (_, i) => ({ i, s: `item-${i}` })) },
      JSON.parse('{"__proto__": {"x": 1}, "constructor": "c", "toString": 1}') as unknown,
    ];
    const type = 'payload-kinds';
    for (const [i, payload] of payloads.entries()) {
      const res = await enqueue(api, type, 'q1', { job_id: `p${i}`, interval: 0, payload });
      assert.equal(res.status, 201, `payload ${i}: ${res.text}`);
    }
    for (const [i, payload] of payloads.entries()) {
      const res = await api.get(`/dequeue/${type}/`);
      assert.equal(res.status, 200, res.text);
      const body = asObject(res.body);
      assert.equal(body.job_id, `p${i}`);
      assert.deepEqual(body.payload, payload, `payload ${i}`);
    }
    assert.equal((await api.get(`/dequeue/${type}/`)).status, 404);
  });
});
