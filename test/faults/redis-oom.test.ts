// Redis at maxmemory with noeviction: enqueue gets a 503 saying Redis refuses writes (out of
// memory), dequeue and finish keep working, and the refused enqueue leaves nothing behind.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { redisCli, startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { request } from '../helpers/fetch.js';

const TAG = 'sharq_test:{oom}';

describe('Redis out of memory (maxmemory, noeviction)', () => {
  let redis: RedisServerHandle;
  let server: ServerHandle;
  before(async () => {
    redis = await startRedis({ extraArgs: ['--maxmemory-policy', 'noeviction'] });
    server = await startServer({ redisPort: redis.port, workers: 2, startTimeoutMs: 90_000 });
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  test('enqueue 503 with an out-of-memory message; dequeue and finish work; nothing half-written', async () => {
    for (const id of ['a1', 'a2', 'a3']) {
      const res = await request(`${server.url}/enqueue/oom/q1/`, { body: { job_id: id, interval: 0, payload: { id } } });
      assert.equal(res.status, 201);
    }
    // One dequeue before: its script is loaded in Redis when the limit hits, finish's is not (below).
    const first = await request(`${server.url}/dequeue/oom/`);
    assert.equal((first.body as { job_id: string }).job_id, 'a1', first.text);
    // Any used memory is now above the limit.
    await redisCli(redis.port, 'config', 'set', 'maxmemory', '1');

    for (const [queue, id] of [['q2', 'b1'], ['q1', 'a4']]) {
      const res = await request(`${server.url}/enqueue/oom/${queue}/`, { body: { job_id: id, interval: 0, payload: 1 } });
      assert.equal(res.status, 503, `enqueue ${queue}/${id}: ${res.text}`);
      assert.equal((res.body as { status: string }).status, 'failure');
      assert.match((res.body as { message: string }).message, /refuses writes.*out of memory/);
    }

    const dequeued = await request(`${server.url}/dequeue/oom/`);
    assert.equal(dequeued.status, 200, dequeued.text);
    assert.equal((dequeued.body as { job_id: string }).job_id, 'a2');
    // Redis refuses to load a script at maxmemory; the finish still works.
    for (const id of ['a1', 'a2']) {
      const finished = await request(`${server.url}/finish/oom/q1/${id}/`, { method: 'POST' });
      assert.equal(finished.status, 200, finished.text);
    }
    assert.equal((await request(`${server.url}/metrics/oom/q1/`)).status, 200);

    await redisCli(redis.port, 'config', 'set', 'maxmemory', '0');
    // The refused jobs are nowhere: not listed, no body, not counted.
    assert.equal(await redisCli(redis.port, 'llen', `${TAG}:queue:q2`), '0');
    assert.equal(await redisCli(redis.port, 'hexists', `${TAG}:jobs:q2`, 'b1'), '0');
    assert.equal(await redisCli(redis.port, 'lrange', `${TAG}:queue:q1`, '0', '-1'), 'a3');
    assert.equal(await redisCli(redis.port, 'hexists', `${TAG}:jobs:q1`, 'a4'), '0');
    assert.equal(await redisCli(redis.port, 'hget', `${TAG}:totals`, 'queued'), '1');
    // And the server takes writes again by itself.
    const again = await request(`${server.url}/enqueue/oom/q2/`, { body: { job_id: 'b1', interval: 0, payload: 1 } });
    assert.equal(again.status, 201);
    assert.equal((again.body as { duplicate?: boolean }).duplicate, undefined);
  });
});
