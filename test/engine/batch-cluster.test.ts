import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Cluster } from 'ioredis';

import type { BatchOperations } from '../../src/engine/batch.js';
import { QueueEngine } from '../../src/engine/engine.js';
import { typeTag, wakeChannel } from '../../src/engine/keys.js';
import { startRedisCluster, type RedisClusterHandle } from '../helpers/cluster.js';
import { DEFAULT_ENGINE_OPTIONS } from '../helpers/engine.js';
import { redisCli } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const PREFIX = 'bc';

describe('batches and wake signals on Redis Cluster (3 masters)', () => {
  let cluster: RedisClusterHandle;
  let client: Cluster;
  let subscriber: Cluster;
  let batch: BatchOperations;
  /** Three types whose slots are on three different masters. */
  const types: string[] = [];

  before(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
    subscriber = new Cluster(cluster.nodes, { shardedSubscribers: true, redisOptions: { maxRetriesPerRequest: 1 } });
    batch = new QueueEngine(client, { ...DEFAULT_ENGINE_OPTIONS, keyPrefix: PREFIX }).batch;
    const firstPort = cluster.nodes[0]?.port as number;
    const ranges = (await client.call('cluster', 'slots')) as [number, number, [string, number]][];
    const seen = new Set<number>();
    for (let i = 0; types.length < 3 && i < 200; i++) {
      const slot = Number(await redisCli(firstPort, 'cluster', 'keyslot', typeTag(PREFIX, `type${i}`)));
      const port = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1] as number;
      if (!seen.has(port)) {
        seen.add(port);
        types.push(`type${i}`);
      }
    }
    assert.equal(types.length, 3);
  });
  after(async () => {
    client?.disconnect();
    subscriber?.disconnect();
    await cluster?.stop();
  });

  test('batch enqueue, dequeue with count and batch finish on every master', async () => {
    for (const type of types) {
      const jobs = Array.from({ length: 250 }, (_, i) => ({ queueId: `q${i % 7}`, jobId: `j${i}`, intervalMs: 0, payload: { i } }));
      const queued = await batch.enqueue(type, jobs);
      assert.ok(queued.every((r) => r.kind === 'queued'), `${type}: all queued`);
      const out = await batch.dequeue(type, 300);
      assert.equal(out.jobs.length, 250, `${type}: all dequeued`);
      for (let q = 0; q < 7; q++) {
        const ids = out.jobs.filter((j) => j.queueId === `q${q}`).map((j) => Number(j.jobId.slice(1)));
        assert.deepEqual(ids, [...ids].sort((a, b) => a - b), `${type}/q${q}: FIFO`);
      }
      const finished = await batch.finish(type, out.jobs.map((j) => ({ queueId: j.queueId, jobId: j.jobId })));
      assert.ok(finished.every((r) => r === true), `${type}: all finished`);
    }
  });

  test('a rate-limited queue gives one job per dequeue call', async () => {
    const type = types[0] as string;
    await batch.enqueue(type, [1, 2, 3].map((i) => ({ queueId: 'limited', jobId: `l${i}`, intervalMs: 60_000, payload: i })));
    const out = await batch.dequeue(type, 10);
    assert.deepEqual(out.jobs.map((j) => j.jobId), ['l1']);
    assert.ok((out.nextReadyInMs ?? 0) > 50_000);
  });

  test('scripts SPUBLISH wake-ups on the type slot, received through sharded subscriptions', async () => {
    const received: string[] = [];
    subscriber.on('smessage', (channel: string, message: string) => received.push(`${channel}=${message}`));
    for (const type of types) await subscriber.ssubscribe(wakeChannel(PREFIX, type));
    for (const type of types) {
      await batch.enqueue(type, [{ queueId: 'fresh', jobId: 'f', intervalMs: 0, payload: 1 }]);
    }
    await waitFor(() => received.length >= 3, { what: 'three wake messages', timeoutMs: 20_000 });
    assert.deepEqual(received.sort(), types.map((type) => `${wakeChannel(PREFIX, type)}=0`).sort());
  });
});
