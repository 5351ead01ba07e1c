// SharqClient's flow control (SPEC 5.14): pause and resume a type or a queue, read and set limits,
// max_active with enqueue and batch enqueue, against the real CLI; every reply checked against openapi.json.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { SharqClient } from '../../src/client/client.js';
import { SharqNotFoundError, SharqValidationError } from '../../src/client/errors.js';
import { seeReply } from '../helpers/openapi-validator.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';

let redis: RedisServerHandle;
let server: ServerHandle;
let client: SharqClient;
const drift: string[] = [];

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

const unpaused = { paused: false, pausedUntilMs: null };

test('pause and resume a queue: no job goes out while paused, enqueues still land, limits() shows it', async () => {
  const queue = { queueType: 'c_pq', queueId: 'q' };
  assert.equal(await client.pause(queue), null, 'until resumed');
  await client.enqueue({ ...queue, jobId: 'a', interval: 0, payload: 1 });
  assert.equal(await client.dequeue({ queueType: 'c_pq' }), null);
  assert.deepEqual(await client.limits(queue), { interval: 0, maxActive: null, paused: true, pausedUntilMs: null });
  await client.resume(queue);
  assert.deepEqual(await client.limits(queue), { interval: 0, maxActive: null, ...unpaused });
  assert.equal((await client.dequeue({ queueType: 'c_pq' }))?.jobId, 'a');
});

test('pause a type for a while: limits() and queues() show until when; resume ends it', async () => {
  await client.enqueue({ queueType: 'c_pt', queueId: 'q', jobId: 'a', interval: 0, payload: 1 });
  const until = await client.pause({ queueType: 'c_pt', forMs: 600_000 });
  assert.ok(typeof until === 'number' && until > Date.now() + 60_000, `paused until ${until}`);
  assert.deepEqual(await client.limits({ queueType: 'c_pt' }), { maxActive: null, ratePerS: null, burst: null, paused: true, pausedUntilMs: until });
  assert.equal((await client.queues({ queueType: 'c_pt' })).limits?.pausedUntilMs, until);
  assert.equal(await client.dequeue({ queueType: 'c_pt' }), null);
  await client.resume({ queueType: 'c_pt' });
  assert.equal((await client.limits({ queueType: 'c_pt' })).paused, false);
  assert.equal((await client.dequeue({ queueType: 'c_pt' }))?.jobId, 'a');
});

test('maxActive comes with enqueue and batch enqueue and shows in queues() and limits()', async () => {
  for (const jobId of ['a', 'b']) await client.enqueue({ queueType: 'c_ma', queueId: 'one', jobId, interval: 0, payload: jobId, maxActive: 1 });
  const results = await client.enqueueBatch({
    queueType: 'c_ma',
    jobs: [{ queueId: 'two', jobId: 'c', interval: 0, payload: 'c', maxActive: 2 }],
  });
  assert.equal(results[0]?.status, 'queued');
  const { queues } = await client.queues({ queueType: 'c_ma' });
  assert.deepEqual(queues.map((q) => [q.queueId, q.maxActive, q.paused]).sort(), [['one', 1, false], ['two', 2, false]]);
  assert.equal((await client.limits({ queueType: 'c_ma', queueId: 'two' })).maxActive, 2);
  // At its max_active of 1, queue "one" hands out its second job only after the first is finished.
  const taken = await client.dequeue({ queueType: 'c_ma', count: 3 });
  assert.deepEqual(taken.map((j) => j.jobId).sort(), ['a', 'c']);
  assert.equal(await client.dequeue({ queueType: 'c_ma' }), null);
  await client.finish({ queueType: 'c_ma', queueId: 'one', jobId: 'a' });
  assert.equal((await client.dequeue({ queueType: 'c_ma' }))?.jobId, 'b');
});

test('setTypeLimits sets and removes (null) the type-wide limits; what it returns is what limits() reads', async () => {
  const set = await client.setTypeLimits({ queueType: 'c_tl', maxActive: 5, ratePerS: 20, burst: 4 });
  assert.deepEqual(set, { maxActive: 5, ratePerS: 20, burst: 4, ...unpaused });
  assert.deepEqual(await client.limits({ queueType: 'c_tl' }), set);
  // Fields left out stay as they are; removing the rate removes the bucket.
  assert.deepEqual(await client.setTypeLimits({ queueType: 'c_tl', ratePerS: null }), { maxActive: 5, ratePerS: null, burst: null, ...unpaused });
  assert.deepEqual(await client.setTypeLimits({ queueType: 'c_tl', maxActive: null }), { maxActive: null, ratePerS: null, burst: null, ...unpaused });
});

test('setQueueLimits pins a queue\'s interval and maxActive over later enqueues', async () => {
  const queue = { queueType: 'c_ql', queueId: 'q' };
  await client.enqueue({ ...queue, jobId: 'a', interval: 5, payload: 1, maxActive: 2 });
  assert.deepEqual(await client.setQueueLimits({ ...queue, interval: 100, maxActive: 3 }), { interval: 100, maxActive: 3, ...unpaused });
  await client.enqueue({ ...queue, jobId: 'b', interval: 7, payload: 2, maxActive: 1 });
  assert.deepEqual(await client.limits(queue), { interval: 100, maxActive: 3, ...unpaused });
  assert.deepEqual(await client.setQueueLimits({ ...queue, maxActive: null }), { interval: 100, maxActive: null, ...unpaused });
});

test('errors: an unknown queue is a SharqNotFoundError, values out of range a SharqValidationError naming the field', async () => {
  await assert.rejects(client.setQueueLimits({ queueType: 'c_err', queueId: 'nope', maxActive: 2 }), SharqNotFoundError);
  await assert.rejects(client.setTypeLimits({ queueType: 'c_err', maxActive: 0 }), (e: unknown) => e instanceof SharqValidationError && /max_active/.test(e.message));
  await assert.rejects(client.setTypeLimits({ queueType: 'c_err', ratePerS: 0 }), (e: unknown) => e instanceof SharqValidationError && /rate_per_s/.test(e.message));
  await assert.rejects(client.pause({ queueType: 'c_err', queueId: 'q', forMs: 0 }), (e: unknown) => e instanceof SharqValidationError && /for_ms/.test(e.message));
  await assert.rejects(
    client.enqueue({ queueType: 'c_err', queueId: 'q', jobId: 'a', interval: 0, payload: 1, maxActive: 0 }),
    (e: unknown) => e instanceof SharqValidationError && /max_active/.test(e.message),
  );
  assert.equal((await client.limits({ queueType: 'c_err' })).paused, false, 'nothing was paused by the refused pause');
});
