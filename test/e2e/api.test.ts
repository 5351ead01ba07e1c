// The HTTP API of SPEC section 2, end to end: the real CLI (2 workers) on a real Redis, spoken to
// over HTTP. Each test uses its own queue types so that the tests do not see each other's jobs.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { request, startServer, type ServerHandle } from '../helpers/server.js';

let redis: RedisServerHandle;
let server: ServerHandle;

type Json = Record<string, unknown>;

before(async () => {
  redis = await startRedis();
  server = await startServer({ redisPort: redis.port, workers: 2 });
});

after(async () => {
  await server?.stop();
  await redis?.stop();
});

// ---- helpers ---------------------------------------------------------------------------------

function url(path: string): string {
  return `${server.url}${path}`;
}

async function get(path: string): Promise<Awaited<ReturnType<typeof request>>> {
  return request(url(path));
}

async function post(path: string, body?: unknown): Promise<Awaited<ReturnType<typeof request>>> {
  return request(url(path), { method: 'POST', ...(body === undefined ? {} : { body }) });
}

async function enqueue(
  type: string,
  id: string,
  job: Json,
): Promise<Awaited<ReturnType<typeof request>>> {
  return post(`/enqueue/${type}/${id}/`, job);
}

async function queueLength(type: string, id: string): Promise<number> {
  const res = await get(`/metrics/${type}/${id}/`);
  assert.equal(res.status, 200, res.text);
  const length = (res.body as Json).queue_length;
  assert.equal(typeof length, 'number');
  return length as number;
}

function asObject(value: unknown): Json {
  assert.equal(typeof value, 'object', `expected an object, got ${JSON.stringify(value)}`);
  assert.ok(value !== null && !Array.isArray(value));
  return value as Json;
}

/** A raw HTTP request with exactly the given headers (fetch always adds a Content-Type to a string body). */
function rawRequest(
  path: string,
  { method = 'GET', headers = {}, body }: { method?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  // A fresh connection each time (a garbage request must not poison the next one), and an explicit
  // Content-Length: node sends a DELETE's body without one, which the server reads as a next request.
  const allHeaders = body === undefined ? headers : { 'content-length': String(Buffer.byteLength(body)), ...headers };
  return new Promise((resolve, reject) => {
    const req = http.request(url(path), { method, headers: allHeaders, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** An error reply: JSON, status failure, a message, and nothing of our internals. */
function assertCleanError(
  res: { status: number; text: string; headers: Headers | http.IncomingHttpHeaders },
  status: number,
  field?: string,
): Json {
  assert.equal(res.status, status, res.text);
  const contentType = res.headers instanceof Headers ? res.headers.get('content-type') : res.headers['content-type'];
  assert.match(String(contentType), /^application\/json/, `content-type of ${res.text}`);
  assertNoInternals(res.text);
  const body = asObject(JSON.parse(res.text));
  assert.equal(body.status, 'failure', res.text);
  if (status !== 404 || 'message' in body) assert.equal(typeof body.message, 'string', res.text);
  if (field !== undefined) assert.ok(String(body.message).includes(field), `message should name ${field}: ${res.text}`);
  return body;
}

function assertNoInternals(text: string): void {
  assert.doesNotMatch(text, /\bat [\w.<>]+ \(|\n\s+at /, `stack frame in ${text}`);
  assert.doesNotMatch(text, /\/work\/|node_modules|\/dist\/|\.[jt]s:\d+/, `file path in ${text}`);
}

const JOB = { job_id: 'job-1', interval: 0, payload: { hello: 'world' } };

// ---- tests -----------------------------------------------------------------------------------

describe('index', () => {
  test('GET / says hello', async () => {
    const res = await get('/');
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get('content-type')), /^application\/json/);
    assert.deepEqual(res.body, { message: 'Hello, SharQ!' });
  });
});

describe('enqueue', () => {
  test('201 queued', async () => {
    const res = await enqueue('enq-ok', 'q1', JOB);
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body, { status: 'queued' });
    assert.equal(await queueLength('enq-ok', 'q1'), 1);
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
      const res = await enqueue('enq-bad', 'q1', body);
      assertCleanError(res, 400, field);
    }
    // Nothing of that was queued.
    assert.equal(await queueLength('enq-bad', 'q1'), 0);
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
      assertCleanError(await post(path, JOB), 400, field);
    }
    // 100 characters are fine.
    const res = await enqueue('x'.repeat(100), 'y'.repeat(100), JOB);
    assert.equal(res.status, 201, res.text);
  });

  test('malformed JSON, a JSON array, a JSON scalar and an empty body: 400', async () => {
    for (const rawBody of ['{"job_id": "j1", ', "{'job_id': 'j1'}", '[1, 2, 3]', '[]', '"job"', '42', 'null', '', '   ']) {
      const res = await request(url('/enqueue/enq-malformed/q1/'), { method: 'POST', rawBody });
      assertCleanError(res, 400);
    }
    assert.equal(await queueLength('enq-malformed', 'q1'), 0);
  });

  test('a body without a Content-Type header is accepted (like the original)', async () => {
    const res = await rawRequest('/enqueue/enq-no-ctype/q1/', { method: 'POST', body: JSON.stringify(JOB) });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(JSON.parse(res.text), { status: 'queued' });
    // And with a text/plain one (curl -d's default is form-urlencoded; fetch's is text/plain).
    const res2 = await request(url('/enqueue/enq-no-ctype/q1/'), {
      method: 'POST',
      rawBody: JSON.stringify({ ...JOB, job_id: 'job-2' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res2.status, 201, res2.text);
    assert.equal(await queueLength('enq-no-ctype', 'q1'), 2);
  });

  test('a body over the limit (1 MiB by default): 413 JSON', async () => {
    const big = { ...JOB, payload: 'x'.repeat(1024 * 1024 + 16) };
    const res = await enqueue('enq-big', 'q1', big);
    assertCleanError(res, 413);
    // Just under the limit is fine.
    const fits = { ...JOB, payload: 'x'.repeat(1024 * 1024 - 200) };
    const ok = await enqueue('enq-big', 'q1', fits);
    assert.equal(ok.status, 201, ok.text);
    // The other body routes too.
    assertCleanError(await post('/interval/enq-big/q1/', { interval: 1, pad: 'x'.repeat(1024 * 1024 + 16) }), 413);
    assertCleanError(
      await request(url('/deletequeue/enq-big/q1/'), {
        method: 'DELETE',
        body: { purge_all: false, pad: 'x'.repeat(1024 * 1024 + 16) },
      }),
      413,
    );
    // The server is still fine.
    assert.equal((await get('/')).status, 200);
  });

  test('a duplicate job_id: 201 with duplicate: true, one copy queued', async () => {
    const first = await enqueue('enq-dup', 'q1', JOB);
    assert.equal(first.status, 201);
    assert.deepEqual(first.body, { status: 'queued' });
    const second = await enqueue('enq-dup', 'q1', { ...JOB, payload: 'other' });
    assert.equal(second.status, 201, second.text);
    const body = asObject(second.body);
    assert.equal(body.status, 'queued');
    assert.equal(body.duplicate, true);
    assert.equal(await queueLength('enq-dup', 'q1'), 1);
    // Also while active: dequeued and not finished.
    const deq = await get('/dequeue/enq-dup/');
    assert.equal(deq.status, 200);
    assert.deepEqual(asObject(deq.body).payload, JOB.payload);
    const third = await enqueue('enq-dup', 'q1', JOB);
    assert.equal(third.status, 201);
    assert.equal(asObject(third.body).duplicate, true);
    assert.equal(await queueLength('enq-dup', 'q1'), 0);
    // The same job_id in another queue is another job.
    const other = await enqueue('enq-dup', 'q2', JOB);
    assert.deepEqual(other.body, { status: 'queued' });
  });

  test('max_queued_length inside the payload: 429 with current_queue_length once full', async () => {
    for (const jobId of ['m1', 'm2']) {
      const res = await enqueue('enq-max-payload', 'q1', { job_id: jobId, interval: 0, payload: { max_queued_length: 2 } });
      assert.equal(res.status, 201, res.text);
    }
    const res = await enqueue('enq-max-payload', 'q1', { job_id: 'm3', interval: 0, payload: { max_queued_length: 2 } });
    assert.equal(res.status, 429, res.text);
    assert.match(String(res.headers.get('content-type')), /^application\/json/);
    const body = asObject(res.body);
    assert.equal(body.status, 'failure');
    assert.equal(body.current_queue_length, 2);
    assert.equal(await queueLength('enq-max-payload', 'q1'), 2);
  });

  test('max_queued_length at the top level: 429 with current_queue_length once full', async () => {
    for (const jobId of ['m1', 'm2', 'm3']) {
      const res = await enqueue('enq-max-top', 'q1', { job_id: jobId, interval: 0, payload: {}, max_queued_length: 3 });
      assert.equal(res.status, 201, res.text);
    }
    const res = await enqueue('enq-max-top', 'q1', { job_id: 'm4', interval: 0, payload: {}, max_queued_length: 3 });
    assert.equal(res.status, 429, res.text);
    assert.equal(asObject(res.body).current_queue_length, 3);
    // max_queued_length 0: nothing can be queued.
    const zero = await enqueue('enq-max-top', 'q2', { job_id: 'z', interval: 0, payload: {}, max_queued_length: 0 });
    assert.equal(zero.status, 429);
    assert.equal(asObject(zero.body).current_queue_length, 0);
    // A bad value is a 400 naming it.
    const bad = await enqueue('enq-max-top', 'q3', { job_id: 'z', interval: 0, payload: {}, max_queued_length: -1 });
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
      const res = await enqueue(type, 'q1', { job_id: `p${i}`, interval: 0, payload });
      assert.equal(res.status, 201, `payload ${i}: ${res.text}`);
    }
    for (const [i, payload] of payloads.entries()) {
      const res = await get(`/dequeue/${type}/`);
      assert.equal(res.status, 200, res.text);
      const body = asObject(res.body);
      assert.equal(body.job_id, `p${i}`);
      assert.deepEqual(body.payload, payload, `payload ${i}`);
    }
    assert.equal((await get(`/dequeue/${type}/`)).status, 404);
  });
});

describe('dequeue', () => {
  test('GET /dequeue/ uses the queue type "default"', async () => {
    assert.equal((await enqueue('default', 'q1', { ...JOB, job_id: 'default-job' })).status, 201);
    const res = await get('/dequeue/');
    assert.equal(res.status, 200, res.text);
    const body = asObject(res.body);
    assert.equal(body.job_id, 'default-job');
    assert.equal(body.queue_id, 'q1');
    assert.equal((await get('/dequeue/')).status, 404);
  });

  test('GET /dequeue/<type>/ returns exactly the documented keys', async () => {
    assert.equal((await enqueue('deq-keys', 'q7', { ...JOB, requeue_limit: 3 })).status, 201);
    assert.equal((await enqueue('deq-keys', 'q7', { ...JOB, job_id: 'job-2' })).status, 201);
    const res = await get('/dequeue/deq-keys/');
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers.get('content-type')), /^application\/json/);
    const body = asObject(res.body);
    assert.deepEqual(Object.keys(body).sort(), [
      'current_queue_length',
      'job_id',
      'payload',
      'queue_id',
      'requeues_remaining',
      'status',
    ]);
    assert.equal(body.status, 'success');
    assert.equal(body.queue_id, 'q7');
    assert.equal(body.job_id, 'job-1');
    assert.deepEqual(body.payload, JOB.payload);
    assert.equal(body.requeues_remaining, 3);
    assert.equal(typeof body.current_queue_length, 'number');
    assert.equal(body.current_queue_length, 1);
  });

  test('requeues_remaining is default_job_requeue_limit (-1) when no requeue_limit is given', async () => {
    assert.equal((await enqueue('deq-default-limit', 'q1', JOB)).status, 201);
    assert.equal((await enqueue('deq-default-limit', 'q1', { ...JOB, job_id: 'zero', requeue_limit: 0 })).status, 201);
    const first = asObject((await get('/dequeue/deq-default-limit/')).body);
    assert.equal(first.requeues_remaining, -1);
    const second = asObject((await get('/dequeue/deq-default-limit/')).body);
    assert.equal(second.job_id, 'zero');
    assert.equal(second.requeues_remaining, 0);
  });

  test('404 {"status":"failure"} when no job is ready', async () => {
    for (const path of ['/dequeue/deq-never-seen/', '/dequeue/deq-never-seen-2/']) {
      const res = await get(path);
      assert.equal(res.status, 404);
      assert.match(String(res.headers.get('content-type')), /^application\/json/);
      assert.deepEqual(res.body, { status: 'failure' });
    }
    // A queue whose only job is active has nothing ready either.
    assert.equal((await enqueue('deq-empty', 'q1', JOB)).status, 201);
    assert.equal((await get('/dequeue/deq-empty/')).status, 200);
    const res = await get('/dequeue/deq-empty/');
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { status: 'failure' });
  });

  test('HEAD /dequeue/<type>/ does not take a job: 405, the job is still there', async () => {
    assert.equal((await enqueue('deq-head', 'q1', JOB)).status, 201);
    for (const path of ['/dequeue/deq-head/', '/dequeue/']) {
      const head = await request(url(path), { method: 'HEAD' });
      assert.equal(head.status, 405);
      assert.equal(head.headers.get('allow'), 'GET, OPTIONS');
    }
    assert.equal(await queueLength('deq-head', 'q1'), 1);
    const res = await get('/dequeue/deq-head/');
    assert.equal(res.status, 200);
    assert.equal(asObject(res.body).job_id, 'job-1');
    // HEAD on a read-only route is still fine.
    assert.equal((await request(url('/metrics/deq-head/q1/'), { method: 'HEAD' })).status, 200);
  });

  test('400 on a bad queue type', async () => {
    assertCleanError(await get('/dequeue/a.b/'), 400, 'queue_type');
    assertCleanError(await get(`/dequeue/${'t'.repeat(101)}/`), 400, 'queue_type');
    assertCleanError(await get('/dequeue/a%2Fb/'), 400, 'queue_type');
  });
});

describe('finish', () => {
  test('200 success, then 404 once finished; 404 for an unknown job', async () => {
    assert.equal((await enqueue('fin', 'q1', JOB)).status, 201);
    assert.equal((await get('/dequeue/fin/')).status, 200);
    const res = await post('/finish/fin/q1/job-1/');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { status: 'success' });

    const again = await post('/finish/fin/q1/job-1/');
    assert.equal(again.status, 404);
    assert.deepEqual(again.body, { status: 'failure' });

    const unknown = await post('/finish/fin/q1/no-such-job/');
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, { status: 'failure' });
    assert.deepEqual((await post('/finish/fin-never-seen/q1/job-1/')).body, { status: 'failure' });
  });

  test('404 for a job that is queued but not dequeued', async () => {
    assert.equal((await enqueue('fin-queued', 'q1', JOB)).status, 201);
    const res = await post('/finish/fin-queued/q1/job-1/');
    assert.equal(res.status, 404);
    assert.equal(await queueLength('fin-queued', 'q1'), 1);
  });

  test('400 on a bad job_id, queue_id or queue_type', async () => {
    assertCleanError(await post('/finish/fin-bad/q1/a.b/'), 400, 'job_id');
    assertCleanError(await post(`/finish/fin-bad/q1/${'j'.repeat(101)}/`), 400, 'job_id');
    assertCleanError(await post('/finish/fin-bad/a.b/j1/'), 400, 'queue_id');
    assertCleanError(await post('/finish/a.b/q1/j1/'), 400, 'queue_type');
  });
});

describe('interval', () => {
  test('200 on an existing queue, 404 on a never-seen one', async () => {
    assert.equal((await enqueue('int-exists', 'q1', JOB)).status, 201);
    const res = await post('/interval/int-exists/q1/', { interval: 1000 });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { status: 'success' });

    const missing = await post('/interval/int-exists/never-seen/', { interval: 1000 });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { status: 'failure' });
    assert.equal((await post('/interval/int-never-seen-type/q1/', { interval: 1000 })).status, 404);
  });

  test('400 on a bad interval, a missing field or a missing body', async () => {
    assert.equal((await enqueue('int-bad', 'q1', JOB)).status, 201);
    for (const interval of [-1, 1.5, '10', true, 2 ** 53, null]) {
      assertCleanError(await post('/interval/int-bad/q1/', { interval }), 400, 'interval');
    }
    assertCleanError(await post('/interval/int-bad/q1/', {}), 400, 'interval');
    assertCleanError(await post('/interval/int-bad/q1/'), 400);
    assertCleanError(await request(url('/interval/int-bad/q1/'), { method: 'POST', rawBody: '{"interval": ' }), 400);
    assertCleanError(await request(url('/interval/int-bad/q1/'), { method: 'POST', rawBody: '[1000]' }), 400);
    assertCleanError(await post('/interval/a.b/q1/', { interval: 10 }), 400, 'queue_type');
    assertCleanError(await post('/interval/int-bad/a.b/', { interval: 10 }), 400, 'queue_id');
  });

  test('the new interval takes effect', async () => {
    const type = 'int-effect';
    assert.equal((await enqueue(type, 'q1', { job_id: 'first', interval: 0, payload: 1 })).status, 201);
    const set = await post(`/interval/${type}/q1/`, { interval: 60_000 });
    assert.equal(set.status, 200, set.text);
    assert.equal((await enqueue(type, 'q1', { job_id: 'second', interval: 0, payload: 2 })).status, 201);

    const first = await get(`/dequeue/${type}/`);
    assert.equal(first.status, 200, first.text);
    assert.equal(asObject(first.body).job_id, 'first');
    const second = await get(`/dequeue/${type}/`);
    assert.equal(second.status, 404, `the queue is rate limited to one job a minute: ${second.text}`);
    assert.equal(await queueLength(type, 'q1'), 1);
  });
});

describe('metrics', () => {
  function assertMinuteCounts(counts: unknown): Record<string, number> {
    const object = asObject(counts) as Record<string, number>;
    const minutes = Object.keys(object).map(Number).sort((a, b) => a - b);
    assert.equal(minutes.length, 10, JSON.stringify(object));
    for (const minute of minutes) {
      assert.ok(Number.isSafeInteger(minute) && minute % 60_000 === 0, `${minute} is not a minute epoch in ms`);
      assert.equal(typeof object[String(minute)], 'number');
    }
    for (let i = 1; i < minutes.length; i++) assert.equal((minutes[i] ?? 0) - (minutes[i - 1] ?? 0), 60_000);
    // The newest minute is now (within a few minutes of this host's clock; the server uses Redis's).
    assert.ok(Math.abs((minutes[9] ?? 0) - Date.now()) < 5 * 60_000, `newest minute ${minutes[9]}`);
    return object;
  }

  const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

  test('/metrics/ has queue_types and 10 minutes of enqueue and dequeue counts', async () => {
    for (const jobId of ['a', 'b', 'c']) assert.equal((await enqueue('met-global', 'q1', { ...JOB, job_id: jobId })).status, 201);
    assert.equal((await enqueue('met-global-2', 'q1', JOB)).status, 201);
    assert.equal((await get('/dequeue/met-global/')).status, 200);
    assert.equal((await get('/dequeue/met-global/')).status, 200);

    const res = await get('/metrics/');
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers.get('content-type')), /^application\/json/);
    const body = asObject(res.body);
    assert.deepEqual(Object.keys(body).sort(), ['dequeue_counts', 'enqueue_counts', 'queue_types', 'status']);
    assert.equal(body.status, 'success');
    assert.ok(Array.isArray(body.queue_types));
    for (const type of ['met-global', 'met-global-2']) {
      assert.ok((body.queue_types as unknown[]).includes(type), `${type} in ${JSON.stringify(body.queue_types)}`);
    }
    assert.ok(sum(assertMinuteCounts(body.enqueue_counts)) >= 4);
    assert.ok(sum(assertMinuteCounts(body.dequeue_counts)) >= 2);
  });

  test('/metrics/<type>/ lists queue_ids, /metrics/<type>/<id>/ has queue_length and counts', async () => {
    assert.equal((await enqueue('met-type', 'qa', JOB)).status, 201);
    assert.equal((await enqueue('met-type', 'qb', JOB)).status, 201);
    assert.equal((await enqueue('met-type', 'qb', { ...JOB, job_id: 'job-2' })).status, 201);
    assert.equal((await get('/dequeue/met-type/')).status, 200);

    const ids = await get('/metrics/met-type/');
    assert.equal(ids.status, 200, ids.text);
    const idsBody = asObject(ids.body);
    assert.equal(idsBody.status, 'success');
    assert.deepEqual([...(idsBody.queue_ids as string[])].sort(), ['qa', 'qb']);
    assert.deepEqual((await get('/metrics/met-never-seen/')).body, { status: 'success', queue_ids: [] });

    const q = await get('/metrics/met-type/qb/');
    assert.equal(q.status, 200, q.text);
    const qBody = asObject(q.body);
    assert.deepEqual(Object.keys(qBody).sort(), ['dequeue_counts', 'enqueue_counts', 'queue_length', 'status']);
    assert.equal(qBody.status, 'success');
    const qaBody = asObject((await get('/metrics/met-type/qa/')).body);
    assert.equal((qBody.queue_length as number) + (qaBody.queue_length as number), 2);
    assert.equal(sum(assertMinuteCounts(qBody.enqueue_counts)), 2);
    assert.equal(sum(assertMinuteCounts(qaBody.enqueue_counts)), 1);
    const deqs =
      sum(assertMinuteCounts(qBody.dequeue_counts)) +
      sum(assertMinuteCounts(asObject((await get('/metrics/met-type/qa/')).body).dequeue_counts));
    assert.equal(deqs, 1);
  });

  test('400 on a bad queue type or queue id', async () => {
    assertCleanError(await get('/metrics/a.b/'), 400, 'queue_type');
    assertCleanError(await get('/metrics/a.b/q1/'), 400, 'queue_type');
    assertCleanError(await get('/metrics/met-bad/a.b/'), 400, 'queue_id');
    assertCleanError(await get(`/metrics/${'m'.repeat(101)}/`), 400, 'queue_type');
  });
});

describe('deletequeue', () => {
  async function del(path: string, body?: unknown): Promise<Awaited<ReturnType<typeof request>>> {
    return request(url(path), { method: 'DELETE', ...(body === undefined ? {} : { body }) });
  }

  test('purge_all false and true: 200 Success, the queue is empty afterwards', async () => {
    for (const purgeAll of [false, true]) {
      const type = `del-${String(purgeAll)}`;
      for (const jobId of ['a', 'b', 'c']) assert.equal((await enqueue(type, 'q1', { ...JOB, job_id: jobId })).status, 201);
      assert.equal(await queueLength(type, 'q1'), 3);
      const res = await del(`/deletequeue/${type}/q1/`, { purge_all: purgeAll });
      assert.equal(res.status, 200, res.text);
      const body = asObject(res.body);
      assert.equal(body.status, 'Success');
      assert.equal(typeof body.message, 'string');
      assert.equal(await queueLength(type, 'q1'), 0);
      assert.equal((await get(`/dequeue/${type}/`)).status, 404);
    }
  });

  test('an empty queue: 200 {"status":"Failure","message":"No queued calls found"}', async () => {
    const res = await del('/deletequeue/del-empty/q1/', { purge_all: false });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { status: 'Failure', message: 'No queued calls found' });
    const purge = await del('/deletequeue/del-empty/q1/', { purge_all: true });
    assert.deepEqual(purge.body, { status: 'Failure', message: 'No queued calls found' });
  });

  test('purge_all not a boolean: 400; no body: purge_all defaults to false', async () => {
    for (const purgeAll of ['true', 1, null, {}]) {
      assertCleanError(await del('/deletequeue/del-bad/q1/', { purge_all: purgeAll }), 400, 'purge_all');
    }
    assertCleanError(await request(url('/deletequeue/del-bad/q1/'), { method: 'DELETE', rawBody: '{"purge_all": ' }), 400);
    assertCleanError(await del('/deletequeue/a.b/q1/', { purge_all: false }), 400, 'queue_type');

    assert.equal((await enqueue('del-nobody', 'q1', JOB)).status, 201);
    const res = await del('/deletequeue/del-nobody/q1/');
    assert.equal(res.status, 200, res.text);
    assert.equal(asObject(res.body).status, 'Success');
    assert.equal(await queueLength('del-nobody', 'q1'), 0);
    // And an empty JSON object.
    assert.equal((await enqueue('del-nobody', 'q1', JOB)).status, 201);
    assert.equal(asObject((await del('/deletequeue/del-nobody/q1/', {})).body).status, 'Success');
  });
});

describe('deepstatus', () => {
  test('GET /deepstatus/: 200 success', async () => {
    const res = await get('/deepstatus/');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { status: 'success' });
  });
});

describe('routing', () => {
  test('a SharQ path without its trailing slash: 308 to the slashed path', async () => {
    for (const [method, path] of [
      ['GET', '/dequeue'],
      ['GET', '/dequeue/rt-type'],
      ['GET', '/metrics/rt-type'],
      ['GET', '/metrics/rt-type/q1'],
      ['GET', '/deepstatus'],
      ['POST', '/finish/rt-type/q1/j1'],
      ['POST', '/interval/rt-type/q1'],
      ['DELETE', '/deletequeue/rt-type/q1'],
    ] as const) {
      const res = await request(url(path), { method });
      assert.equal(res.status, 308, `${method} ${path}: ${res.text}`);
      assert.equal(res.headers.get('location'), `${path}/`);
    }
    const query = await request(url('/dequeue/rt-type?x=1'));
    assert.equal(query.status, 308);
    assert.equal(query.headers.get('location'), '/dequeue/rt-type/?x=1');
  });

  test('POST /enqueue/x/y with a body: 308, and following it enqueues', async () => {
    const manual = await request(url('/enqueue/rt-redirect/q1'), { method: 'POST', body: JOB });
    assert.equal(manual.status, 308, manual.text);
    assert.equal(manual.headers.get('location'), '/enqueue/rt-redirect/q1/');
    assert.equal(await queueLength('rt-redirect', 'q1'), 0);

    const followed = await request(url('/enqueue/rt-redirect/q1'), { method: 'POST', body: JOB, redirect: 'follow' });
    assert.equal(followed.status, 201, followed.text);
    assert.deepEqual(followed.body, { status: 'queued' });
    assert.equal(await queueLength('rt-redirect', 'q1'), 1);
  });

  test('GET /metrics is Prometheus text, distinct from /metrics/', async () => {
    const res = await get('/metrics');
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers.get('content-type')), /^text\/plain/);
    assert.ok(res.text.includes('sharq_'), res.text.slice(0, 500));
    assert.ok(res.text.includes('# TYPE '));
    const json = await get('/metrics/');
    assert.match(String(json.headers.get('content-type')), /^application\/json/);
    assert.equal(asObject(json.body).status, 'success');
  });

  test('a wrong method: 405 JSON with an Allow header', async () => {
    for (const [method, path, allow] of [
      ['GET', '/enqueue/a/b/', 'POST'],
      ['PUT', '/dequeue/', 'GET'],
      ['DELETE', '/dequeue/rt-type/', 'GET'],
      ['POST', '/metrics/', 'GET'],
      ['POST', '/metrics', 'GET'],
      ['GET', '/finish/a/b/c/', 'POST'],
      ['PATCH', '/interval/a/b/', 'POST'],
      ['GET', '/deletequeue/a/b/', 'DELETE'],
      ['POST', '/deepstatus/', 'GET'],
      ['DELETE', '/', 'GET'],
    ] as const) {
      const res = await request(url(path), { method });
      assertCleanError(res, 405);
      const allowed = String(res.headers.get('allow'))
        .split(',')
        .map((m) => m.trim());
      assert.ok(allowed.includes(allow), `${method} ${path}: Allow ${res.headers.get('allow')}`);
      assert.ok(!allowed.includes(method), `${method} ${path}: Allow ${res.headers.get('allow')}`);
    }
  });

  test('an unknown route: 404 JSON', async () => {
    for (const [method, path] of [
      ['GET', '/nope/'],
      ['GET', '/nope'],
      ['POST', '/enqueue/a/'],
      ['GET', '/dequeue/a/b/'],
      ['GET', '/metrics/a/b/c/'],
      ['POST', '/finish/a/b/'],
      ['GET', '/Dequeue/'],
      ['GET', '/dequeue//'],
    ] as const) {
      const res = await request(url(path), { method });
      assertCleanError(res, 404);
    }
  });

  test('bad percent-encoding and odd headers: a clean 4xx', async () => {
    const badEncoding = await rawRequest('/dequeue/%E0%A4%A/', {});
    assertCleanError(badEncoding, 400);
    const unsupported = await rawRequest('/enqueue/rt-enc/q1/', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'bogus' },
      body: JSON.stringify(JOB),
    });
    assert.ok(unsupported.status >= 400 && unsupported.status < 500, unsupported.text);
    assertCleanError(unsupported, unsupported.status);
    const badGzip = await rawRequest('/enqueue/rt-enc/q1/', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: 'not gzip at all',
    });
    assert.ok(badGzip.status >= 400 && badGzip.status < 500, badGzip.text);
    assertCleanError(badGzip, badGzip.status);
    const lying = await rawRequest('/enqueue/rt-enc/q1/', {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-16' },
      body: JSON.stringify(JOB),
    });
    assert.ok(lying.status < 500, lying.text);
  });
});

describe('robustness', () => {
  test('200 requests of random garbage never get a 5xx and the server stays up', async () => {
    // A small deterministic PRNG, so a failure can be replayed (SHARQ_FUZZ_SEED picks another run).
    let seed = Number(process.env.SHARQ_FUZZ_SEED ?? 0x5eed);
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const garbage = (length: number): string =>
      Array.from({ length }, () => String.fromCharCode(32 + Math.floor(random() * 95))).join('');

    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const;
    const segments = ['enqueue', 'dequeue', 'finish', 'interval', 'metrics', 'deletequeue', 'deepstatus', 'fuzz', '', '..', '%2e%2e', '%00', '%ff', '%', 'a.b', 'x'.repeat(150), 'fuzz-q', '😀', '?', '#'];
    const bodies: (() => string | undefined)[] = [
      () => undefined,
      () => '',
      () => garbage(Math.floor(random() * 200)),
      () => JSON.stringify({ job_id: garbage(5), interval: random() * 1e6 - 100, payload: garbage(10) }),
      () => JSON.stringify({ job_id: 'fz', interval: pick([0, -1, 1.5, '1', null, true, 1e300]), payload: pick([null, 1, 'x', [], {}]) }),
      () => JSON.stringify({ interval: pick([0, 5, -5, 'x', 2 ** 60]), purge_all: pick([true, false, 'yes', 0]) }),
      () => JSON.stringify([garbage(3), random()]),
      () => '{"a":'.repeat(Math.floor(random() * 50)),
      () => '['.repeat(5000) + ']'.repeat(5000),
      () => '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}, "job_id": "proto", "interval": 0, "payload": {}}',
      () => '\u0000\uffff\ud800',
    ];

    const requests = 200;
    for (let i = 0; i < requests; i++) {
      const method = pick(methods);
      const depth = 1 + Math.floor(random() * 4);
      const path = `/${Array.from({ length: depth }, () => pick(segments)).join('/')}${random() < 0.7 ? '/' : ''}`;
      const body = method === 'GET' || method === 'HEAD' ? undefined : pick(bodies)();
      const headers: Record<string, string> = {};
      if (random() < 0.5) headers['content-type'] = pick(['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'garbage/;;;']);
      let res: { status: number; text: string; headers: http.IncomingHttpHeaders };
      try {
        res = await rawRequest(encodeURI(path).replace(/%25/g, '%'), { method, headers, ...(body === undefined ? {} : { body }) });
      } catch (error) {
        throw new Error(`request ${i} ${method} ${path} ${JSON.stringify(headers)} ${JSON.stringify(body)?.slice(0, 300)} failed: ${(error as Error).message}`);
      }
      assert.ok(res.status < 500, `request ${i}: ${method} ${path} ${JSON.stringify(body)} -> ${res.status} ${res.text}`);
      if (res.status >= 400 && method !== 'HEAD') assertCleanError(res, res.status);
    }
    const alive = await get('/');
    assert.equal(alive.status, 200);
    assert.equal((await get('/deepstatus/')).status, 200);
    assert.equal(({} as Json & { polluted?: boolean }).polluted, undefined);
    assert.ok(server.child.exitCode === null, 'the server is still running');
    assert.ok(!/request failed/.test(server.stdout()), `an internal error was logged:\n${server.stdout().slice(-2000)}`);
  });
});
