// API tokens (SPEC 5.8) through the real CLI: every route but GET / and GET /deepstatus/ needs a
// configured bearer token; /metrics is open on metrics_port only; tokens never reach a log.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BearerAuth } from '../../src/http/auth.js';
import { freePort } from '../helpers/ports.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { request } from '../helpers/fetch.js';
import { waitFor } from '../helpers/wait.js';

const OLD_TOKEN = 'old-token-4f1c2a9b7e';
const NEW_TOKEN = 'new-token-d83b60c1aa';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('BearerAuth', () => {
  const auth = new BearerAuth(['abc', 'longer-token']);
  test('accepts each configured token, case-insensitive scheme, trailing spaces', () => {
    assert.equal(auth.allows('Bearer abc'), true);
    assert.equal(auth.allows('bearer longer-token'), true);
    assert.equal(auth.allows('Bearer  abc  '), true);
  });
  test('refuses the rest', () => {
    for (const header of [undefined, '', 'Bearer', 'Bearer ', 'Bearer ab', 'Bearer abcd', 'Basic abc', 'abc', 'Bearer abc def']) {
      assert.equal(auth.allows(header), false, String(header));
    }
  });
  test('no tokens: open', () => {
    assert.equal(new BearerAuth([]).allows(undefined), true);
  });
});

describe('auth_tokens on the real server', () => {
  let redis: RedisServerHandle;
  let server: ServerHandle;
  let metricsPort: number;
  const dir = mkdtempSync(path.join(tmpdir(), 'sharq-auth-'));
  const accessLog = path.join(dir, 'access.log');

  before(async () => {
    redis = await startRedis();
    metricsPort = await freePort();
    server = await startServer({
      redisPort: redis.port,
      workers: 2,
      config: { 'sharq-server': { accesslog: accessLog, metrics_port: String(metricsPort), log_level: 'debug' } },
      env: { SHARQ_AUTH_TOKENS: `${OLD_TOKEN},${NEW_TOKEN}` },
    });
  });
  after(async () => {
    await server.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('GET / and GET /deepstatus/ are public', async () => {
    assert.equal((await request(`${server.url}/`)).status, 200);
    assert.equal((await request(`${server.url}/deepstatus/`)).status, 200);
  });

  test('without a token: 401 JSON with WWW-Authenticate, and nothing happens', async () => {
    const calls: { path: string; method?: string; body?: unknown }[] = [
      { path: '/enqueue/authq/q1/', body: { job_id: 'sneaky', interval: 0, payload: 1 } },
      { path: '/dequeue/' },
      { path: '/dequeue/authq/' },
      { path: '/finish/authq/q1/sneaky/', method: 'POST' },
      { path: '/interval/authq/q1/', body: { interval: 5 } },
      { path: '/metrics/' },
      { path: '/metrics/authq/' },
      { path: '/metrics/authq/q1/' },
      { path: '/deletequeue/authq/q1/', method: 'DELETE' },
      { path: '/metrics' },
    ];
    for (const headers of [{}, bearer('wrong-token'), { authorization: `Basic ${OLD_TOKEN}` }, { authorization: OLD_TOKEN }]) {
      for (const call of calls) {
        const res = await request(`${server.url}${call.path}`, { method: call.method, body: call.body, headers });
        assert.equal(res.status, 401, `${call.path} with ${JSON.stringify(headers)}`);
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
        assert.equal((res.body as { status: string }).status, 'failure');
        assert.match((res.body as { message: string }).message, /Bearer/);
      }
    }
    // The refused enqueue left nothing behind.
    const dequeued = await request(`${server.url}/dequeue/authq/`, { headers: bearer(NEW_TOKEN) });
    assert.equal(dequeued.status, 404);
  });

  test('either configured token works (rotation)', async () => {
    const job = { job_id: 'j1', interval: 0, payload: { n: 1 } };
    assert.equal((await request(`${server.url}/enqueue/authq/q2/`, { body: job, headers: bearer(OLD_TOKEN) })).status, 201);
    const got = await request(`${server.url}/dequeue/authq/`, { headers: bearer(NEW_TOKEN) });
    assert.equal(got.status, 200);
    assert.equal((got.body as { job_id: string }).job_id, 'j1');
    const done = await request(`${server.url}/finish/authq/q2/j1/`, { method: 'POST', headers: bearer(OLD_TOKEN) });
    assert.equal(done.status, 200);
    assert.equal((await request(`${server.url}/metrics`, { headers: bearer(NEW_TOKEN) })).status, 200);
  });

  test('GET /metrics on metrics_port needs no token', async () => {
    const res = await request(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.text, /sharq_/);
  });

  test('tokens appear in no log: stdout, stderr, access log', async () => {
    await waitFor(() => readFileSync(accessLog, 'utf8').includes('/finish/authq/q2/j1/'), { what: 'the access log to be written' });
    const logs = [server.stdout(), server.stderr(), readFileSync(accessLog, 'utf8')].join('\n');
    for (const token of [OLD_TOKEN, NEW_TOKEN, 'wrong-token']) assert.ok(!logs.includes(token), `a log contains ${token}`);
    assert.ok(logs.includes('" 401 '), 'the access log records the refused requests');
  });
});
