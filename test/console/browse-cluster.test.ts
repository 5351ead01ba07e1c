// The paged read views on a real 3-master Redis Cluster: every call stays in its type's slot.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Cluster } from 'ioredis';

import { QueueEngine } from '../../src/engine/engine.js';
import { typeTag } from '../../src/engine/keys.js';
import { startRedisCluster, type RedisClusterHandle } from '../helpers/cluster.js';
import { DEFAULT_ENGINE_OPTIONS, enqueueJob } from '../helpers/engine.js';
import { redisCli } from '../helpers/redis.js';

const PREFIX = 'cb';

describe('queue and job pages on Redis Cluster (3 masters)', () => {
  let cluster: RedisClusterHandle;
  let client: Cluster;
  let engine: QueueEngine;
  const types: string[] = [];

  before(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
    engine = new QueueEngine(client, { ...DEFAULT_ENGINE_OPTIONS, keyPrefix: PREFIX });
    // Two types whose slots are on different masters.
    const port = cluster.nodes[0]?.port as number;
    const slots = new Set<number>();
    for (let i = 0; types.length < 2; i++) {
      const slot = Number(await redisCli(port, 'cluster', 'keyslot', typeTag(PREFIX, `type${i}`)));
      const shard = Math.floor(slot / Math.ceil(16384 / 3));
      if (!slots.has(shard)) {
        slots.add(shard);
        types.push(`type${i}`);
      }
    }
  });
  after(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  test('queues of each type page completely; jobs page by offset', async () => {
    for (const [n, type] of types.entries()) {
      const count = 300 + n * 100;
      for (let i = 0; i < count; i += 100) {
        await Promise.all(Array.from({ length: 100 }, (_, k) => enqueueJob(engine, type, `q${i + k}`, 'j', { intervalMs: 7 })));
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await engine.browse.queuePage(type, { cursor, limit: '64' });
        assert.ok(page.queues.length <= 64);
        seen.push(...page.queues.map((q) => q.queue_id));
        for (const q of page.queues) assert.deepEqual([q.queued, q.active, q.interval], [1, 0, 7]);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      assert.equal(new Set(seen).size, count, `${type}: every queue`);
      assert.equal(seen.length, count, `${type}: each once`);
      const prefixed = await engine.browse.queuePage(type, { prefix: 'q29', limit: '1000' });
      assert.ok(prefixed.queues.every((q) => q.queue_id.startsWith('q29')));
    }

    const type = types[1] as string;
    for (let i = 0; i < 30; i++) await enqueueJob(engine, type, 'long', `j${i}`, { payload: { i } });
    const page = await engine.browse.jobPage(type, 'long', { offset: '10', limit: '5' });
    assert.equal(page.total, 30);
    assert.deepEqual(page.jobs.map((job) => [job.job_id, job.payload]), [10, 11, 12, 13, 14].map((i) => [`j${i}`, { i }]));
  });
});
