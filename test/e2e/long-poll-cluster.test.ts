// Long-poll and batches through the real CLI on a real Redis Cluster (3 masters): the wake-up
// travels by sharded pub/sub (SPUBLISH from the scripts on the type's slot, SSUBSCRIBE by the
// server), for queue types whose slots live on different masters.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Cluster } from 'ioredis';

import { typeTag } from '../../src/engine/keys.js';
import { startRedisCluster, type RedisClusterHandle } from '../helpers/cluster.js';
import { longPoll, waitingRequests } from '../helpers/long-poll.js';
import { redisCli } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

let cluster: RedisClusterHandle;
let server: ServerHandle;
const types: string[] = [];

before(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  const first = cluster.nodes[0] as { host: string; port: number };
  const client = new Cluster(cluster.nodes);
  const ranges = (await client.call('cluster', 'slots')) as [number, number, [string, number]][];
  client.disconnect();
  const ports = new Set<number>();
  for (let i = 0; types.length < 3 && i < 200; i++) {
    const slot = Number(await redisCli(first.port, 'cluster', 'keyslot', typeTag('sharq_test', `lpc${i}`)));
    const port = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1] as number;
    if (!ports.has(port)) {
      ports.add(port);
      types.push(`lpc${i}`);
    }
  }
  server = await startServer({
    redisPort: first.port,
    workers: 2,
    config: {
      redis: { clustered: 'true', cluster_nodes: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',') },
    },
    startTimeoutMs: 90_000,
  });
});

after(async () => {
  await server?.stop();
  await cluster?.stop();
});

describe('long-poll on Redis Cluster', () => {
  test('an enqueue wakes a waiter of every type, whichever master holds the type', async () => {
    assert.equal(types.length, 3);
    const waiters = types.map((type) => longPoll(server, `/dequeue/${type}/?wait=20000`));
    await waitFor(async () => (await Promise.all(types.map((t) => waitingRequests(server, t)))).every((n) => n === 1), {
      what: 'one waiter per type',
      timeoutMs: 20_000,
    });
    for (const type of types) {
      const res = await server.api.post(`/enqueue/${type}/`, { jobs: [{ queue_id: 'q', job_id: `${type}-j`, interval: 0, payload: type }] });
      assert.equal(res.status, 200, res.text);
    }
    const replies = await Promise.all(waiters.map((w) => w.reply));
    replies.forEach((reply, i) => {
      assert.equal(reply.status, 200);
      assert.equal(reply.body.job_id, `${types[i]}-j`);
      assert.ok(reply.elapsedMs < 15_000, 'woken, not timed out');
    });
  });

  test('batch dequeue and finish on the cluster', async () => {
    const type = types[1] as string;
    const jobs = Array.from({ length: 150 }, (_, i) => ({ queue_id: `q${i % 5}`, job_id: `b${i}`, interval: 0, payload: i }));
    assert.equal((await server.api.post(`/enqueue/${type}/`, { jobs })).status, 200);
    const out = await server.api.get(`/dequeue/${type}/?count=200&wait=1000`);
    const got = (out.body as { jobs: { queue_id: string; job_id: string }[] }).jobs;
    assert.equal(got.length, 150);
    const fin = await server.api.post(`/finish/${type}/`, { jobs: got.map((j) => ({ queue_id: j.queue_id, job_id: j.job_id })) });
    assert.ok((fin.body as { results: { status: string }[] }).results.every((r) => r.status === 'success'));
  });
});
