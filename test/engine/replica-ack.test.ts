// min_replicas_ack on a real master and replica: a change is answered only once the replica has it,
// concurrent changes share WAITs instead of each blocking the connection, and a replica that does
// not confirm gives every waiting caller the 503 error.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Redis } from 'ioredis';

import { QueueEngine } from '../../src/engine/engine.js';
import { ReplicaAckError } from '../../src/engine/scripts/replica-ack.js';
import { DEFAULT_ENGINE_OPTIONS } from '../helpers/engine.js';
import { redisCli, startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

async function waitCalls(port: number): Promise<number> {
  const stats = await redisCli(port, 'info', 'commandstats');
  return Number(/cmdstat_wait:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

describe('min_replicas_ack', () => {
  let master: RedisServerHandle;
  let replica: RedisServerHandle;
  let redis: Redis;
  let engine: QueueEngine;
  before(async () => {
    master = await startRedis();
    replica = await startRedis({ extraArgs: ['--replicaof', master.host, String(master.port)] });
    await waitFor(async () => /slave0:.*state=online/.test(await redisCli(master.port, 'info', 'replication')), {
      what: 'the replica to be in sync',
      timeoutMs: 20_000,
    });
    redis = new Redis({ host: master.host, port: master.port, enableAutoPipelining: true, lazyConnect: true });
    await redis.connect();
    engine = new QueueEngine(redis, { ...DEFAULT_ENGINE_OPTIONS, keyPrefix: 'ack', replicaAck: { replicas: 1, timeoutMs: 2000 } });
  });
  after(async () => {
    redis?.disconnect();
    await replica?.stop();
    await master?.stop();
  });

  test('200 concurrent enqueues: each answered with the replica holding it, in far fewer WAITs', async () => {
    const before = await waitCalls(master.port);
    const ids = Array.from({ length: 200 }, (_, i) => `j${i}`);
    await Promise.all(ids.map((jobId, i) => engine.enqueue({ queueType: 'ack', queueId: `q${i % 20}`, jobId, intervalMs: 0, payload: i })));
    const waits = (await waitCalls(master.port)) - before;
    assert.ok(waits >= 1 && waits < ids.length / 2, `${waits} WAITs for ${ids.length} enqueues`);
    // Every acknowledged job is on the replica the moment its enqueue was answered.
    let onReplica = 0;
    for (let q = 0; q < 20; q++) onReplica += Number(await redisCli(replica.port, 'hlen', `ack:{ack}:jobs:q${q}`));
    assert.equal(onReplica, ids.length);
  });

  test('a replica that does not confirm fails every waiting change with ReplicaAckError', async () => {
    const pid = replica.pid;
    assert.ok(pid !== undefined);
    process.kill(pid, 'SIGSTOP');
    try {
      const fast = new QueueEngine(redis, { ...DEFAULT_ENGINE_OPTIONS, keyPrefix: 'ack', replicaAck: { replicas: 1, timeoutMs: 200 } });
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => fast.enqueue({ queueType: 'ack', queueId: 'stopped', jobId: `s${i}`, intervalMs: 0, payload: i })),
      );
      for (const result of results) {
        assert.equal(result.status, 'rejected');
        assert.ok(result.reason instanceof ReplicaAckError, String(result.reason));
      }
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });
});
