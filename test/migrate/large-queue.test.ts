// A queue of 100k jobs moves whole and in order, in bounded steps. The jobs are dequeued through the
// engine itself (moves-everything.test.ts goes through HTTP): a server start would not fit this file's
// time budget on a loaded machine beside 100k jobs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';

import { queueKeys, typeKeys } from '../../src/engine/keys.js';
import type { RedisServerHandle } from '../helpers/redis.js';
import { QueueEngine } from '../../src/engine/engine.js';
import { DEFAULT_ENGINE_OPTIONS } from '../helpers/engine.js';
import { pyBulkEnqueue, redisNowMs, runMigrate, writeConfig } from './python-layout.js';
import { oneRedisForSuite } from './fixture.js';

const JOBS = 100_000;

let redis: RedisServerHandle;
let client: Redis;
let config: ReturnType<typeof writeConfig>;

oneRedisForSuite((made) => ({ redis, client, config } = made));

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

  const engine = new QueueEngine(client, { ...DEFAULT_ENGINE_OPTIONS, keyPrefix: 'sharq_test' });
  for (let i = 0; i < 20; i++) {
    const job = await engine.dequeue('bulk');
    assert.ok(job.kind === 'job');
    assert.deepEqual([job.queueId, job.jobId, JSON.parse(job.payloadJson), job.requeuesRemaining, job.queueLength], [
      'big', `job-${i}`, { id: `job-${i}` }, -1, JOBS - i - 1,
    ]);
  }
});
