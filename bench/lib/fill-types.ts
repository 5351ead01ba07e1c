// A pre-fill task for one shard (worker thread) of the fill.

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
