// A migration killed (SIGKILL) midway and run again moves every job exactly once, in order (atomic steps
// on one Redis; killed-midway-two-phase.test.ts does the same from another Redis).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';

import { queueKeys, typeKeys } from '../../src/engine/keys.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { pyBulkEnqueue, redisNowMs, runMigrate, startMigrate, writeConfig } from './python-layout.js';

const QUEUES = ['q0', 'q1', 'q2', 'q3'];
const JOBS_PER_QUEUE = 5000;
const KILLS = 3;
const idsOf = (queue: string): string[] => Array.from({ length: JOBS_PER_QUEUE }, (_, i) => `${queue}-${i}`);

async function movedSoFar(target: Redis): Promise<number> {
  return Number((await target.hget(typeKeys('sharq_test', 'work').totals, 'queued')) ?? 0);
}

async function killedRuns(args: string[], target: Redis, check: (round: number) => Promise<void>): Promise<void> {
  for (let round = 1; round <= KILLS; round++) {
    const before = await movedSoFar(target);
    const run = startMigrate([...args, '--step-jobs', '10']);
    await waitFor(async () => (await movedSoFar(target)) >= before + 2000 || run.child.exitCode !== null, {
      what: 'the migration to move 2000 more jobs',
      timeoutMs: 60_000,
    });
    assert.equal(run.child.exitCode, null, `round ${round}: still running when killed (${run.stderr()})`);
    run.child.kill('SIGKILL');
    await run.exited;
    await check(round);
  }
  const last = await runMigrate(args);
  assert.equal(last.code, 0, last.stderr);
}

async function assertAllMovedOnce(source: Redis, target: Redis): Promise<void> {
  for (const queue of QUEUES) {
    const q = queueKeys('sharq_test', 'work', queue);
    assert.deepEqual(await target.lrange(q.queue, 0, -1), idsOf(queue), `${queue} in order, each once`);
    assert.equal(await target.hlen(q.jobs), JOBS_PER_QUEUE);
    assert.equal(await target.exists(q.migrating), 0, 'no journal left');
    assert.equal(await source.exists(`py:work:${queue}`), 0);
  }
  assert.equal(await movedSoFar(target), QUEUES.length * JOBS_PER_QUEUE);
  assert.equal(await source.hlen('py:payload'), 0);
}

describe('same Redis: atomic steps', () => {
  let redis: RedisServerHandle;
  let client: Redis;
  let config: ReturnType<typeof writeConfig>;
  before(async () => {
    redis = await startRedis();
    client = new Redis(redis.port, '127.0.0.1');
    config = writeConfig(redis.port);
  });
  after(async () => {
    client.disconnect();
    config.remove();
    await redis.stop();
  });

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
