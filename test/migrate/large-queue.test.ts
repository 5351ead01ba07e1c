// A queue of 100k jobs moves whole and in order, in bounded steps.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';

import { queueKeys, typeKeys } from '../../src/engine/keys.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { request, startServer, type ServerHandle } from '../helpers/server.js';
import { NO_EXPIRY, pyBulkEnqueue, redisNowMs, runMigrate, writeConfig } from './python-layout.js';

const JOBS = 100_000;

let redis: RedisServerHandle;
let client: Redis;
let server: ServerHandle | undefined;
let config: ReturnType<typeof writeConfig>;

before(async () => {
  redis = await startRedis();
  client = new Redis(redis.port, '127.0.0.1');
  config = writeConfig(redis.port);
});
after(async () => {
  await server?.stop();
  client.disconnect();
  config.remove();
  await redis.stop();
});

test('100k jobs of one queue arrive in order, each once', async () => {
  const ids = Array.from({ length: JOBS }, (_, i) => `job-${i}`);
  await pyBulkEnqueue(client, 'py', 'bulk', 'big', ids, await redisNowMs(client));

  // Steps of 1000 jobs: 100 steps, so the file stays well inside the test timeout on a loaded machine.
  const run = await runMigrate(['--config', config.path, '--from-prefix', 'py', '--step-jobs', '1000']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, new RegExp(`jobs moved: ${JOBS} `));
  assert.equal(await client.exists('py:bulk:big'), 0);
  assert.equal(await client.hlen('py:payload'), 0);

  const q = queueKeys('sharq_test', 'bulk', 'big');
  assert.deepEqual(await client.lrange(q.queue, 0, -1), ids);
  assert.equal(await client.hlen(q.jobs), JOBS);
  assert.equal(await client.hget(typeKeys('sharq_test', 'bulk').totals, 'queued'), String(JOBS));

  server = await startServer({ redisPort: redis.port, workers: 2, startTimeoutMs: 60_000, config: NO_EXPIRY });
  for (let i = 0; i < 20; i++) {
    const res = await request(`${server.url}/dequeue/bulk/`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      status: 'success', queue_id: 'big', job_id: `job-${i}`, payload: { id: `job-${i}` },
      requeues_remaining: -1, current_queue_length: JOBS - i - 1,
    });
  }
});
