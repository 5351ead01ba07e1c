// delay_ms on enqueue end to end: not handed out early, handed out once due, duplicates counted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Redis } from 'ioredis';

import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { request } from '../helpers/fetch.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

let redis: RedisServerHandle;
let server: ServerHandle;
let client: Redis;

before(async () => {
  redis = await startRedis();
  // A long requeue interval: delayed jobs must not depend on it.
  server = await startServer({ redisPort: redis.port, workers: 2, config: { sharq: { job_requeue_interval: '60000' } } });
  client = new Redis({ host: redis.host, port: redis.port });
});

after(async () => {
  client?.disconnect();
  await server?.stop();
  await redis?.stop();
});

const call = (method: string, path: string, body?: unknown) =>
  request(`${server.url}${path}`, { method, ...(body === undefined ? {} : { body }) });

async function redisNowMs(): Promise<number> {
  const [s, us] = await client.time();
  return Number(s) * 1000 + Number(us) / 1000;
}

describe('delay_ms', () => {
  test('the job is not handed out before enqueue + delay_ms (Redis clock), then it is', async () => {
    const before = await redisNowMs();
    assert.deepEqual((await call('POST', '/enqueue/dl/q/', { job_id: 'j', interval: 0, payload: { x: 1 }, delay_ms: 500 })).body, {
      status: 'queued',
    });
    const job = await waitFor(
      async () => {
        const r = await call('GET', '/dequeue/dl/');
        if (r.status === 200) return { body: r.body as Record<string, unknown>, at: await redisNowMs() };
        assert.equal(r.status, 404);
        return undefined;
      },
      { what: 'the delayed job', intervalMs: 10, timeoutMs: 15_000 },
    );
    assert.ok(job.at >= before + 500, `handed out ${job.at - before} ms after the enqueue`);
    assert.deepEqual(job.body.payload, { x: 1 });
  });

  test('a delayed job id is a duplicate; max_queued_length counts it', async () => {
    await call('POST', '/enqueue/dd/q/', { job_id: 'j', interval: 0, payload: 1, delay_ms: 60_000 });
    const dup = await call('POST', '/enqueue/dd/q/', { job_id: 'j', interval: 0, payload: 1 });
    assert.equal((dup.body as Record<string, unknown>).duplicate, true);
    const full = await call('POST', '/enqueue/dd/q/', { job_id: 'k', interval: 0, payload: 1, max_queued_length: 1 });
    assert.equal(full.status, 429);
    assert.equal((full.body as Record<string, unknown>).current_queue_length, 1);
  });

  test('delay_ms out of range or of a wrong type is a 400 naming it, and enqueues nothing', async () => {
    for (const delay of [-1, 2_592_000_001, 0.5, '5', false]) {
      const r = await call('POST', '/enqueue/dv/q/', { job_id: 'j', interval: 0, payload: 1, delay_ms: delay });
      assert.equal(r.status, 400, `delay_ms ${String(delay)}`);
      assert.match(String((r.body as Record<string, unknown>).message), /delay_ms/);
    }
    assert.equal((await call('GET', '/job/dv/q/j/')).status, 404);
  });

  test('Prometheus: delayed jobs per type', async () => {
    assert.match((await call('GET', '/metrics')).text, /^sharq_delayed_jobs\{queue_type="dd"\} 1$/m);
  });
});
