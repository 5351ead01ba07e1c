// A migration from another Redis (journaled two-phase steps) killed (SIGKILL) midway and run again moves
// every job exactly once, in order.
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

describe('another Redis: journaled two-phase steps', () => {
  let source: RedisServerHandle;
  let target: RedisServerHandle;
  let sourceClient: Redis;
  let targetClient: Redis;
  let config: ReturnType<typeof writeConfig>;
  before(async () => {
    [source, target] = await Promise.all([startRedis(), startRedis()]);
    sourceClient = new Redis(source.port, '127.0.0.1');
    targetClient = new Redis(target.port, '127.0.0.1');
    config = writeConfig(target.port);
  });
  after(async () => {
    sourceClient.disconnect();
    targetClient.disconnect();
    config.remove();
    await Promise.all([source.stop(), target.stop()]);
  });

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
