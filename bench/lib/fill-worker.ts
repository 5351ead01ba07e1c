// Pre-fill tasks in a worker thread, each shard with its own engine and pipelined connection: the
// client side of an engine call costs about as much CPU as the script in Redis.

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { FillResult, FillTask } from './fill.js';
import { benchEngine, HELLO_PAYLOAD } from './fixtures.js';
import { serveTasks } from './task-worker.js';

const IN_FLIGHT = 256;
const connections = new Map<number, Redis>();

function connection(port: number): Redis {
  let redis = connections.get(port);
  if (redis === undefined) {
    redis = new Redis({ host: '127.0.0.1', port, enableAutoPipelining: true });
    redis.on('error', () => undefined); // surfaced by the failing call; at the end Redis may stop before this thread
    connections.set(port, redis);
  }
  return redis;
}

async function lanes(count: number, task: (n: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const n = next;
      next += 1;
      await task(n);
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, count) }, lane));
}

async function run(task: FillTask): Promise<FillResult> {
  // Jobs dequeued here stay active as long as on the server (same expire interval).
  const engine = benchEngine(connection(task.redisPort), task.redisPort);
  const taken: Array<[string, string]> = [];
  if (task.kind === 'enqueue') {
    // This shard's jobs are the global indices shard, shard + shards, ...: round-robin over queues overall.
    const count = Math.ceil((task.total - task.shard) / task.shards);
    await lanes(count, async (n) => {
      const i = task.shard + n * task.shards;
      const result = await engine.enqueue({
        queueType: task.queueType,
        queueId: `q${i % task.queues}`,
        jobId: task.uuidJobIds ? randomUUID() : `${task.jobIdPrefix}${i}`,
        intervalMs: task.intervalMs,
        payload: HELLO_PAYLOAD,
      });
      if (result.kind !== 'queued') throw new Error(`pre-fill enqueue ${i}: ${result.kind}`);
    });
  } else {
    await lanes(task.count, async () => {
      const result = await engine.dequeue(task.queueType);
      if (result.kind === 'job') taken.push([result.queueId, result.jobId]);
    });
  }
  return { taken };
}

serveTasks(run);
