// GET /queues/<type>/, GET /jobs/<type>/<queue_id>/ and the console's files at /ui/, end to end
// through the real CLI (2 workers) on a real Redis.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';

interface QueuesReply {
  status: string;
  queues: { queue_id: string; queued: number; active: number; interval: number; max_active: number | null; paused: boolean; paused_until_ms: number | null }[];
  next_cursor: string | null;
  totals: { queued: number; active: number; ready_queues: number; queues: number };
}

/** What /queues/ says of a queue with no max_active and no pause (SPEC 5.14). */
const noFlowControl = { max_active: null, paused: false, paused_until_ms: null };

describe('console read routes and static files', () => {
  let redis: RedisServerHandle;
  let server: ServerHandle;

  before(async () => {
    redis = await startRedis();
    server = await startServer({ redisPort: redis.port, workers: 2, startTimeoutMs: 60_000 });
  });
  after(async () => {
    await server?.stop();
    await redis?.stop();
  });

  const enqueue = (type: string, queueId: string, jobId: string, payload: unknown, interval = 100) =>
    server.api.post(`/enqueue/${type}/${queueId}/`, { job_id: jobId, interval, payload, requeue_limit: 2 });

  test('GET /queues/<type>/ pages every queue with its counts; totals of the type come along', async () => {
    // A long interval: the dequeued queue stays not ready for the whole test, however slow the machine.
    for (let i = 0; i < 25; i++) assert.equal((await enqueue('routes', `q${String(i).padStart(2, '0')}`, 'a', { i }, 60_000)).status, 201);
    await enqueue('routes', 'q00', 'b', 'second', 60_000);
    const dequeued = await server.api.get(`/dequeue/routes/`);
    assert.equal(dequeued.status, 200);

    const seen: QueuesReply['queues'] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await server.api.get(`/queues/routes/?limit=10${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
      assert.equal(res.status, 200, res.text);
      const body = res.body as QueuesReply;
      assert.equal(body.status, 'success');
      assert.ok(body.queues.length <= 10);
      assert.deepEqual(body.totals, { queued: 25, active: 1, ready_queues: 24, queues: 25 });
      seen.push(...body.queues);
      cursor = body.next_cursor;
      pages += 1;
    } while (cursor !== null);
    assert.equal(pages, 3);
    assert.equal(seen.length, 25);
    assert.deepEqual(seen.find((q) => q.queue_id === 'q00'), { queue_id: 'q00', queued: 1, active: 1, interval: 60_000, ...noFlowControl });

    const filtered = (await server.api.get(`/queues/routes/?prefix=q1`)).body as QueuesReply;
    assert.deepEqual(filtered.queues.map((q) => q.queue_id), ['q10', 'q11', 'q12', 'q13', 'q14', 'q15', 'q16', 'q17', 'q18', 'q19']);
    assert.equal(filtered.next_cursor, null);
  });

  test('GET /jobs/<type>/<queue_id>/ pages the waiting jobs by offset, next out first', async () => {
    for (let i = 0; i < 12; i++) await enqueue('jobs', 'q', `j${i}`, { n: i, text: 'ünïcode | bar' }, 250);
    const res = await server.api.get(`/jobs/jobs/q/?offset=10&limit=5`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, {
      status: 'success',
      jobs: [10, 11].map((n) => ({ job_id: `j${n}`, payload: { n, text: 'ünïcode | bar' }, requeues_remaining: 2, requeue_limit: 2, cost: 1, attempts: 0 })),
      total: 12,
      interval: 250,
      active: 0,
    });
    const empty = await server.api.get(`/jobs/jobs/nothing/`);
    assert.deepEqual(empty.body, { status: 'success', jobs: [], total: 0, interval: null, active: 0 });
  });

  test('bad parameters: 400 naming the parameter, never a 500', async () => {
    const cases: [string, string][] = [
      ['/queues/t/?limit=0', 'limit'],
      ['/queues/t/?limit=1001', 'limit'],
      ['/queues/t/?limit=abc', 'limit'],
      ['/queues/t/?cursor=not-a-cursor', 'cursor'],
      ['/queues/t/?cursor=18446744073709551616', 'cursor'],
      ['/queues/t/?prefix=a%2A', 'prefix'],
      ['/queues/bad%20type/', 'queue_type'],
      ['/jobs/t/q/?offset=-3', 'offset'],
      ['/jobs/t/q/?limit=100000', 'limit'],
      ['/jobs/t/bad%21id/', 'queue_id'],
    ];
    for (const [path, field] of cases) {
      const res = await server.api.get(`${path}`);
      assert.equal(res.status, 400, `${path}: ${res.text}`);
      const body = res.body as { status: string; message: string };
      assert.equal(body.status, 'failure');
      assert.match(body.message, new RegExp(`\`${field}\``), path);
    }
  });

  test('GET /ui/ serves the console with its content types, a strict CSP, and no listing', async () => {
    const redirect = await server.api.get(`/ui`);
    assert.equal(redirect.status, 308);
    assert.equal(redirect.headers.location, '/ui/');
    const index = await server.api.get(`/ui/`);
    assert.equal(index.status, 200);
    assert.match(String(index.headers['content-type'] ?? ''), /^text\/html/);
    assert.match(index.text, /<script type="module" src="app.js"><\/script>/);
    assert.match(String(index.headers['content-security-policy'] ?? ''), /default-src 'none'; script-src 'self'/);
    const script = await server.api.get(`/ui/app.js`);
    assert.equal(script.status, 200);
    assert.match(String(script.headers['content-type'] ?? ''), /^text\/javascript/);
    assert.doesNotMatch(script.text, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'nothing is loaded from the internet');
    const style = await server.api.get(`/ui/style.css`);
    assert.match(String(style.headers['content-type'] ?? ''), /^text\/css/);
    assert.doesNotMatch(style.text, /@import|url\(\s*['"]?https?:/, 'no web fonts or remote styles');
    for (const path of ['/ui/missing.js', '/ui/../package.json', '/ui/%2e%2e/package.json', '/ui/.hidden']) {
      const res = await server.api.get(`${path}`);
      assert.equal(res.status, 404, path);
      assert.equal((res.body as { status: string }).status, 'failure', path);
    }
  });
});
