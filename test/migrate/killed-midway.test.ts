// A migration killed (SIGKILL) midway and run again moves every job exactly once, in order (atomic steps
// on one Redis; killed-midway-two-phase.test.ts does the same from another Redis).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';

import { queueKeys } from '../../src/engine/keys.js';
import type { RedisServerHandle } from '../helpers/redis.js';
import { assertAllMovedOnce, idsOf, killedRuns, QUEUES } from './killed-runs.js';
import { pyBulkEnqueue, redisNowMs, writeConfig } from './python-layout.js';
import { oneRedisForSuite } from './fixture.js';

describe('same Redis: atomic steps', () => {
  let redis: RedisServerHandle;
  let client: Redis;
  let config: ReturnType<typeof writeConfig>;
  oneRedisForSuite((made) => ({ redis, client, config } = made));

  test('after each kill every job is in exactly one layout; the last run moves the rest', async () => {
    const now = await redisNowMs(client);
    for (const queue of QUEUES) await pyBulkEnqueue(client, 'py', 'work', queue, idsOf(queue), now);
    await killedRuns(['--config', config.path, '--from-prefix', 'py'], client, async (round) => {
      for (const queue of QUEUES) {
        const moved = await client.lrange(queueKeys('sharq_test', 'work', queue).queue, 0, -1);
        const left = await client.lrange(`py:work:${queue}`, 0, -1);
        assert.deepEqual([...moved, ...left], idsOf(queue), `round ${round}: ${queue} split, never both or neither`);
      }
    });
    await assertAllMovedOnce(client, client);
  });
});
