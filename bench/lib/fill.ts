// Pre-filling Redis through the engine (no HTTP): two long-lived worker threads, each with its own
// engine and pipelined connection and a few hundred calls in flight.

import type { PrivateRedis } from './redis.js';
import { TaskWorker } from './task-worker.js';

/** A pre-fill task for one shard (worker thread) of the fill. */
interface ShardTask {
  redisPort: number;
  queueType: string;
  shard: number;
  shards: number;
}

/** Jobs i = shard, shard + shards, ... < total, job i into queue q<i % queues>. */
export interface EnqueueTask extends ShardTask {
  kind: 'enqueue';
  total: number;
  queues: number;
  intervalMs: number;
  uuidJobIds: boolean;
  jobIdPrefix: string;
}

/** `count` dequeues by this shard. */
export interface DequeueTask extends ShardTask {
  kind: 'dequeue';
  count: number;
}

export type FillTask = EnqueueTask | DequeueTask;

export interface FillResult {
  /** dequeue: the [queue_id, job_id] of each job taken. */
  taken: Array<[string, string]>;
}

const SHARDS = 2;
const shardWorkers = Array.from({ length: SHARDS }, () => new TaskWorker<FillTask, FillResult>(new URL('./fill-worker.ts', import.meta.url)));

/** A deadline generous enough for slow machines: 2,000 calls/s plus a minute. */
function deadlineFor(calls: number): number {
  return 60000 + calls / 2;
}

async function inShards(calls: number, taskFor: (shard: number) => FillTask): Promise<Array<[string, string]>> {
  const results = await Promise.all(
    shardWorkers.map((worker, shard) => {
      const task = taskFor(shard);
      return worker.run(task, deadlineFor(calls), `${task.kind} of ${calls} jobs`);
    }),
  );
  return results.flatMap((result) => result.taken);
}

export interface FillSpec {
  queueType: string;
  queues: number;
  jobsPerQueue: number;
  intervalMs: number;
  /** Job ids are UUIDs when true (memory scenario), short counters otherwise. */
  uuidJobIds?: boolean;
  /** Distinguishes the job ids of a top-up from earlier fills of the same queues. */
  jobIdPrefix?: string;
}

/** Enqueues queues x jobsPerQueue jobs, round-robin over the queues; resolves to elapsed ms. */
export function fillQueues(redis: PrivateRedis, spec: FillSpec): Promise<number> {
  return enqueueJobs(redis, spec, spec.queues * spec.jobsPerQueue);
}

/** Enqueues `total` jobs round-robin over spec.queues (from q0); resolves to elapsed ms. */
export async function enqueueJobs(redis: PrivateRedis, spec: FillSpec, total: number): Promise<number> {
  const started = Date.now();
  await inShards(total, (shard): EnqueueTask => ({
    kind: 'enqueue',
    redisPort: redis.port,
    queueType: spec.queueType,
    shard,
    shards: SHARDS,
    total,
    queues: spec.queues,
    intervalMs: spec.intervalMs,
    uuidJobIds: spec.uuidJobIds === true,
    jobIdPrefix: spec.jobIdPrefix ?? 'j',
  }));
  return Date.now() - started;
}

/** Dequeues `count` jobs through the engine (they become active); returns [queue_id, job_id] pairs. */
export async function dequeueMany(redis: PrivateRedis, queueType: string, count: number): Promise<Array<[string, string]>> {
  const taken = await inShards(count, (shard): DequeueTask => ({
    kind: 'dequeue',
    redisPort: redis.port,
    queueType,
    shard,
    shards: SHARDS,
    count: Math.floor(count / SHARDS) + (shard < count % SHARDS ? 1 : 0),
  }));
  if (taken.length < count) throw new Error(`dequeueMany: wanted ${count} jobs, got ${taken.length}`);
  return taken;
}
