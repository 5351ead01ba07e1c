import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Cluster, Redis } from 'ioredis';

import { QueueEngine } from '../../src/engine/engine.js';
import { queueKeys, typeKeys, typeTag } from '../../src/engine/keys.js';
import { startRedisCluster, type RedisClusterHandle } from '../helpers/cluster.js';
import { DEFAULT_ENGINE_OPTIONS, deadLetterJsons, dequeuedAtUs, drain, enqueueJob, pollDequeue, readyAtUs, waitForExpiry } from '../helpers/engine.js';
import { redisCli } from '../helpers/redis.js';

const PREFIX = 'cq';

/** slot -> port of the master serving it, from CLUSTER SLOTS. */
async function slotOwners(client: Cluster): Promise<(slot: number) => number> {
  const ranges = (await client.call('cluster', 'slots')) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
  return (slot) => {
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (range === undefined) throw new Error(`slot ${slot} is not served`);
    return range[2][1];
  };
}

function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('Redis Cluster (3 masters)', () => {
  let cluster: RedisClusterHandle;
  let client: Cluster;
  let engine: QueueEngine;
  /** Queue types whose slots live on different masters, and the port of each type's master. */
  const typePort = new Map<string, number>();

  before(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
    engine = new QueueEngine(client, { ...DEFAULT_ENGINE_OPTIONS, keyPrefix: PREFIX, jobExpireIntervalMs: 150 });
    const ownerOf = await slotOwners(client);
    const firstPort = cluster.nodes[0]?.port as number;
    for (let i = 0; typePort.size < 3 && i < 200; i++) {
      const type = `type${i}`;
      const port = ownerOf(Number(await redisCli(firstPort, 'cluster', 'keyslot', typeTag(PREFIX, type))));
      if (![...typePort.values()].includes(port)) typePort.set(type, port);
    }
  });
  after(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  test('the chosen queue types live on different masters', () => {
    assert.equal(typePort.size, 3, `types on 3 masters: ${JSON.stringify([...typePort])}`);
    assert.equal(new Set(typePort.values()).size, 3);
  });

  test('enqueue, dequeue, finish, requeue and metrics across the shards', async () => {
    const types = [...typePort.keys()];
    for (const [n, type] of types.entries()) {
      for (let j = 0; j <= n; j++) {
        assert.equal((await enqueueJob(engine, type, 'q', `j${j}`, { payload: { type, j }, requeueLimit: 1 })).kind, 'queued');
      }
      assert.equal((await enqueueJob(engine, type, 'q', 'j0')).kind, 'duplicate');
    }

    // Each type's keys are on its own master, and only there.
    for (const [type, port] of typePort) {
      const t = typeKeys(PREFIX, type);
      const q = queueKeys(PREFIX, type, 'q');
      for (const key of [t.ready, t.queues, t.totals, q.queue, q.jobs]) {
        assert.equal(await redisCli(port, 'exists', key), '1', `${key} on port ${port}`);
      }
    }

    // Dequeue everything; the first job of each type is finished, the others are left to expire.
    const handed = new Map<string, string[]>();
    for (const type of types) {
      const jobs = await drain(engine, type);
      handed.set(type, jobs.map((job) => job.jobId));
      assert.deepEqual(JSON.parse(jobs[0]?.payloadJson ?? 'null'), { type, j: 0 });
      assert.equal(await engine.finish(type, 'q', 'j0'), true);
      assert.equal(await engine.finish(type, 'q', 'j0'), false);
    }
    assert.deepEqual([...handed.values()], [['j0'], ['j0', 'j1'], ['j0', 'j1', 'j2']]);

    // The requeue pass finds every type through the registry and puts the expired jobs back.
    for (const type of types.slice(1)) await waitForExpiry(engine, type);
    const counts = await engine.requeue();
    assert.deepEqual(
      types.map((type) => counts.get(type)?.requeued ?? 0),
      [0, 1, 2],
    );
    assert.equal(await engine.reads.queueLength(types[2] as string, 'q'), 2);
    const again = await drain(engine, types[2] as string);
    assert.deepEqual(again.map((job) => [job.jobId, job.requeuesRemaining]), [['j1', 0], ['j2', 0]]);
    // A second expiry discards them into the type's dead letters.
    await waitForExpiry(engine, types[2] as string);
    assert.equal((await engine.requeueType(types[2] as string)).discarded, 2);
    assert.equal((await deadLetterJsons(engine, types[2] as string, 10)).length, 2);

    const global = await engine.reads.globalMetrics();
    // Only the types that hold queued or active jobs now, as the original lists them.
    assert.deepEqual(global.queueTypes, [types[1]]);
    assert.equal(Object.keys(global.enqueueCounts).length, 10);
    assert.equal(total(global.enqueueCounts), 1 + 2 + 3, 'enqueues summed over the shards');
    assert.equal(total(global.dequeueCounts), 1 + 2 + 3 + 2, 'dequeues summed over the shards');
    const perQueue = await engine.reads.queueMetrics(types[1] as string, 'q');
    assert.deepEqual([perQueue.queueLength, total(perQueue.enqueueCounts), total(perQueue.dequeueCounts)], [1, 2, 2]);
    assert.deepEqual(await engine.reads.queueIds(types[1] as string), ['q']);
    assert.deepEqual(await engine.reads.queueIds(types[2] as string), []);
    assert.deepEqual(await engine.reads.typeGauges(types[1] as string), { queued: 1, active: 0, readyQueues: 1, queues: 1, delayed: 0, deadLetters: 0, pausedQueues: 0, typePaused: 0 });
  });

  test('interval, rate limit and clear queue on a shard', async () => {
    const type = [...typePort.keys()][1] as string;
    await enqueueJob(engine, type, 'rl', 'a', { intervalMs: 60_000 });
    await enqueueJob(engine, type, 'rl', 'b', { intervalMs: 60_000 });
    await enqueueJob(engine, type, 'rl', 'c', { intervalMs: 60_000 });
    const a = await pollDequeue(engine, type);
    assert.equal(a.queueId, 'q', 'the older ready queue of the type goes first');
    await engine.finish(type, a.queueId, a.jobId);
    const first = await pollDequeue(engine, type);
    assert.equal(first.jobId, 'a');
    const aAt = await dequeuedAtUs(engine, type, 'rl', 'a');
    assert.equal(await engine.setInterval(type, 'rl', 300), true);
    assert.equal(await engine.setInterval(type, 'missing', 300), false);
    assert.equal(await readyAtUs(engine, type, 'rl'), aAt + 300_000);
    const b = await pollDequeue(engine, type, 5000);
    assert.equal(b.jobId, 'b');
    assert.ok((await dequeuedAtUs(engine, type, 'rl', 'b')) - aAt >= 300_000);

    assert.deepEqual(await engine.clearQueue(type, 'rl', true), { queuedRemoved: 1, activeRemoved: 2 });
    assert.equal(await engine.finish(type, 'rl', 'b'), false);
    assert.deepEqual(await engine.reads.queueIds(type), []);
    await engine.health();
  });

  test('a standalone client pointed at one master is redirected (the keys really are sharded)', async () => {
    const [type, port] = [...typePort][0] as [string, number];
    const otherPort = [...typePort.values()].find((p) => p !== port) as number;
    const direct = new Redis({ port: otherPort, maxRetriesPerRequest: 0, lazyConnect: true });
    try {
      await direct.connect();
      await assert.rejects(direct.get(typeKeys(PREFIX, type).totals), /MOVED/);
    } finally {
      direct.disconnect();
    }
  });
});
