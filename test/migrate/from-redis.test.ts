// --from-redis: the old data on another Redis moves in two-phase steps with the same result as on one
// Redis: order, active jobs to the front by expiry, requeue limits, intervals and the rate limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';

import { queueKeys, typeKeys } from '../../src/engine/keys.js';
import type { RedisServerHandle } from '../helpers/redis.js';
import { pyDequeue, pyEnqueue, redisNowMs, runMigrate, writeConfig } from './python-layout.js';
import { twoRedisesForSuite } from './fixture.js';

let source: RedisServerHandle;
let target: RedisServerHandle;
let sourceClient: Redis;
let targetClient: Redis;
let config: ReturnType<typeof writeConfig>;

twoRedisesForSuite((made) => ({ source, target, sourceClient, targetClient, config } = made));

test('queued and active jobs, limits and the rate limit arrive on the target; the source is emptied', async () => {
  const now = await redisNowMs(sourceClient);
  for (let i = 1; i <= 5; i++) {
    await pyEnqueue(sourceClient, 'py', { type: 'sms', queue: 'q', id: `j${i}`, payload: { i }, intervalMs: 60_000, requeueLimit: i }, now);
  }
  await pyDequeue(sourceClient, 'py', 'sms', 'q', now - 100); // j1, expires first
  await pyDequeue(sourceClient, 'py', 'sms', 'q', now); // j2, dequeued last: the rate limit counts from here

  const run = await runMigrate(['--config', config.path, '--from-prefix', 'py', '--from-redis', source.url]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /jobs moved: 5 /);

  const q = queueKeys('sharq_test', 'sms', 'q');
  const t = typeKeys('sharq_test', 'sms');
  assert.deepEqual(await targetClient.lrange(q.queue, 0, -1), ['j1', 'j2', 'j3', 'j4', 'j5']);
  assert.equal(await targetClient.hget(q.jobs, 'j3'), '3|3|1|{"i":3}');
  const [interval, , , lastUs] = ((await targetClient.hget(t.queues, 'q')) ?? '').split('|');
  assert.equal(interval, '60000');
  assert.equal(Number(lastUs), now * 1000);
  assert.equal(Number(await targetClient.zscore(t.ready, 'q')), (now + 60_000) * 1000);
  assert.equal(await targetClient.hget(t.totals, 'queued'), '5');
  assert.deepEqual(await targetClient.smembers('sharq_test:queue_types'), ['sms']);
  assert.equal(await targetClient.exists(q.migrating), 0);

  assert.equal(await sourceClient.exists('py:sms:q', 'py:sms:active', 'py:sms', 'py:sms:q:requeues_remaining'), 0);
  assert.equal(await sourceClient.hlen('py:payload'), 0);
});
