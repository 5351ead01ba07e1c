// A Redis Cluster target: --from-redis moves the old data in two-phase steps (each write in one slot),
// and --follow runs there too (the lock is one key).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Cluster, Redis } from 'ioredis';

import { queueKeys } from '../../src/engine/keys.js';
import { startRedisCluster, type RedisClusterHandle } from '../helpers/cluster.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { pyBulkEnqueue, pyEnqueue, redisNowMs, runMigrate, startMigrate, writeConfig } from './python-layout.js';

let source: RedisServerHandle;
let cluster: RedisClusterHandle;
let sourceClient: Redis;
let target: Cluster;
let config: ReturnType<typeof writeConfig>;

before(async () => {
  [source, cluster] = await Promise.all([startRedis(), startRedisCluster({ masters: 3 })]);
  sourceClient = new Redis(source.port, '127.0.0.1');
  target = new Cluster(cluster.nodes);
  const first = cluster.nodes[0]!;
  config = writeConfig(first.port, `clustered : true\ncluster_nodes : ${cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`);
});
after(async () => {
  sourceClient.disconnect();
  target.disconnect();
  config.remove();
  await Promise.all([source.stop(), cluster.stop()]);
});

test('queues of several types land on their slots, in order; a follower moves later writes', async () => {
  const now = await redisNowMs(sourceClient);
  const types = ['sms', 'email', 'push', 'voice'];
  const ids = Array.from({ length: 300 }, (_, i) => `j${i}`);
  for (const type of types) await pyBulkEnqueue(sourceClient, 'py', type, 'q1', ids, now);

  const args = ['--config', config.path, '--from-prefix', 'py', '--from-redis', source.url];
  const run = await runMigrate([...args, '--step-jobs', '50']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /jobs moved: 1200 /);
  for (const type of types) assert.deepEqual(await target.lrange(queueKeys('sharq_test', type, 'q1').queue, 0, -1), ids);

  const follower = startMigrate([...args, '--follow']);
  try {
    await waitFor(() => follower.stderr().includes('following py'), { what: 'the follower to start', timeoutMs: 60_000 });
    await pyEnqueue(sourceClient, 'py', { type: 'sms', queue: 'q1', id: 'late', payload: 'late' }, await redisNowMs(sourceClient));
    await waitFor(async () => (await target.lindex(queueKeys('sharq_test', 'sms', 'q1').queue, -1)) === 'late', {
      what: 'the late job to move',
      timeoutMs: 10_000,
    });
  } finally {
    follower.child.kill('SIGTERM');
    assert.equal(await follower.exited, 0, follower.stderr());
  }
  assert.equal(await sourceClient.hlen('py:payload'), 0);
});
