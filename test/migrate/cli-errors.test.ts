// The migrate subcommand's refusals: one line naming what is wrong, nothing written; exit code 2 for a
// usage error (as the server's own flags), 1 for a Redis that cannot be used.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';

import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { runMigrate, writeConfig } from './python-layout.js';

let redis: RedisServerHandle;
let client: Redis;
let config: ReturnType<typeof writeConfig>;
let clusterConfig: ReturnType<typeof writeConfig>;

before(async () => {
  redis = await startRedis();
  client = new Redis(redis.port, '127.0.0.1');
  config = writeConfig(redis.port);
  clusterConfig = writeConfig(redis.port, `clustered : true\ncluster_nodes : 127.0.0.1:${redis.port}`);
});
after(async () => {
  client.disconnect();
  config.remove();
  clusterConfig.remove();
  await redis.stop();
});

test('--from-prefix is required', async () => {
  const run = await runMigrate(['--config', config.path]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /from-prefix/);
});

test('--dry-run and --follow exclude each other', async () => {
  const run = await runMigrate(['--config', config.path, '--from-prefix', 'py', '--dry-run', '--follow']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /dry-run and follow/);
});

test('an unreachable --from-redis is named', async () => {
  const run = await runMigrate(['--config', config.path, '--from-prefix', 'py', '--from-redis', 'redis://127.0.0.1:1']);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /cannot reach the Python SharQ's Redis at redis:\/\/127\.0\.0\.1:1/);
});

test('a cluster target without --from-redis is refused before anything moves', async () => {
  const run = await runMigrate(['--config', clusterConfig.path, '--from-prefix', 'py']);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /Redis is a cluster.*no hash tags.*--from-redis/);
  assert.equal(run.stderr.trim().split('\n').length, 1);
  assert.deepEqual(await client.keys('*'), []);
});
