// Redis going away under a running server: fast 503s instead of hanging requests, one log line
// per outage and process, and recovery without a server restart, including a Redis that comes
// back empty (scripts loaded again transparently), and a Redis that cannot run functions.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { scriptLibrary } from '../../src/engine/scripts/lua-library.js';
import { loadScriptSource } from '../../src/engine/scripts/runner.js';
import { redisCli, startRedis, type RedisServerHandle } from '../helpers/redis.js';
import type { HttpClient, HttpResponse } from '../helpers/http.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const UNAVAILABLE = 'Redis is unavailable';
const BACK = 'Redis is back';

interface LogLine {
  message: string;
  pid: number;
  role: string;
  level: string;
}

function logLines(server: ServerHandle): LogLine[] {
  return server
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** How many lines each process logged whose message contains `text`. */
function countsByPid(server: ServerHandle, text: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const line of logLines(server)) if (line.message.includes(text)) counts.set(line.pid, (counts.get(line.pid) ?? 0) + 1);
  return counts;
}

/** A request with its duration; a hanging socket fails the test at the client timeout. */
async function timed(api: HttpClient, method: string, path: string, body?: unknown): Promise<HttpResponse & { ms: number }> {
  const started = Date.now();
  const res = await api.request(method, path, body, {
    headers: { connection: 'close', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    timeoutMs: 10_000,
  });
  return { ...res, ms: Date.now() - started };
}

describe('Redis outage', () => {
  let redis: RedisServerHandle;
  let server: ServerHandle;
  let pidsBefore: number[];
  const workers = 2;
  before(async () => {
    redis = await startRedis();
    server = await startServer({ redisPort: redis.port, workers });
    pidsBefore = await server.workerPids();
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  test('while Redis is down: fast 503 JSON, / still 200, one log line per process', async (t) => {
    const queueId = `q${Date.now()}`;
    assert.equal((await server.api.post(`/enqueue/outage/${queueId}/`, { job_id: 'before', interval: 0, payload: 1 })).status, 201);
    assert.deepEqual(countsByPid(server, UNAVAILABLE), new Map());

    await redis.kill();

    const calls: { method: string; path: string; body?: unknown }[] = [
      { method: 'POST', path: `/enqueue/outage/${queueId}/`, body: { job_id: 'during', interval: 0, payload: 2 } },
      { method: 'GET', path: '/dequeue/outage/' },
      { method: 'GET', path: '/dequeue/' },
      { method: 'POST', path: `/finish/outage/${queueId}/before/` },
      { method: 'POST', path: `/interval/outage/${queueId}/`, body: { interval: 10 } },
      { method: 'GET', path: '/deepstatus/' },
    ];
    let slowest = 0;
    // 60 failing requests spread over both workers (new connections, so both get some).
    for (let round = 0; round < 10; round++) {
      for (const c of calls) {
        const res = await timed(server.api, c.method, c.path, c.body);
        assert.equal(res.status, 503, `${c.method} ${c.path}: ${res.status} ${res.text}`);
        assert.match(res.headers['content-type'] ?? '', /^application\/json/);
        const body = res.body as { status?: unknown; message?: unknown };
        assert.equal(body.status, 'failure', res.text);
        assert.equal(typeof body.message, 'string');
        assert.ok(res.ms < 2000, `${c.method} ${c.path} took ${res.ms} ms`);
        slowest = Math.max(slowest, res.ms);
      }
    }
    t.diagnostic(`slowest 503: ${slowest} ms`);

    const index = await timed(server.api, 'GET', '/');
    assert.equal(index.status, 200);
    assert.deepEqual(index.body, { message: 'Hello, SharQ!' });

    // Every worker has met the outage by now; none logged it more than once.
    const counts = countsByPid(server, UNAVAILABLE);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    assert.ok(total >= 1, 'the outage was not logged');
    assert.ok(total <= 1 + workers, `${total} "${UNAVAILABLE}" lines`);
    for (const [pid, n] of counts) assert.equal(n, 1, `process ${pid} logged the outage ${n} times`);
    // The message says which Redis, so an operator knows where to look.
    const line = logLines(server).find((l) => l.message.includes(UNAVAILABLE));
    assert.ok(line?.message.includes(`127.0.0.1:${redis.port}`), line?.message);
    assert.equal(line?.level, 'error');
    // Reconnect attempts do not add a line each either (the primary's leader loop included).
    assert.ok(logLines(server).length < 40, `log flood during the outage:\n${server.stdout()}`);
  });

  test('Redis restarted on the same port: the server recovers by itself', async () => {
    await redis.restart();
    // Every worker (new connections spread over both) answers again; only then may any request
    // land on either of them.
    await waitFor(
      async () => {
        for (let i = 0; i < 2 * workers; i++) {
          const res = await server.api.request('GET', '/deepstatus/', undefined, { headers: { connection: 'close' } });
          if (res.status !== 200) return false;
        }
        return true;
      },
      { what: 'deepstatus 200 on every worker', timeoutMs: 15_000, intervalMs: 100 },
    );
    const queueId = `q${Date.now()}`;
    await waitFor(
      async () => {
        const res = await server.api.post(`/enqueue/outage/${queueId}/`, { job_id: 'after', interval: 0, payload: { ok: true } });
        return res.status === 201;
      },
      { what: 'enqueue to succeed after Redis restarted', timeoutMs: 15_000, intervalMs: 100 },
    );
    const deq = await server.api.get('/dequeue/outage/');
    assert.equal(deq.status, 200, deq.text);
    assert.deepEqual((deq.body as { payload: unknown }).payload, { ok: true });
    assert.equal((await server.api.post(`/finish/outage/${queueId}/after/`)).status, 200);

    // Each process that logged the outage logs its end, once.
    await waitFor(
      () => {
        const down = countsByPid(server, UNAVAILABLE);
        const back = countsByPid(server, BACK);
        return [...down.keys()].every((pid) => back.get(pid) === 1);
      },
      { what: `"${BACK}" from every process that logged "${UNAVAILABLE}"`, timeoutMs: 10_000 },
    );

    // Recovered in place: the same primary and workers, none restarted.
    assert.equal(server.child.exitCode, null);
    assert.deepEqual((await server.workerPids()).sort(), [...pidsBefore].sort());
    assert.ok(!server.stdout().includes('worker died'), 'a worker died during the outage');

    // The leader loop survived the outage too: it holds the lock in the new (empty) Redis.
    await waitFor(async () => (await redisCli(redis.port, 'GET', 'sharq_test:leader')).includes(`:${server.child.pid}:`), {
      what: 'the primary to take the leader lock again',
      timeoutMs: 15_000,
    });
  });
});

/** The names of the libraries (one per script) the server loads for these scripts. */
function libraryNames(...scripts: string[]): string[] {
  return scripts.map((name) => scriptLibrary(name, loadScriptSource(name)).name);
}

async function loadedLibraries(port: number): Promise<string[]> {
  const listed = await redisCli(port, 'FUNCTION', 'LIST');
  return libraryNames('enqueue', 'dequeue', 'finish').filter((name) => listed.includes(name));
}

async function roundTrip(server: ServerHandle, queueId: string, jobId: string): Promise<void> {
  const enq = await server.api.post(`/enqueue/noscript/${queueId}/`, { job_id: jobId, interval: 0, payload: jobId });
  assert.equal(enq.status, 201, enq.text);
  const deq = await server.api.get('/dequeue/noscript/');
  assert.equal(deq.status, 200, deq.text);
  assert.equal((deq.body as { job_id: string }).job_id, jobId);
  const fin = await server.api.post(`/finish/noscript/${queueId}/${jobId}/`);
  assert.equal(fin.status, 200, fin.text);
}

describe('scripts missing from Redis (Function not found)', () => {
  let redis: RedisServerHandle;
  let server: ServerHandle;
  before(async () => {
    redis = await startRedis();
    // One worker, so "the first request after" is well defined.
    server = await startServer({ redisPort: redis.port, workers: 1 });
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  test('FUNCTION FLUSH under a running server: the next calls still succeed', async () => {
    await roundTrip(server, 'q1', 'a');
    assert.equal((await loadedLibraries(redis.port)).length, 3);
    assert.equal(await redisCli(redis.port, 'FUNCTION', 'FLUSH'), 'OK');
    await roundTrip(server, 'q1', 'b');
    await roundTrip(server, 'q1', 'b2');
    assert.equal((await loadedLibraries(redis.port)).length, 3);
  });

  test('Redis restarted empty: the first enqueue after reconnecting succeeds', async () => {
    await roundTrip(server, 'q2', 'c');
    await redis.restart();
    assert.equal(await redisCli(redis.port, 'DBSIZE'), '0');
    // Wait for the worker to reconnect without running any script.
    await waitFor(async () => (await server.api.get('/deepstatus/')).status === 200, {
      what: 'the worker to reconnect',
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    assert.deepEqual(await loadedLibraries(redis.port), []);
    await roundTrip(server, 'q2', 'd');
    // Loaded again by the server, not by this test.
    assert.deepEqual(await loadedLibraries(redis.port), libraryNames('enqueue', 'dequeue', 'finish'));
  });
});

describe('a Redis that cannot run functions (FCALL renamed away): scripts run by EVALSHA', () => {
  let redis: RedisServerHandle;
  let server: ServerHandle;
  before(async () => {
    redis = await startRedis({ extraArgs: ['--rename-command', 'FCALL', 'FCALL_RENAMED_BY_TEST'] });
    server = await startServer({ redisPort: redis.port, workers: 1 });
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  test('every call works, each process says why once, and SCRIPT FLUSH is survived', async () => {
    await roundTrip(server, 'q1', 'a');
    await roundTrip(server, 'q1', 'b');
    // Once per process that ran a script: the worker, and the primary if its requeue pass ran one.
    const said = logLines(server).filter((line) => line.message.startsWith('scripts run by EVALSHA'));
    const worker = said.filter((line) => line.role.startsWith('worker'));
    assert.equal(worker.length, 1, JSON.stringify(said));
    assert.equal(new Set(said.map((line) => line.pid)).size, said.length, JSON.stringify(said));
    assert.match(JSON.stringify(worker[0]), /unknown command 'fcall'/i);
    const shas = ['enqueue', 'dequeue', 'finish'].map((name) => createHash('sha1').update(loadScriptSource(name)).digest('hex'));
    assert.equal(await redisCli(redis.port, 'SCRIPT', 'EXISTS', ...shas), '1\n1\n1');
    assert.equal(await redisCli(redis.port, 'SCRIPT', 'FLUSH'), 'OK');
    await roundTrip(server, 'q1', 'c');
    assert.equal(await redisCli(redis.port, 'SCRIPT', 'EXISTS', ...shas), '1\n1\n1');
  });
});
