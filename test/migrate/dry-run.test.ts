// --dry-run reports what would move and changes nothing.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { Redis } from 'ioredis';

import type { RedisServerHandle } from '../helpers/redis.js';
import { pyDequeue, pyEnqueue, redisNowMs, runMigrate, writeConfig } from './python-layout.js';
import { oneRedisForSuite } from './fixture.js';

let redis: RedisServerHandle;
let client: Redis;
let config: ReturnType<typeof writeConfig>;

oneRedisForSuite((made) => ({ redis, client, config } = made));

async function snapshot(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of await client.keys('*')) out.set(key, ((await client.dumpBuffer(key)) ?? Buffer.alloc(0)).toString('hex'));
  return out;
}

test('dry run counts types, queues, jobs and undecodable payloads without writing', async () => {
  const now = await redisNowMs(client);
  for (let i = 0; i < 30; i++) {
    await pyEnqueue(client, 'py', { type: i % 2 ? 'a' : 'b', queue: `q${i % 3}`, id: `j${i}`, payload: { i } }, now);
  }
  await pyEnqueue(client, 'py', { type: 'a', queue: 'raw', id: 'r1', payload: Buffer.from([0xc1]) }, now);
  await pyDequeue(client, 'py', 'a', 'q0', now);
  const before = await snapshot();

  const run = await runMigrate(['--config', config.path, '--from-prefix', 'py', '--dry-run']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /dry run: nothing was changed/);
  assert.match(run.stdout, /types: 2/);
  assert.match(run.stdout, /queues: 7/);
  assert.match(run.stdout, /queued jobs: 30/);
  assert.match(run.stdout, /active jobs: 1 /);
  assert.match(run.stdout, /jobs that would move: 31/);
  assert.match(run.stdout, /would move as strings .*: 1/);

  assert.deepEqual(await snapshot(), before);
});
