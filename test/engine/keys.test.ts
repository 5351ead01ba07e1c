import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { QueueEngine } from '../../src/engine/engine.js';
import { globalKeys, queueKeys, statsKey, typeKeys, typeTag } from '../../src/engine/keys.js';
import { freePortPair } from '../helpers/ports.js';
import { type EngineHarness, enqueueJob, keysOf, pollDequeue, startEngine, waitForExpiry } from '../helpers/engine.js';
import { redisCli, startRedis, type RedisServerHandle } from '../helpers/redis.js';

describe('key layout: the scripts write exactly the keys src/engine/keys.ts names', () => {
  let h: EngineHarness;
  let clusterNode: RedisServerHandle | undefined;
  before(async () => {
    h = await startEngine({ jobExpireIntervalMs: 100 });
  });
  after(async () => {
    await h?.stop();
    await clusterNode?.stop();
  });

  test('after enqueue, dequeue, finish, requeue, clear and health', async () => {
    const engine: QueueEngine = await h.newEngine({ keyPrefix: 'kp' });
    const p = engine.options.keyPrefix;
    const t = typeKeys(p, 'sms');
    const q1 = queueKeys(p, 'sms', 'q1');
    const q2 = queueKeys(p, 'sms', 'q2');
    const g = globalKeys(p);
    const startMs = await engine.redisTimeMs();

    /** The keys in Redis, with the stats keys checked against statsKey() and then set aside. */
    const snapshot = async (): Promise<string[]> => {
      const endMs = await engine.redisTimeMs();
      const minutes = new Set<string>();
      for (let m = Math.floor(startMs / 60_000) * 60_000; m <= endMs; m += 60_000) minutes.add(statsKey(p, 'sms', m));
      const all = await keysOf(h.redis, p);
      const stats = all.filter((key) => key.startsWith(`${typeTag(p, 'sms')}:stats:`));
      assert.ok(stats.length >= 1, 'a stats key of the current minute exists');
      for (const key of stats) assert.ok(minutes.has(key), `${key} is a statsKey() of a minute of this test`);
      return all.filter((key) => !stats.includes(key));
    };
    const expect = async (keys: string[], what: string): Promise<void> => {
      assert.deepEqual(await snapshot(), [...keys].sort(), what);
    };

    await enqueueJob(engine, 'sms', 'q1', 'j1', { intervalMs: 1000, requeueLimit: 0 });
    await enqueueJob(engine, 'sms', 'q1', 'j2', { intervalMs: 1000 });
    await enqueueJob(engine, 'sms', 'q2', 'k1', { intervalMs: 0 });
    await expect([t.ready, t.queues, t.totals, q1.queue, q1.jobs, q2.queue, q2.jobs, g.queueTypes], 'after enqueue');

    // j1 and k1 leave; q2's list empties (Redis deletes empty lists).
    const out = [await pollDequeue(engine, 'sms'), await pollDequeue(engine, 'sms')];
    assert.deepEqual(out.map((job) => job.jobId).sort(), ['j1', 'k1']);
    await expect([t.ready, t.active, t.queues, t.totals, q1.queue, q1.jobs, q2.jobs, g.queueTypes], 'after dequeue');

    // q2 goes idle: its meta moves to its idle record, its job hash empties.
    assert.equal(await engine.finish('sms', 'q2', 'k1'), true);
    await expect([t.ready, t.active, t.queues, t.totals, q1.queue, q1.jobs, q2.idle, g.queueTypes], 'after finish');

    // j1 expires with requeue_limit 0: discarded into the dead letters.
    await waitForExpiry(engine, 'sms');
    assert.equal((await engine.requeue()).get('sms')?.discarded, 1);
    await expect([t.ready, t.queues, t.totals, t.deadIndex, t.deadJobs, q1.queue, q1.jobs, q2.idle, g.queueTypes], 'after requeue');

    // An active job put back by requeue (the script derives the queue's keys itself).
    await enqueueJob(engine, 'sms', 'q2', 'k2', { intervalMs: 0, requeueLimit: 1 });
    await pollDequeue(engine, 'sms');
    await waitForExpiry(engine, 'sms');
    assert.equal((await engine.requeue()).get('sms')?.requeued, 1);
    await expect([t.ready, t.queues, t.totals, t.deadIndex, t.deadJobs, q1.queue, q1.jobs, q2.queue, q2.jobs, g.queueTypes], 'after requeue back');

    // A delayed job: parked in the type's delayed set, counted per queue; a purge removes both.
    await engine.enqueue({ queueType: 'sms', queueId: 'q1', jobId: 'd1', intervalMs: 1000, payload: 1, delayMs: 60_000 });
    await expect(
      [t.ready, t.queues, t.totals, t.deadIndex, t.deadJobs, t.delayed, t.delayedCounts, t.limits, q1.queue, q1.jobs, q2.queue, q2.jobs, g.queueTypes],
      'after a delayed enqueue',
    );

    assert.equal(await engine.setInterval('sms', 'q1', 5), true);
    assert.deepEqual(await engine.clearQueue('sms', 'q1', true), { queuedRemoved: 1, activeRemoved: 1 });
    assert.deepEqual(await engine.clearQueue('sms', 'q2', true), { queuedRemoved: 1, activeRemoved: 0 });
    await engine.health();
    const left = await snapshot();
    for (const key of left) {
      // t.limits: its next_due may outlive a purged delayed job until the next peek (lua/include/lifecycle.lua).
      assert.ok([t.totals, t.deadIndex, t.deadJobs, t.limits, q1.idle, q2.idle, g.queueTypes, g.deepStatus].includes(key), `unexpected key ${key}`);
    }
    for (const key of [t.totals, t.deadIndex, t.deadJobs, g.queueTypes, g.deepStatus]) assert.ok(left.includes(key), `${key} exists`);
  });

  test('every key of one queue type hashes to one cluster slot; types differ', async () => {
    // CLUSTER KEYSLOT is answered by any cluster-enabled node, slots assigned or not.
    clusterNode = await startRedis({
      port: await freePortPair(10000),
      extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
    });
    const port = clusterNode.port;
    const slotOf = async (key: string): Promise<number> => Number(await redisCli(port, 'cluster', 'keyslot', key));

    const types = ['sms', 'email', 'x'.repeat(100), 'a-b_C9', '-'];
    const slots = new Map<string, number>();
    for (const type of types) {
      const keys = [
        ...Object.values(typeKeys('sharq', type)),
        ...Object.values(queueKeys('sharq', type, 'q1')),
        ...Object.values(queueKeys('sharq', type, 'another_queue-ID')),
        statsKey('sharq', type, 1_700_000_040_000),
      ];
      const typeSlots = new Set(await Promise.all(keys.map(slotOf)));
      assert.equal(typeSlots.size, 1, `all keys of ${type} in one slot: ${[...typeSlots].join(',')}`);
      const slot = [...typeSlots][0] as number;
      assert.equal(slot, await slotOf(type), `the slot is the hash of the type name (the hash tag)`);
      assert.equal(slot, await slotOf(typeTag('other-prefix', type)), 'whatever the key prefix');
      slots.set(type, slot);
    }
    assert.ok(new Set(slots.values()).size >= 4, `types spread over slots: ${JSON.stringify([...slots])}`);
  });
});
