// SharqClient against the real CLI (2 workers) on a real Redis: one method per route, camelCase
// results, typed errors; every reply it sees is checked against openapi.json.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { SharqClient } from '../../src/client/client.js';
import { SharqNotFoundError, SharqQueueFullError, SharqUnavailableError, SharqValidationError } from '../../src/client/errors.js';
import type { ObservedReply } from '../../src/client/transport.js';
import { ROUTES } from '../../src/http/routes.js';
import { seeReply } from '../helpers/openapi-validator.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { repoRoot, startServer, type ServerHandle } from '../helpers/server.js';
import { freePort } from '../helpers/ports.js';

let redis: RedisServerHandle;
let server: ServerHandle;
let client: SharqClient;
const drift: string[] = [];

function checkReply(reply: ObservedReply): void {
  drift.push(...seeReply(reply));
}

/** Routes other helpers are still building run once the server's table has them. */
function serves(method: string, path: string): boolean {
  return ROUTES.some((r) => r.method === method && r.path === path);
}

before(async () => {
  redis = await startRedis();
  // A long expiry: on a loaded machine a job must not expire between a test's dequeue and its finish.
  server = await startServer({ redisPort: redis.port, workers: 2, config: { sharq: { job_expire_interval: '60000' } } });
  client = new SharqClient({ url: server.url, onReply: checkReply });
});

after(async () => {
  await server?.stop();
  await redis?.stop();
  assert.deepEqual(drift, [], 'replies that do not match openapi.json');
});

test('hello, deepStatus, metrics and prometheus', async () => {
  assert.equal(await client.hello(), 'Hello, SharQ!');
  assert.equal(await client.deepStatus(), true);
  const metrics = await client.metrics();
  assert.ok(Array.isArray(metrics.queueTypes));
  assert.equal(Object.keys(metrics.enqueueCounts).length, 10);
  assert.match(await client.prometheus(), /sharq_jobs_enqueued_total/);
});

test('GET /openapi.json serves the openapi.json of the repository', async () => {
  const served = await client.openapi();
  assert.deepEqual(served, JSON.parse(readFileSync(path.join(repoRoot, 'openapi.json'), 'utf8')));
});

test('enqueue, dequeue and finish round-trip a job in camelCase, payload unchanged', async () => {
  const payload = { to: '+1555', parts: [1, 2], nested: { snake_case: true } };
  assert.deepEqual(await client.enqueue({ queueType: 'c_round', queueId: 'q1', jobId: 'j1', interval: 0, payload, requeueLimit: 3 }), {});
  assert.deepEqual(await client.enqueue({ queueType: 'c_round', queueId: 'q1', jobId: 'j1', interval: 0, payload }), { duplicate: true });
  const job = await client.dequeue<typeof payload>({ queueType: 'c_round' });
  assert.deepEqual(job, { queueId: 'q1', jobId: 'j1', payload, requeuesRemaining: 3, currentQueueLength: 0, attempt: 1 });
  assert.equal(await client.dequeue({ queueType: 'c_round' }), null);
  await client.finish({ queueType: 'c_round', queueId: 'q1', jobId: 'j1' });
  await assert.rejects(client.finish({ queueType: 'c_round', queueId: 'q1', jobId: 'j1' }), SharqNotFoundError);
});

test('dequeue without a type uses the default type', async () => {
  await client.enqueue({ queueType: 'default', queueId: 'dq', jobId: 'dj', interval: 0, payload: 1 });
  const job = await client.dequeue();
  assert.equal(job?.jobId, 'dj');
  await client.finish({ queueType: 'default', queueId: 'dq', jobId: 'dj' });
});

test('typed errors: a bad field is a SharqValidationError naming it, a full queue a SharqQueueFullError', async () => {
  const bad = await client
    .enqueue({ queueType: 'c_err', queueId: 'q', jobId: 'j', interval: -1, payload: null })
    .catch((error: unknown) => error);
  assert.ok(bad instanceof SharqValidationError);
  assert.equal(bad.status, 400);
  assert.match(bad.message, /interval/);

  await client.enqueue({ queueType: 'c_err', queueId: 'full', jobId: 'a', interval: 0, payload: 1, maxQueuedLength: 1 });
  const full = await client
    .enqueue({ queueType: 'c_err', queueId: 'full', jobId: 'b', interval: 0, payload: 1, maxQueuedLength: 1 })
    .catch((error: unknown) => error);
  assert.ok(full instanceof SharqQueueFullError);
  assert.equal(full.currentQueueLength, 1);
});

test('setInterval, typeMetrics, queueMetrics and deleteQueue', async () => {
  await assert.rejects(client.setInterval({ queueType: 'c_q', queueId: 'none', interval: 5 }), SharqNotFoundError);
  await client.enqueue({ queueType: 'c_q', queueId: 'q1', jobId: 'j1', interval: 0, payload: 1 });
  await client.enqueue({ queueType: 'c_q', queueId: 'q1', jobId: 'j2', interval: 0, payload: 2 });
  await client.setInterval({ queueType: 'c_q', queueId: 'q1', interval: 10 });
  assert.deepEqual(await client.typeMetrics({ queueType: 'c_q' }), ['q1']);
  const m = await client.queueMetrics({ queueType: 'c_q', queueId: 'q1' });
  assert.equal(m.queueLength, 2);
  assert.equal(Object.keys(m.dequeueCounts).length, 10);
  assert.equal((await client.deleteQueue({ queueType: 'c_q', queueId: 'q1' })).removed, true);
  assert.deepEqual(await client.deleteQueue({ queueType: 'c_q', queueId: 'q1', purgeAll: true }), {
    removed: false,
    message: 'No queued calls found',
  });
});

test('batches: enqueueBatch, dequeue with count, finishBatch', { skip: !serves('POST', '/enqueue/:queue_type/') }, async () => {
  const results = await client.enqueueBatch({
    queueType: 'c_batch',
    jobs: [
      { queueId: 'a', jobId: '1', interval: 0, payload: 1 },
      { queueId: 'b', jobId: '2', interval: 0, payload: 2 },
      { queueId: 'b', jobId: '2', interval: 0, payload: 2 },
      { queueId: 'c', jobId: 'bad id', interval: 0, payload: 3 },
    ],
  });
  assert.deepEqual(results.slice(0, 3), [{ status: 'queued' }, { status: 'queued' }, { status: 'queued', duplicate: true }]);
  assert.equal(results[3]?.status, 'failure');
  const jobs = await client.dequeue({ queueType: 'c_batch', count: 10 });
  assert.deepEqual(jobs.map((j) => j.jobId).sort(), ['1', '2']);
  assert.deepEqual(await client.finishBatch({ queueType: 'c_batch', jobs: [...jobs, { queueId: 'a', jobId: 'nope' }] }), [true, true, false]);
});

test('a closed port is a SharqUnavailableError, after the retries of a retry-safe call', async () => {
  const port = await freePort();
  const down = new SharqClient({ url: `http://127.0.0.1:${port}`, retries: 2, retryDelayMs: 10 });
  await assert.rejects(down.enqueue({ queueType: 't', queueId: 'q', jobId: 'j', interval: 0, payload: 1 }), SharqUnavailableError);
  await assert.rejects(down.dequeue({ queueType: 't' }), SharqUnavailableError);
});
