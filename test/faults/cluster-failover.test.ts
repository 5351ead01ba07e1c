// Redis Cluster failover on a real cluster with replicas (3 masters, 3 replicas): one master is
// SIGKILLed under load. Traffic to the other shards never stops; the killed shard's types answer
// 503 (never 500) until its replica takes over; with min_replicas_ack = 1 nothing acknowledged is
// lost (a ledger of acknowledged job ids per shard).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startReplicatedCluster, type ReplicatedClusterHandle } from '../helpers/cluster-replicas.js';
import { Ledger } from '../helpers/ledger.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const TYPES = ['ca', 'cb', 'cc', 'cd', 'ce', 'cf', 'cg', 'ch', 'ci'];

describe('Redis Cluster failover with min_replicas_ack', () => {
  let cluster: ReplicatedClusterHandle;
  let server: ServerHandle;
  before(async () => {
    cluster = await startReplicatedCluster(3);
    server = await startServer({
      redisPort: cluster.masters[0]?.port ?? 0,
      workers: 2,
      startTimeoutMs: 60_000,
      config: {
        sharq: { job_expire_interval: '1000', job_requeue_interval: '500' },
        redis: {
          clustered: 'true',
          cluster_nodes: cluster.servers.map((s) => `127.0.0.1:${s.port}`).join(','),
          min_replicas_ack: '1',
          replica_ack_timeout: '500',
        },
      },
    });
  });
  after(async () => {
    await server?.stop();
    await cluster?.stop();
  });

  test('one master SIGKILLed under load: other shards flow, its types 503 then recover, nothing lost', async () => {
    const victim = cluster.masters[0];
    assert.ok(victim !== undefined);
    const survivorPort = cluster.masters[1]?.port ?? 0;
    const owners = new Map<string, number>();
    for (const type of TYPES) owners.set(type, await cluster.ownerOf(`sharq_test:{${type}}:ready`, survivorPort));
    const killedTypes = TYPES.filter((t) => owners.get(t) === victim.port);
    const otherTypes = TYPES.filter((t) => owners.get(t) !== victim.port);
    assert.ok(killedTypes.length > 0 && otherTypes.length > 0, `types by owner: ${JSON.stringify([...owners])}`);

    const killedShard = new Ledger({ urls: [server.url], queueTypes: killedTypes });
    const otherShards = new Ledger({ urls: [server.url], queueTypes: otherTypes });
    const loads = [killedShard.produce(2, 5), otherShards.produce(2, 5)];
    try {
      await waitFor(() => killedShard.acknowledged.size >= 30 && otherShards.acknowledged.size >= 30, {
        what: 'acknowledged enqueues on every shard before the fault',
        timeoutMs: 30_000,
      });
      await victim.kill();
      const otherAtKill = otherShards.acknowledged.size;
      // The other shards keep acknowledging while the killed one has no master.
      await waitFor(() => otherShards.acknowledged.size >= otherAtKill + 30, {
        what: 'the other shards to keep acknowledging during the failover',
        timeoutMs: 15_000,
      });
      // Restart the old master only once its replica serves the slots: a master without persistence
      // that comes back before the failover is empty, and its replica would resync to that emptiness.
      const replicaPorts = new Set(cluster.servers.map((s) => s.port).filter((p) => p !== victim.port));
      await waitFor(async () => replicaPorts.has(await cluster.ownerOf(`sharq_test:{${killedTypes[0]}}:ready`, survivorPort)), {
        what: "the killed master's replica to take over its slots",
        timeoutMs: 30_000,
      });
      // The promoted replica has no replica of its own until the old master returns as one.
      const killedAtFailover = killedShard.acknowledged.size;
      await victim.restart();
      await waitFor(() => killedShard.acknowledged.size >= killedAtFailover + 30, {
        what: "the killed shard's types to be acknowledged again",
        timeoutMs: 40_000,
      });
    } finally {
      await Promise.all(loads.map((l) => l.stop()));
    }
    // A 500 is our bug: the server's own log of it (with the stack) goes into the message.
    const serverErrors = (): string =>
      server.stdout().split('\n').filter((line) => line.includes('request failed')).slice(0, 5).join('\n');
    for (const ledger of [killedShard, otherShards]) {
      assert.deepEqual(ledger.unexpectedStatuses(['201', '503']), [], `${ledger.report()}\n${serverErrors()}`);
    }
    assert.ok((killedShard.statuses.get('503') ?? 0) > 0, "the killed shard's types saw 503 during the failover");
    for (const ledger of [killedShard, otherShards]) {
      const missing = await ledger.drain(30_000);
      assert.deepEqual(missing, [], `${missing.length} of ${ledger.acknowledged.size} acknowledged jobs lost`);
      assert.deepEqual(ledger.unexpectedStatuses(['200', '201', '404', '503']), [], `${ledger.report()}\n${serverErrors()}`);
    }
  });
});
