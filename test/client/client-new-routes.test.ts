// SharqClient on the routes of SPEC 5.4-5.7 and 5.12 (job status, touch, dead letters, the console's
// read routes), against the real CLI. Each test runs once the server's route table has its route.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { SharqClient } from '../../src/client/client.js';
import { SharqNotFoundError } from '../../src/client/errors.js';
import { ROUTES } from '../../src/http/routes.js';
import { seeReply } from '../helpers/openapi-validator.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

let redis: RedisServerHandle;
let server: ServerHandle;
let client: SharqClient;
const drift: string[] = [];

function serves(method: string, path: string): { skip: string | false } {
  return { skip: ROUTES.some((r) => r.method === method && r.path === path) ? false : `${method} ${path} is not on this branch yet` };
}

before(async () => {
  redis = await startRedis();
  server = await startServer({ redisPort: redis.port, workers: 2, config: { sharq: { job_expire_interval: '60000', job_requeue_interval: '200' } } });
  client = new SharqClient({ url: server.url, onReply: (r) => drift.push(...seeReply(r)) });
});

after(async () => {
  await server?.stop();
  await redis?.stop();
  assert.deepEqual(drift, [], 'replies that do not match openapi.json');
});

test('jobStatus follows a job from queued to active to gone', serves('GET', '/job/:queue_type/:queue_id/:job_id/'), async () => {
  const at = { queueType: 'n_status', queueId: 'q', jobId: 'j' };
  await client.enqueue({ ...at, interval: 0, payload: 1, requeueLimit: 2 });
  assert.deepEqual(await client.jobStatus(at), { state: 'queued', position: 0, requeuesRemaining: 2, attempts: 0 });
  await client.dequeue({ queueType: 'n_status' });
  const active = await client.jobStatus(at);
  assert.ok(active?.state === 'active', JSON.stringify(active));
  assert.ok(active.expiresAtMs > Date.now() - 60_000);
  await client.finish(at);
  assert.equal(await client.jobStatus(at), null);
});

test('touch extends an active lease; a job not active is a SharqNotFoundError', serves('POST', '/touch/:queue_type/:queue_id/:job_id/'), async () => {
  const at = { queueType: 'n_touch', queueId: 'q', jobId: 'j' };
  await assert.rejects(client.touch(at), SharqNotFoundError);
  await client.enqueue({ ...at, interval: 0, payload: 1 });
  await client.dequeue({ queueType: 'n_touch' });
  const { expiresAtMs } = await client.touch({ ...at, extendMs: 60_000 });
  assert.ok(expiresAtMs > Date.now() + 30_000, 'about a minute from now (Redis and this host share a clock here)');
  await client.finish(at);
});

test('dead letters: a job past its requeue limit is listed, replayed, and the list emptied', serves('GET', '/dead/:queue_type/'), async () => {
  await client.enqueue({ queueType: 'n_dead', queueId: 'q', jobId: 'doomed', interval: 0, payload: { keep: 'me' }, requeueLimit: 0 });
  await client.dequeue({ queueType: 'n_dead' });
  // The lease cut to 1 ms: the next requeue pass finds it expired and, its limit spent, discards it.
  await client.touch({ queueType: 'n_dead', queueId: 'q', jobId: 'doomed', extendMs: 1 });
  const page = await waitFor(async () => {
    const p = await client.deadLetters({ queueType: 'n_dead' });
    return p.jobs.length === 1 ? p : undefined;
  }, { what: 'the expired job to reach the dead letters', timeoutMs: 20_000 });
  assert.equal(page.nextCursor, null);
  assert.deepEqual({ ...page.jobs[0], reason: undefined, discardedAtMs: undefined }, {
    queueId: 'q', jobId: 'doomed', payload: { keep: 'me' }, requeueLimit: 0, reason: undefined, discardedAtMs: undefined, attempts: 1, error: null,
  });
  assert.equal(await client.replayDeadLetters({ queueType: 'n_dead', jobs: [{ queueId: 'q', jobId: 'doomed' }] }), 1);
  assert.deepEqual((await client.deadLetters({ queueType: 'n_dead' })).jobs, []);
  assert.equal((await client.dequeue({ queueType: 'n_dead' }))?.jobId, 'doomed');
  assert.equal(await client.deleteDeadLetters({ queueType: 'n_dead' }), 0);
});

test('queues and jobs page through a type and a queue', serves('GET', '/queues/:queue_type/'), async () => {
  for (const [queueId, jobId] of [['a', '1'], ['a', '2'], ['b', '3']] as const) {
    await client.enqueue({ queueType: 'n_browse', queueId, jobId, interval: 5, payload: { jobId } });
  }
  const { queues, nextCursor } = await client.queues({ queueType: 'n_browse', limit: 10 });
  assert.equal(nextCursor, null);
  assert.deepEqual(queues.map((q) => [q.queueId, q.queued, q.active]).sort(), [['a', 2, 0], ['b', 1, 0]]);
  const page = await client.jobs<{ jobId: string }>({ queueType: 'n_browse', queueId: 'a' });
  assert.equal(page.total, 2);
  assert.deepEqual(page.jobs.map((j) => [j.jobId, j.payload.jobId]), [['1', '1'], ['2', '2']]);
});
