import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, describe, test } from 'node:test';

import { Cluster, Redis } from 'ioredis';

import { clusterInfo, startRedisCluster, type RedisClusterHandle } from '../helpers/cluster.js';
import { freePort, freePortPair, isPortFree } from '../helpers/ports.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

describe('ports', () => {
  test('freePort returns a bindable port other than 6379', async () => {
    const port = await freePort();
    assert.notEqual(port, 6379);
    assert.equal(await isPortFree(port), true);
  });

  test('freePortPair returns p with p and p+10000 free', async () => {
    const port = await freePortPair(10000);
    assert.ok(port >= 20000 && port <= 50000, String(port));
    assert.equal(await isPortFree(port), true);
    assert.equal(await isPortFree(port + 10000), true);
  });
});

describe('waitFor', () => {
  test('returns the first truthy value', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? `done after ${calls}` : false), {
      what: 'three calls',
      intervalMs: 1,
    });
    assert.equal(value, 'done after 3');
  });

  test('times out with the last probe error', async () => {
    await assert.rejects(
      waitFor(
        async () => {
          throw new Error('connection refused');
        },
        { what: 'nothing', timeoutMs: 50, intervalMs: 10 },
      ),
      { message: 'timed out after 50ms waiting for nothing (last error: connection refused)' },
    );
  });
});

describe('single Redis', () => {
  let server: RedisServerHandle | undefined;
  const clients: Redis[] = [];
  after(async () => {
    for (const client of clients) client.disconnect();
    await server?.stop();
  });

  test('answers over TCP and the unix socket, survives kill + restart on the same port', async () => {
    server = await startRedis({ unixSocket: true });
    assert.notEqual(server.port, 6379);
    assert.equal(server.url, `redis://127.0.0.1:${server.port}`);

    const tcp = new Redis(server.port, server.host, { maxRetriesPerRequest: 1 });
    clients.push(tcp);
    await tcp.set('greeting', 'hello');
    assert.equal(await tcp.get('greeting'), 'hello');

    assert.ok(server.socketPath !== undefined);
    const unix = new Redis({ path: server.socketPath, maxRetriesPerRequest: 1 });
    clients.push(unix);
    assert.equal(await unix.get('greeting'), 'hello');

    const pid = server.pid;
    await server.kill();
    assert.equal(server.pid, undefined);
    await server.restart();
    assert.notEqual(server.pid, pid);
    // No persistence: a restart is an empty Redis, and ioredis reconnects by itself.
    assert.equal(await waitFor(async () => (await tcp.ping()) === 'PONG', { what: 'ioredis to reconnect' }), true);
    assert.equal(await tcp.get('greeting'), null);

    const dir = server.dir;
    await server.stop();
    assert.equal(existsSync(dir), false, 'stop() removes the tmp dir');
    assert.equal(await isPortFree(server.port), true);
    await server.stop(); // idempotent
  });
});

describe('Redis Cluster', () => {
  let cluster: RedisClusterHandle | undefined;
  let client: Cluster | undefined;
  after(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  test('3 masters own all slots and serve keys in different slots', async () => {
    cluster = await startRedisCluster({ masters: 3 });
    assert.equal(cluster.nodes.length, 3);
    for (const node of cluster.nodes) {
      const info = await clusterInfo(node.port);
      assert.equal(info.get('cluster_state'), 'ok');
      assert.equal(info.get('cluster_size'), '3');
    }

    client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const slots = new Set(await Promise.all(keys.map(async (key) => Number(await client?.call('cluster', 'keyslot', key)))));
    assert.ok(slots.size > 1, 'the keys hash to different slots');
    for (const key of keys) await client.set(key, `value-${key}`);
    for (const key of keys) assert.equal(await client.get(key), `value-${key}`);
    const info = String(await client.call('cluster', 'info'));
    assert.match(info, /cluster_state:ok/);

    const ports = cluster.nodes.map((n) => n.port);
    await cluster.stop();
    for (const port of ports) assert.equal(await isPortFree(port), true);
  });
});
