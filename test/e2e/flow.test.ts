// Flow control end to end through the CLI with 2 workers (SPEC 5.14): pause and resume of a queue
// and a type, a fail's hold, max_active per queue and per type, the type's token bucket, long-polling
// requests woken by what lifts each, the limits routes, /queues/ and Prometheus.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { serverForFile, type Json } from '../helpers/api.js';
import { longPoll, metricSum } from '../helpers/long-poll.js';
import { waitFor } from '../helpers/wait.js';

const file = serverForFile({
  config: { sharq: { job_expire_interval: '60000', job_requeue_interval: '50' } },
});

const call = (method: string, path: string, body?: unknown) => file.api.request(method, path, body);
const json = async (method: string, path: string, body?: unknown): Promise<[number, Json]> => {
  const r = await call(method, path, body);
  return [r.status, r.body as Json];
};
const enqueue = (type: string, queue: string, jobId: string, extra: Json = {}) =>
  call('POST', `/enqueue/${type}/${queue}/`, { job_id: jobId, interval: 0, payload: { jobId }, ...extra });

/** A long-poll dequeue, and a wait until the instance counts it as waiting (no sleeping on it). */
async function waiter(type: string, waitMs = 10_000) {
  const before = await metricSum(file.server, 'sharq_long_poll_waiting_requests', { queue_type: type });
  const w = longPoll(file.server, `/dequeue/${type}/?wait=${waitMs}`);
  await waitFor(async () => (await metricSum(file.server, 'sharq_long_poll_waiting_requests', { queue_type: type })) > before, {
    what: `a waiting request of ${type}`,
  });
  return w;
}

describe('pause and resume', () => {
  test('a paused queue answers 404 and keeps its waiters; resume hands its job to the waiter at once', async () => {
    assert.deepEqual(await json('POST', '/pause/fp/q/'), [200, { status: 'success', paused_until_ms: null }]);
    assert.equal((await enqueue('fp', 'q', 'a')).status, 201, 'a paused queue still takes enqueues');
    assert.equal((await call('GET', '/dequeue/fp/')).status, 404);
    assert.deepEqual(await json('GET', '/limits/fp/q/'), [200, { status: 'success', interval: 0, max_active: null, paused: true, paused_until_ms: null }]);
    const w = await waiter('fp');
    const resumed = Date.now();
    assert.deepEqual(await json('POST', '/resume/fp/q/'), [200, { status: 'success' }]);
    const reply = await w.reply;
    assert.equal(reply.status, 200);
    assert.equal(reply.body.job_id, 'a');
    // SPEC: within 50 ms (p99, lightly loaded; the bench measures it). Here only that it is not a timer's doing.
    assert.ok(Date.now() - resumed < 2000, `the waiter was answered ${Date.now() - resumed} ms after the resume`);
  });

  test('a type paused for_ms hands out nothing until then, and its waiters get the job when it ends', async () => {
    assert.equal((await enqueue('fpt', 'q', 'a')).status, 201);
    const [status, body] = await json('POST', '/pause/fpt/', { for_ms: 700 });
    assert.equal(status, 200);
    assert.equal(typeof body.paused_until_ms, 'number');
    const [, limits] = await json('GET', '/limits/fpt/');
    assert.deepEqual(limits, { status: 'success', max_active: null, rate_per_s: null, burst: null, paused: true, paused_until_ms: body.paused_until_ms });
    assert.equal((await call('GET', '/dequeue/fpt/')).status, 404);
    const w = await waiter('fpt');
    const reply = await w.reply;
    assert.equal(reply.status, 200);
    assert.equal(reply.body.job_id, 'a');
    assert.equal(await metricSum(file.server, 'sharq_dequeues_refused_total', { queue_type: 'fpt', limit: 'type_paused' }) > 0, true);
    assert.deepEqual(await json('POST', '/resume/fpt/'), [200, { status: 'success' }]);
  });

  test('a fail with hold_queue_ms pauses the queue: GET /limits/ shows it, resume ends it', async () => {
    for (const id of ['a', 'b']) assert.equal((await enqueue('fh', 'q', id)).status, 201);
    assert.equal((await call('GET', '/dequeue/fh/')).status, 200);
    assert.equal((await json('POST', '/fail/fh/q/a/', { hold_queue_ms: 60_000 }))[1].outcome, 'retry');
    const [, held] = await json('GET', '/limits/fh/q/');
    assert.equal(held.paused, true);
    assert.ok(typeof held.paused_until_ms === 'number' && held.paused_until_ms > Date.now() + 30_000);
    assert.equal((await call('GET', '/dequeue/fh/')).status, 404);
    await waitFor(async () => (await metricSum(file.server, 'sharq_paused_queues', { queue_type: 'fh' })) === 1, { what: 'the paused-queues gauge' });
    assert.equal((await call('POST', '/resume/fh/q/')).status, 200);
    assert.equal((await json('GET', '/dequeue/fh/'))[1].job_id, 'a');
  });
});

describe('max_active', () => {
  test('a queue at its max_active waits for a finish, which wakes a waiting request', async () => {
    for (const id of ['a', 'b']) assert.equal((await enqueue('fm', 'q', id, { max_active: 1 })).status, 201);
    assert.equal((await json('GET', '/dequeue/fm/'))[1].job_id, 'a');
    assert.equal((await call('GET', '/dequeue/fm/')).status, 404);
    const w = await waiter('fm');
    assert.equal((await call('POST', '/finish/fm/q/a/')).status, 200);
    assert.equal((await w.reply).body.job_id, 'b');
    const [, queues] = await json('GET', '/queues/fm/');
    const [summary] = queues.queues as Json[];
    assert.deepEqual([summary?.max_active, summary?.paused], [1, false]);
  });

  test('a type\'s max_active holds over all its queues; a freed slot wakes a waiter; the refusal is counted', async () => {
    const [status, set] = await json('POST', '/limits/fmt/', { max_active: 1 });
    assert.deepEqual([status, set], [200, { status: 'success', max_active: 1, rate_per_s: null, burst: null, paused: false, paused_until_ms: null }]);
    for (const q of ['q1', 'q2']) assert.equal((await enqueue('fmt', q, 'j')).status, 201);
    const [, first] = await json('GET', '/dequeue/fmt/');
    assert.equal((await call('GET', '/dequeue/fmt/')).status, 404);
    await waitFor(async () => (await metricSum(file.server, 'sharq_dequeues_refused_total', { queue_type: 'fmt', limit: 'type_max_active' })) >= 1, {
      what: 'the refusal counter',
    });
    const w = await waiter('fmt');
    assert.equal((await call('POST', `/finish/fmt/${String(first.queue_id)}/j/`)).status, 200);
    const reply = await w.reply;
    assert.equal(reply.status, 200);
    assert.notEqual(reply.body.queue_id, first.queue_id);
    const [, queues] = await json('GET', '/queues/fmt/');
    assert.deepEqual(queues.limits, { max_active: 1, rate_per_s: null, burst: null, paused: false, paused_until_ms: null });
  });

  test('POST /limits/<type>/<queue>/ pins the queue\'s limits; 404 for an unknown queue', async () => {
    assert.equal((await enqueue('fl', 'q', 'a', { max_active: 2 })).status, 201);
    assert.deepEqual(await json('POST', '/limits/fl/q/', { interval: 100, max_active: 3 }), [
      200,
      { status: 'success', interval: 100, max_active: 3, paused: false, paused_until_ms: null },
    ]);
    assert.equal((await enqueue('fl', 'q', 'b', { max_active: 1, interval: 5 })).status, 201);
    assert.deepEqual((await json('GET', '/limits/fl/q/'))[1], { status: 'success', interval: 100, max_active: 3, paused: false, paused_until_ms: null });
    const [missing, body] = await json('POST', '/limits/fl/nope/', { max_active: 2 });
    assert.equal(missing, 404);
    assert.match(String(body.message), /queue not found/);
  });
});

describe('rate_per_s', () => {
  test('the type\'s token bucket spaces jobs out on Redis\'s clock; a waiter gets the next job when its token comes', async () => {
    assert.equal((await json('POST', '/limits/fr/', { rate_per_s: 4, burst: 1 }))[1].burst, 1);
    for (const q of ['q1', 'q2']) assert.equal((await enqueue('fr', q, 'j')).status, 201);
    assert.equal((await call('GET', '/dequeue/fr/')).status, 200);
    const w = longPoll(file.server, '/dequeue/fr/?wait=10000');
    const reply = await w.reply;
    assert.equal(reply.status, 200, 'answered when the next token came, not at the end of the wait');
    assert.ok(reply.elapsedMs < 5000);
    assert.deepEqual((await json('POST', '/limits/fr/', { rate_per_s: null }))[1].rate_per_s, null);
  });
});

describe('bad input', () => {
  test('a clear 400 naming the field; unknown fields are refused', async () => {
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', '/limits/fb/', { max_actve: 2 }, /unknown field `max_actve`/],
      ['POST', '/limits/fb/', { rate_per_s: 0 }, /rate_per_s/],
      ['POST', '/limits/fb/', { burst: 0 }, /burst/],
      ['POST', '/limits/fb/', { max_active: 1_000_001 }, /max_active/],
      ['POST', '/limits/fb/q/', { max_active: 'x' }, /max_active/],
      ['POST', '/pause/fb/q/', { for_ms: 0 }, /for_ms/],
      ['POST', '/pause/fb/', { until: 5 }, /unknown field `until`/],
      ['POST', '/enqueue/fb/q/', { job_id: 'a', interval: 0, payload: 1, max_active: 0 }, /max_active/],
    ];
    for (const [method, path, body, message] of cases) {
      const [status, reply] = await json(method, path, body);
      assert.equal(status, 400, `${method} ${path} ${JSON.stringify(body)}`);
      assert.equal(reply.status, 'failure');
      assert.match(String(reply.message), message);
    }
  });
});
