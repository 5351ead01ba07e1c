// A real Redis Cluster of N masters on localhost, for the clustered-mode tests.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import type { RedisNode } from '../../src/interfaces.js';
import { freePortPair } from './ports.js';
import { HOST, redisCli, startRedis, type RedisServerHandle } from './redis.js';
import { waitFor } from './wait.js';

const execFileAsync = promisify(execFile);

// Redis Cluster's bus port is always the client port + 10000.
const BUS_PORT_OFFSET = 10000;
const SLOTS = 16384;

export interface StartRedisClusterOptions {
  /** Number of masters (no replicas); default 3. */
  masters?: number;
  /** How long to wait for cluster_state:ok; default 30 s. */
  readyTimeoutMs?: number;
  /** Slots dealt out round-robin over the masters (the rest in even shares); default none. */
  dealtSlots?: number[];
}

export interface RedisClusterHandle {
  /** host/port of every master, e.g. for ioredis `new Cluster(nodes)` or cluster_nodes. */
  readonly nodes: RedisNode[];
  /** The servers themselves, to kill or restart one node. */
  readonly servers: RedisServerHandle[];
  stop(): Promise<void>;
}

async function startNode(): Promise<RedisServerHandle> {
  // freePortPair may race with another test; retry with a new pair if the bind fails.
  for (let attempt = 1; ; attempt++) {
    const port = await freePortPair(BUS_PORT_OFFSET);
    try {
      return await startRedis({
        port,
        extraArgs: [
          '--cluster-enabled', 'yes',
          '--cluster-config-file', 'nodes.conf',
          '--cluster-node-timeout', '2000',
          // A node that has met no other does not know its own address and lists its slots at
          // host "": clients then cannot follow CLUSTER SLOTS to a one-master cluster.
          '--cluster-announce-ip', HOST,
        ],
      });
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

/** Inclusive [from, to] runs of consecutive slots. */
function slotRanges(slots: number[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const slot of [...slots].sort((a, b) => a - b)) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last[1] === slot - 1) last[1] = slot;
    else ranges.push([slot, slot]);
  }
  return ranges;
}

/**
 * Master i's slots: an even share of 0..16383, except that `dealtSlots` are dealt out round-robin
 * (the first to master 0, the next to master 1, ...), as an operator moves hot slots to even a load.
 */
function slotsOfMasters(masters: number, dealtSlots: number[]): number[][] {
  const share = Math.ceil(SLOTS / masters);
  const dealt = new Map<number, number>();
  dealtSlots.forEach((slot, i) => {
    if (!dealt.has(slot)) dealt.set(slot, i % masters);
  });
  const owned: number[][] = Array.from({ length: masters }, () => []);
  for (let slot = 0; slot < SLOTS; slot++) owned[dealt.get(slot) ?? Math.floor(slot / share)]?.push(slot);
  return owned;
}

// redis-cli --cluster create refuses fewer than 3 masters and knows only even shares: such clusters are wired by hand.
async function assignSlotsByHand(servers: RedisServerHandle[], dealtSlots: number[]): Promise<void> {
  const owned = slotsOfMasters(servers.length, dealtSlots);
  await Promise.all(
    servers.map((server, i) =>
      redisCli(server.port, 'cluster', 'addslotsrange', ...slotRanges(owned[i] ?? []).flatMap(([from, to]) => [String(from), String(to)])),
    ),
  );
  const [first, ...others] = servers;
  for (const other of others) {
    if (first !== undefined) await redisCli(first.port, 'cluster', 'meet', other.host, String(other.port));
  }
}

/** CLUSTER INFO as a map of its `field:value` lines. */
export async function clusterInfo(port: number): Promise<Map<string, string>> {
  const text = await redisCli(port, 'cluster', 'info');
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

async function isClusterReady(server: RedisServerHandle, masters: number): Promise<boolean> {
  const info = await clusterInfo(server.port);
  return (
    info.get('cluster_state') === 'ok' &&
    info.get('cluster_slots_ok') === String(SLOTS) &&
    info.get('cluster_known_nodes') === String(masters)
  );
}

export async function startRedisCluster({
  masters = 3,
  readyTimeoutMs = 30_000,
  dealtSlots = [],
}: StartRedisClusterOptions = {}): Promise<RedisClusterHandle> {
  if (!Number.isInteger(masters) || masters < 1) throw new Error(`masters must be a positive integer, got ${masters}`);
  const servers: RedisServerHandle[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.stop()));
  };
  try {
    for (let i = 0; i < masters; i++) servers.push(await startNode());
    if (masters >= 3 && dealtSlots.length === 0) {
      await execFileAsync(
        'redis-cli',
        ['--cluster', 'create', ...servers.map((s) => `${s.host}:${s.port}`), '--cluster-replicas', '0', '--cluster-yes'],
        { timeout: 30_000 },
      );
    } else {
      await assignSlotsByHand(servers, dealtSlots);
    }
    await waitFor(
      async () => {
        const ready = await Promise.all(servers.map((server) => isClusterReady(server, masters)));
        return ready.every(Boolean);
      },
      { what: `a ${masters}-master Redis Cluster to report cluster_state:ok on every node`, timeoutMs: readyTimeoutMs },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    nodes: servers.map((server) => ({ host: server.host, port: server.port })),
    servers,
    stop,
  };
}
