// 11. Scale-out on Redis Cluster: the full cycle over 30 queue types (the load generator sends each
// type the same share of cycles) against a real local cluster of 1 master and one of 3 masters
// (both clustered = true, so the comparison is cluster against cluster).
// Per shard count: cycles/s, each master's share of the script time (INFO commandstats per node;
// target: the busiest within 1.5x the idlest), and one requeue pass over many queue types (plan
// clusterRequeueTypes, one expired job each) timed by the bench's own engine with the server
// stopped, then the same pass with nothing to requeue. Target: the 3-shard pass no longer than 1-shard.
// A queue type lives in one slot (its hash tag), so 30 types over 3 even slot ranges land as their
// names hash (e.g. 13/9/8) and the masters' load follows that, not the server. Redis Cluster evens
// such a load by where slots live, so the 3-master cluster is built as an operator would rebalance
// it: the 30 types' slots dealt 10 per master, the other slots in even ranges. The log shows how the
// types would fall on even ranges, and every run reports script time per type held on each master.
// On this 2-core machine the masters share the cores with the server and the load: 3 shards cannot
// add capacity here; the figures show the spread and the pass, not a host's worth of shards.

import { parseConfig } from '../../src/config/config.js';
import { engineOptions, QueueEngine } from '../../src/engine/engine.js';
import { createRedis, type RedisClient } from '../../src/redis/client.js';
import type { RedisNode } from '../../src/interfaces.js';
import { typeTag } from '../../src/engine/keys.js';
import { keySlot } from '../../src/redis/key-slot.js';
import { startRedisCluster } from '../../test/helpers/cluster.js';
import { configText, type ConfigOverrides } from '../../test/helpers/config.js';
import { startServer } from '../../test/helpers/server.js';
import { Redis } from 'ioredis';
import { onCleanup } from '../lib/cleanup.js';
import { resetScriptTime, scriptTime } from '../lib/commandstats.js';
import { benchConfig, LONG_EXPIRE_MS } from '../lib/fixtures.js';
import { logRun } from '../lib/kit.js';
import { CONNECTIONS } from '../lib/load.js';
import { sizeLabel } from '../lib/report.js';
import { cliOverride, LEADER_INTERVAL_MS } from '../lib/server-pool.js';
import type { BenchContext, Sample, Scenario } from '../lib/types.js';

const QUEUE_TYPES = 30;
const QUEUES = 1000;
const SHARD_COUNTS = [1, 3] as const;
const SHARE_TARGET = 1.5;
const FILL_IN_FLIGHT = 500;
const KEY_PREFIX = 'sharq_cbench';
const CYCLE_TYPE_PREFIX = 'ct';
/** The load's queue types (ct0..ct29, as the load generator names them) and their slots. */
const CYCLE_TYPES = Array.from({ length: QUEUE_TYPES }, (_, i) => `${CYCLE_TYPE_PREFIX}${i}`);
const CYCLE_TYPE_SLOTS = CYCLE_TYPES.map((type) => keySlot(typeTag(KEY_PREFIX, type)));

/** What the server and the bench's engine connect to: a cluster of 1 or more masters. */
interface Shards {
  nodes: RedisNode[];
}

type SlotRange = [number, number, [string, number, ...unknown[]], ...unknown[]];

/** How many of the load's types each admin's node serves, by CLUSTER SLOTS. */
async function typesPerMaster(admins: Redis[]): Promise<number[]> {
  const ranges = (await admins[0]?.call('CLUSTER', 'SLOTS')) as SlotRange[];
  const portOf = (slot: number): number | undefined => ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
  return admins.map((admin) => CYCLE_TYPE_SLOTS.filter((slot) => portOf(slot) === admin.options.port).length);
}

/** How the load's types would fall on `masters` even slot ranges (no slots dealt). */
function typesPerEvenRange(masters: number): number[] {
  const share = Math.ceil(16384 / masters);
  const counts = Array.from({ length: masters }, () => 0);
  for (const slot of CYCLE_TYPE_SLOTS) {
    const master = Math.floor(slot / share);
    counts[master] = (counts[master] ?? 0) + 1;
  }
  return counts;
}

function clusterOverrides(target: Shards): ConfigOverrides {
  const base = benchConfig({ jobExpireIntervalMs: LONG_EXPIRE_MS, jobRequeueIntervalMs: LEADER_INTERVAL_MS, keyPrefix: KEY_PREFIX });
  return { ...base, redis: { ...base.redis, clustered: 'true', cluster_nodes: target.nodes.map((n) => `${n.host}:${n.port}`).join(',') } };
}

/** An engine of the bench on the cluster whose jobs expire 1 ms after their dequeue. */
function clusterEngine(cluster: Shards): { engine: QueueEngine; redis: RedisClient } {
  const first = cluster.nodes[0];
  if (first === undefined) throw new Error('cluster has no nodes');
  const text = configText({ redisPort: first.port, port: 8080, overrides: clusterOverrides(cluster) });
  const config = parseConfig(text, '<bench cluster config>', {}).config;
  const redis = createRedis(config.redis);
  return { engine: new QueueEngine(redis, { ...engineOptions(config), jobExpireIntervalMs: 1 }), redis };
}

async function inFlight<T>(items: T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += FILL_IN_FLIGHT) await Promise.all(items.slice(i, i + FILL_IN_FLIGHT).map(fn));
}

/** Full-cycle loads: cycles/s and the spread of script time over the masters, one Sample[] per run. */
async function cycleRuns(ctx: BenchContext, cluster: Shards, shards: number, admins: Redis[]): Promise<Sample[][]> {
  const first = cluster.nodes[0];
  if (first === undefined) throw new Error('cluster has no nodes');
  const server = await startServer({
    redisPort: first.port,
    workers: 2,
    config: clusterOverrides(cluster),
    cli: cliOverride(),
    env: { NODE_ENV: 'production' },
    startTimeoutMs: 90000,
  });
  const runs: Sample[][] = [];
  const held = await typesPerMaster(admins);
  ctx.log(`  ${shards} shard(s): the ${QUEUE_TYPES} types per master ${held.join(' / ')} (on even slot ranges they would be ${typesPerEvenRange(shards).join(' / ')})`);
  try {
    for (let run = 0; run < ctx.plan.runs; run += 1) {
      await Promise.all(admins.map(resetScriptTime));
      const result = await ctx.load.run({
        url: server.url,
        connections: CONNECTIONS,
        durationSec: ctx.plan.durationSec,
        warmupSec: run === 0 ? ctx.plan.warmupSec : 0,
        profile: { kind: 'cycle', queueType: CYCLE_TYPE_PREFIX, queueTypes: QUEUE_TYPES, queues: QUEUES, idPrefix: `s${shards}r${run}` },
      });
      const perNode = await Promise.all(admins.map(scriptTime));
      const usec = perNode.map((n) => n.usec);
      const total = usec.reduce((a, b) => a + b, 0);
      const perType = usec.map((u, i) => u / Math.max(1, held[i] ?? 0));
      ctx.log(
        `  ${shards} shard(s) run ${run + 1}: script ms per master ${usec.map((u) => (u / 1000).toFixed(0)).join(' / ')}, ` +
          `per type held ${perType.map((u) => (u / 1000).toFixed(1)).join(' / ')}`,
      );
      const samples: Sample[] = [
        { metric: `${shards} shard(s): cycles/s`, unit: '', value: result.cycles / result.elapsedSec, kind: 'other' },
        { metric: `${shards} shard(s): script time per cycle`, unit: 'us', value: total / Math.max(1, result.cycles), kind: 'other' },
      ];
      if (shards > 1) {
        samples.push({
          metric: `${shards} shards: busiest / idlest master script time`,
          unit: 'x',
          value: Math.max(...usec) / Math.max(1, Math.min(...usec)),
          kind: 'other',
          target: { op: '<=', value: SHARE_TARGET, label: `<= ${SHARE_TARGET}` },
        });
      }
      runs.push(samples);
    }
  } finally {
    await server.stop('SIGTERM', 15000);
  }
  return runs;
}

/** One job per type over `types` queue types, dequeued (expiring 1 ms later), then one pass timed; then an empty pass. */
async function requeueRuns(ctx: BenchContext, cluster: Shards, shards: number, types: number): Promise<Sample[][]> {
  const { engine, redis } = clusterEngine(cluster);
  await redis.connect(); // the server's factory connects lazily
  const names = Array.from({ length: types }, (_, i) => `rq${i}`);
  const runs: Sample[][] = [];
  try {
    await inFlight(names, (queueType) => engine.enqueue({ queueType, queueId: 'q', jobId: 'j', intervalMs: 0, payload: { message: 'hello, world' } }));
    for (let run = 0; run < ctx.plan.runs; run += 1) {
      await inFlight(names, (queueType) => engine.dequeue(queueType));
      await new Promise((resolve) => setTimeout(resolve, 20));
      let started = process.hrtime.bigint();
      const counts = await engine.requeue();
      const passMs = Number(process.hrtime.bigint() - started) / 1e6;
      const requeued = [...counts.values()].reduce((sum, c) => sum + c.requeued, 0);
      if (requeued !== types) throw new Error(`cluster requeue pass: ${requeued} jobs back, expected ${types}`);
      started = process.hrtime.bigint();
      await engine.requeue();
      const emptyMs = Number(process.hrtime.bigint() - started) / 1e6;
      runs.push([
        { metric: `${shards} shard(s): requeue pass, ${sizeLabel(types)} types x 1 expired job`, unit: 'ms', value: passMs, kind: 'other' },
        { metric: `${shards} shard(s): requeue pass, ${sizeLabel(types)} types, nothing due`, unit: 'ms', value: emptyMs, kind: 'other' },
      ]);
    }
  } finally {
    redis.disconnect();
  }
  return runs;
}

async function measureOn(ctx: BenchContext, shards: number, target: Shards): Promise<Sample[][]> {
  const admins = target.nodes.map((n) => new Redis({ host: n.host, port: n.port, maxRetriesPerRequest: 1 }));
  try {
    const cycles = await cycleRuns(ctx, target, shards, admins);
    const requeue = await requeueRuns(ctx, target, shards, ctx.plan.clusterRequeueTypes);
    return cycles.map((run, i) => [...run, ...(requeue[i] ?? [])]);
  } finally {
    for (const admin of admins) admin.disconnect();
  }
}

async function measureShards(ctx: BenchContext, shards: number): Promise<Sample[][]> {
  // One master: wired by hand (redis-cli refuses it); three: the load's slots dealt 10 per master.
  const cluster = await startRedisCluster({ masters: shards, readyTimeoutMs: 60000, dealtSlots: shards > 1 ? CYCLE_TYPE_SLOTS : [] });
  const removeCleanup = onCleanup(() => cluster.stop());
  try {
    ctx.log(`  ${shards}-master cluster up on ports ${cluster.nodes.map((n) => n.port).join(', ')}`);
    return await measureOn(ctx, shards, { nodes: cluster.nodes });
  } finally {
    await cluster.stop();
    removeCleanup();
  }
}

/** Per run: each shard count's figures, then 3 vs 1 as ratios of the same run. */
function withRatios(byShards: Map<number, Sample[][]>, runs: number): Sample[][] {
  const value = (shards: number, run: number, prefix: string): number =>
    byShards.get(shards)?.[run]?.find((s) => s.metric.includes(prefix))?.value ?? Number.NaN;
  return Array.from({ length: runs }, (_, run) => [
    ...SHARD_COUNTS.flatMap((shards) => byShards.get(shards)?.[run] ?? []),
    { metric: '3 vs 1 shard: cycles/s', unit: 'x', value: value(3, run, 'cycles/s') / value(1, run, 'cycles/s'), kind: 'other' },
    {
      metric: '3 vs 1 shard: requeue pass time',
      unit: 'x',
      value: value(3, run, 'expired job') / value(1, run, 'expired job'),
      kind: 'other',
      target: { op: '<=', value: 1, label: '<= 1 (no growth)' },
    },
  ]);
}

export const clusterScaleScenario: Scenario = {
  name: 'cluster-scale',
  title: '11 cluster scale-out',
  measure: async (ctx) => {
    await ctx.servers.stop(); // the pooled server on the plain Redis would only compete for the cores
    const byShards = new Map<number, Sample[][]>();
    for (const shards of SHARD_COUNTS) byShards.set(shards, await measureShards(ctx, shards));
    const runs = withRatios(byShards, ctx.plan.runs);
    runs.forEach((samples, run) => logRun(ctx, 'cluster-scale', run, samples));
    return runs;
  },
};
