// A real Redis Cluster with replicas (3 masters, 3 replicas by default) for failover tests.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { clusterInfo } from './cluster.js';
import { freePortPair } from './ports.js';
import { redisCli, startRedis, type RedisServerHandle } from './redis.js';
import { waitFor } from './wait.js';

const execFileAsync = promisify(execFile);

export interface ReplicatedClusterHandle {
  /** All nodes; the first `masters` were created as masters. */
  servers: RedisServerHandle[];
  masters: RedisServerHandle[];
  /** The port of the master serving `key` now, as `port` (a live node) sees it. */
  ownerOf(key: string, askPort: number): Promise<number>;
  stop(): Promise<void>;
}

async function startNode(): Promise<RedisServerHandle> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePortPair(10000);
    try {
      return await startRedis({
        port,
        extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'],
      });
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

export async function startReplicatedCluster(masters = 3): Promise<ReplicatedClusterHandle> {
  const servers: RedisServerHandle[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    for (let i = 0; i < masters * 2; i++) servers.push(await startNode());
    await execFileAsync(
      'redis-cli',
      ['--cluster', 'create', ...servers.map((s) => `${s.host}:${s.port}`), '--cluster-replicas', '1', '--cluster-yes'],
      { timeout: 60_000 },
    );
    await waitFor(
      async () => {
        for (const server of servers) {
          const info = await clusterInfo(server.port);
          if (info.get('cluster_state') !== 'ok' || info.get('cluster_known_nodes') !== String(servers.length)) return false;
        }
        // Every replica has synced with its master.
        for (const server of servers.slice(masters)) {
          if (!(await redisCli(server.port, 'info', 'replication')).includes('master_link_status:up')) return false;
        }
        return true;
      },
      { what: `a ${masters}+${masters} Redis Cluster to be ready`, timeoutMs: 60_000 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    servers,
    masters: servers.slice(0, masters),
    async ownerOf(key: string, askPort: number) {
      const slot = Number(await redisCli(askPort, 'cluster', 'keyslot', key));
      const nodes = await redisCli(askPort, 'cluster', 'nodes');
      for (const line of nodes.split('\n')) {
        const fields = line.split(' ');
        if (!fields[2]?.includes('master') || fields[2].includes('fail')) continue;
        for (const range of fields.slice(8)) {
          const [from, to] = range.split('-').map(Number);
          if (from !== undefined && slot >= from && slot <= (to ?? from)) return Number(fields[1]?.split(':')[1]?.split('@')[0]);
        }
      }
      return 0;
    },
    stop,
  };
}
