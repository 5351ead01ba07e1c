// The requeue pass on real Redis Clusters: a one-master cluster the server's client can use (the
// 1-shard side of the cluster-scale bench), slots computed locally as Redis computes them (the pass
// groups types by master with them), and one pass bringing back storms on every master at once.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Cluster } from 'ioredis';

import { QueueEngine } from '../../src/engine/engine.js';
import { typeKeys } from '../../src/engine/keys.js';
import { keySlot } from '../../src/redis/key-slot.js';
import { startRedisCluster, type RedisClusterHandle } from '../helpers/cluster.js';
import { DEFAULT_ENGINE_OPTIONS, drain, enqueueJob, queuedIds, waitForExpiry } from '../helpers/engine.js';
import { redisCli } from '../helpers/redis.js';

const PREFIX = 'rqc';

/** A real cluster of `masters` and an ioredis Cluster client on it, for the suite it is called in. */
function clusterForSuite(masters: number): { readonly cluster: RedisClusterHandle; readonly client: Cluster } {
  const made: { cluster?: RedisClusterHandle; client?: Cluster } = {};
  before(async () => {
    made.cluster = await startRedisCluster({ masters });
    made.client = new Cluster(made.cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
  });
  after(async () => {
    made.client?.disconnect();
    await made.cluster?.stop();
  });
  return {
    get cluster() {
      if (!made.cluster) throw new Error('the cluster starts in before()');
      return made.cluster;
    },
    get client() {
      if (!made.client) throw new Error('the cluster starts in before()');
      return made.client;
    },
  };
}

describe('requeue pass on a one-master cluster', () => {
  const suite = clusterForSuite(1);

  test('keySlot agrees with CLUSTER KEYSLOT, hash tags included', async () => {
    const port = suite.cluster.nodes[0]?.port as number;
    const keys = ['plain', '{tag}:a', 'x{tag}y', '{}empty', 'a{b', 'a}b{', '{a}{b}', 'ünïcode{ü}', typeKeys(PREFIX, 'sms').active];
    for (let i = 0; i < 40; i++) keys.push(`sharq:{type${i}}:active`);
    for (const key of keys) assert.equal(keySlot(key), Number(await redisCli(port, 'cluster', 'keyslot', key)), key);
  });

  test('an engine on it enqueues, dequeues and requeues', async () => {
    const engine = new QueueEngine(suite.client, { ...DEFAULT_ENGINE_OPTIONS, keyPrefix: PREFIX, jobExpireIntervalMs: 100 });
    for (let j = 0; j < 5; j++) assert.equal((await enqueueJob(engine, 'one', 'q', `j${j}`)).kind, 'queued');
    assert.equal((await drain(engine, 'one')).length, 5);
    await waitForExpiry(engine, 'one');
    assert.equal((await engine.requeue()).get('one')?.requeued, 5);
    assert.deepEqual(await queuedIds(engine, 'one', 'q'), ['j0', 'j1', 'j2', 'j3', 'j4']);
  });
});

describe('requeue pass on three masters', () => {
  const suite = clusterForSuite(3);

  test('storms on every master come back in one pass, each queue in its order', async () => {
    const engine = new QueueEngine(suite.client, { ...DEFAULT_ENGINE_OPTIONS, keyPrefix: PREFIX, jobExpireIntervalMs: 300, requeueBatchSize: 50 });
    await engine.queueTypes(); // connects and learns the slots
    // Two types per master, by the slot computed here and the owner the client learnt from Redis.
    const byMaster = new Map<string, string[]>();
    for (let i = 0; [...byMaster.values()].filter((types) => types.length >= 2).length < 3 && i < 500; i++) {
      const type = `storm${i}`;
      const master = suite.client.slots[keySlot(typeKeys(PREFIX, type).active)]?.[0] ?? '';
      const types = byMaster.get(master) ?? [];
      if (types.length < 2) byMaster.set(master, [...types, type]);
    }
    const types = [...byMaster.values()].flat();
    assert.equal(types.length, 6, `two types on each of 3 masters: ${JSON.stringify([...byMaster])}`);

    const queues = 20;
    const jobsPerQueue = 10;
    await Promise.all(
      types.flatMap((type) =>
        Array.from({ length: queues * jobsPerQueue }, (_, n) =>
          enqueueJob(engine, type, `q${n % queues}`, `j${Math.floor(n / queues)}`, { requeueLimit: 3 }),
        ),
      ),
    );
    for (const type of types) assert.equal((await drain(engine, type)).length, queues * jobsPerQueue);
    for (const type of types) await waitForExpiry(engine, type);

    const counts = await engine.requeue();
    for (const type of types) {
      assert.equal(counts.get(type)?.requeued, queues * jobsPerQueue, type);
      assert.ok((counts.get(type)?.calls ?? 0) >= (queues * jobsPerQueue) / 50, `${type}: batches of at most 50`);
      assert.deepEqual(await engine.reads.typeGauges(type), { queued: 200, active: 0, readyQueues: 20, queues: 20, delayed: 0, deadLetters: 0, pausedQueues: 0, typePaused: 0 });
      assert.deepEqual(await queuedIds(engine, type, 'q7'), Array.from({ length: jobsPerQueue }, (_, j) => `j${j}`), type);
    }
    const again = await drain(engine, types[0] as string);
    assert.ok(again.every((job) => job.requeuesRemaining === 2), 'each requeue counted once');
  });
});
