// A migration from another Redis (journaled two-phase steps) killed (SIGKILL) midway and run again moves
// every job exactly once, in order.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';

import { queueKeys } from '../../src/engine/keys.js';
import type { RedisServerHandle } from '../helpers/redis.js';
import { assertAllMovedOnce, idsOf, killedRuns, QUEUES } from './killed-runs.js';
import { pyBulkEnqueue, redisNowMs, writeConfig } from './python-layout.js';
import { twoRedisesForSuite } from './fixture.js';

describe('another Redis: journaled two-phase steps', () => {
  let source: RedisServerHandle;
  let target: RedisServerHandle;
  let sourceClient: Redis;
  let targetClient: Redis;
  let config: ReturnType<typeof writeConfig>;
  twoRedisesForSuite((made) => ({ source, target, sourceClient, targetClient, config } = made));

  test('after each kill a job in both layouts is named by a journal; the last run moves the rest once', async () => {
    const now = await redisNowMs(sourceClient);
    for (const queue of QUEUES) await pyBulkEnqueue(sourceClient, 'py', 'work', queue, idsOf(queue), now);
    const args = ['--config', config.path, '--from-prefix', 'py', '--from-redis', source.url];
    await killedRuns(args, targetClient, async (round) => {
      for (const queue of QUEUES) {
        const q = queueKeys('sharq_test', 'work', queue);
        const moved = await targetClient.lrange(q.queue, 0, -1);
        const left = await sourceClient.lrange(`py:work:${queue}`, 0, -1);
        const journal = ((await targetClient.get(q.migrating)) ?? 'queued').split('\n').slice(1);
        const overlap = moved.slice(moved.length - journal.length);
        assert.deepEqual(overlap, journal, `round ${round}: only the journaled step of ${queue} is in both`);
        assert.deepEqual([...moved, ...left.slice(left[0] === journal[0] ? journal.length : 0)], idsOf(queue), `round ${round}: ${queue}`);
      }
    });
    await assertAllMovedOnce(sourceClient, targetClient);
  });
});
