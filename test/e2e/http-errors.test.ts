// How the server answers what is not a plain valid request, on every route: malformed and
// oversized bodies, Content-Type, missing trailing slashes (308), wrong methods (405), unknown
// routes (404), bad percent-encoding and content encodings, and random garbage (replay a failure
// of that one with SHARQ_FUZZ_SEED).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { assertCleanError, enqueue, JOB, queueLength, serverForFile } from '../helpers/api.js';
import type { HttpResponse } from '../helpers/http.js';

const ctx = serverForFile();
const { api } = ctx;

describe('request bodies', () => {
  test('malformed JSON, a JSON array, a JSON scalar and an empty body: 400', async () => {
    for (const rawBody of ['{"job_id": "j1", ', "{'job_id': 'j1'}", '[1, 2, 3]', '[]', '"job"', '42', 'null', '', '   ']) {
      const res = await api.request('POST', '/enqueue/enq-malformed/q1/', undefined, { rawBody });
      assertCleanError(res, 400);
    }
    assert.equal(await queueLength(api, 'enq-malformed', 'q1'), 0);
  });

  test('a body without a Content-Type header is accepted (like the original)', async () => {
    const res = await api.request('POST', '/enqueue/enq-no-ctype/q1/', undefined, { rawBody: JSON.stringify(JOB), headers: {} });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(JSON.parse(res.text), { status: 'queued' });
    // And with a text/plain one (curl -d's default is form-urlencoded; fetch's is text/plain).
    const res2 = await api.request('POST', '/enqueue/enq-no-ctype/q1/', undefined, {
      rawBody: JSON.stringify({ ...JOB, job_id: 'job-2' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res2.status, 201, res2.text);
    assert.equal(await queueLength(api, 'enq-no-ctype', 'q1'), 2);
  });

  test('a body over the limit (1 MiB by default): 413 JSON', async () => {
    const big = { ...JOB, payload: 'x'.repeat(1024 * 1024 + 16) };
    const res = await enqueue(api, 'enq-big', 'q1', big);
    assertCleanError(res, 413);
    // Just under the limit is fine.
    const fits = { ...JOB, payload: 'x'.repeat(1024 * 1024 - 200) };
    const ok = await enqueue(api, 'enq-big', 'q1', fits);
    assert.equal(ok.status, 201, ok.text);
    // The other body routes too.
    assertCleanError(await api.post('/interval/enq-big/q1/', { interval: 1, pad: 'x'.repeat(1024 * 1024 + 16) }), 413);
    assertCleanError(
      await api.delete('/deletequeue/enq-big/q1/', { purge_all: false, pad: 'x'.repeat(1024 * 1024 + 16) }),
      413,
    );
    // The server is still fine.
    assert.equal((await api.get('/')).status, 200);
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
      const res = await api.request(method, path);
      assert.equal(res.status, 308, `${method} ${path}: ${res.text}`);
      assert.equal(res.headers['location'], `${path}/`);
    }
    const query = await api.get('/dequeue/rt-type?x=1');
    assert.equal(query.status, 308);
    assert.equal(query.headers['location'], '/dequeue/rt-type/?x=1');
  });

  test('POST /enqueue/x/y with a body: 308, and following it enqueues', async () => {
    const manual = await api.post('/enqueue/rt-redirect/q1', JOB);
    assert.equal(manual.status, 308, manual.text);
    assert.equal(manual.headers['location'], '/enqueue/rt-redirect/q1/');
    assert.equal(await queueLength(api, 'rt-redirect', 'q1'), 0);

    const followed = await api.request('POST', '/enqueue/rt-redirect/q1', JOB, { follow: true });
    assert.equal(followed.status, 201, followed.text);
    assert.deepEqual(followed.body, { status: 'queued' });
    assert.equal(await queueLength(api, 'rt-redirect', 'q1'), 1);
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
      const res = await api.request(method, path);
      assertCleanError(res, 405);
      const allowed = String(res.headers['allow'])
        .split(',')
        .map((m) => m.trim());
      assert.ok(allowed.includes(allow), `${method} ${path}: Allow ${res.headers['allow']}`);
      assert.ok(!allowed.includes(method), `${method} ${path}: Allow ${res.headers['allow']}`);
    }
  });

  test('an unknown route: 404 JSON', async () => {
    for (const [method, path] of [
      ['GET', '/nope/'],
      ['GET', '/nope'],
      ['POST', '/enqueue/'], // /enqueue/<type>/ is the batch route (SPEC 5.2)
      ['GET', '/dequeue/a/b/'],
      ['GET', '/metrics/a/b/c/'],
      ['POST', '/finish/a/b/'],
      ['GET', '/Dequeue/'],
      ['GET', '/dequeue//'],
    ] as const) {
      const res = await api.request(method, path);
      assertCleanError(res, 404);
    }
  });

  test('bad percent-encoding and odd headers: a clean 4xx', async () => {
    const badEncoding = await api.get('/dequeue/%E0%A4%A/');
    assertCleanError(badEncoding, 400);
    const unsupported = await api.request('POST', '/enqueue/rt-enc/q1/', undefined, {
      headers: { 'content-type': 'application/json', 'content-encoding': 'bogus' },
      rawBody: JSON.stringify(JOB),
    });
    assert.ok(unsupported.status >= 400 && unsupported.status < 500, unsupported.text);
    assertCleanError(unsupported, unsupported.status);
    const badGzip = await api.request('POST', '/enqueue/rt-enc/q1/', undefined, {
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      rawBody: 'not gzip at all',
    });
    assert.ok(badGzip.status >= 400 && badGzip.status < 500, badGzip.text);
    assertCleanError(badGzip, badGzip.status);
    const lying = await api.request('POST', '/enqueue/rt-enc/q1/', undefined, {
      headers: { 'content-type': 'application/json; charset=utf-16' },
      rawBody: JSON.stringify(JOB),
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
      let res: HttpResponse;
      try {
        res = await api.request(method, encodeURI(path).replace(/%25/g, '%'), undefined, { headers, ...(body === undefined ? {} : { rawBody: body }) });
      } catch (error) {
        throw new Error(`request ${i} ${method} ${path} ${JSON.stringify(headers)} ${JSON.stringify(body)?.slice(0, 300)} failed: ${(error as Error).message}`);
      }
      assert.ok(res.status < 500, `request ${i}: ${method} ${path} ${JSON.stringify(body)} -> ${res.status} ${res.text}`);
      if (res.status >= 400 && method !== 'HEAD') assertCleanError(res, res.status);
    }
    const alive = await api.get('/');
    assert.equal(alive.status, 200);
    assert.equal((await api.get('/deepstatus/')).status, 200);
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
    assert.ok(ctx.server.child.exitCode === null, 'the server is still running');
    assert.ok(!/request failed/.test(ctx.server.stdout()), `an internal error was logged:\n${ctx.server.stdout().slice(-2000)}`);
  });
});
