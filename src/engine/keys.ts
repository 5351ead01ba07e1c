// The one place Redis key names are built. lua/include/common.lua documents the same layout and
// derives per-queue keys the same way; test/engine/keys.test.ts checks the two agree.

/** Every key of a queue type carries the hash tag {type}: one Redis Cluster slot per type. */
export function typeTag(keyPrefix: string, queueType: string): string {
  return `${keyPrefix}:{${queueType}}`;
}

export interface TypeKeys {
  ready: string;
  active: string;
  queues: string;
  totals: string;
  /** The dead-letter LIST of earlier versions; only read to migrate it (src/engine/dead-letters.ts). */
  dead: string;
  /** ZSET "<queue_id>:<job_id>" -> due time (us) of delayed jobs. */
  delayed: string;
  /** HASH queue_id -> delayed jobs of that queue (for max_queued_length and keeping the queue live). */
  delayedCounts: string;
  /** ZSET "<queue_id>:<job_id>" -> discard sequence number (newest = highest). */
  deadIndex: string;
  /** HASH "<queue_id>:<job_id>" -> dead-letter entry (see lua/include/lifecycle.lua). */
  deadJobs: string;
  /** HASH of the type's state: its flow control (paused, spec "<max_active>|<rate_per_s>|<burst>", tat; lua/include/flow.lua) and next_due. */
  limits: string;
  /** ZSET queue_id -> end of its pause (us; +inf until resumed). */
  paused: string;
}

export function typeKeys(keyPrefix: string, queueType: string): TypeKeys {
  const tag = typeTag(keyPrefix, queueType);
  return {
    ready: `${tag}:ready`,
    active: `${tag}:active`,
    queues: `${tag}:queues`,
    totals: `${tag}:totals`,
    dead: `${tag}:dead`,
    delayed: `${tag}:delayed`,
    delayedCounts: `${tag}:delayed_counts`,
    deadIndex: `${tag}:dead_index`,
    deadJobs: `${tag}:dead_jobs`,
    limits: `${tag}:limits`,
    paused: `${tag}:paused`,
  };
}

/**
 * The pub/sub channel where scripts announce that a queue of the type becomes ready (signal_ready
 * in lua/include/common.lua); it carries the type's hash tag, so SPUBLISH stays in its slot.
 */
export function wakeChannel(keyPrefix: string, queueType: string): string {
  return `${typeTag(keyPrefix, queueType)}:wake`;
}

export interface QueueKeys {
  /** LIST of the queue's queued job ids, FIFO (head = next out). */
  queue: string;
  /** HASH job_id -> job record, for queued and active jobs. */
  jobs: string;
  /** Meta of the queue while idle (no queued, no active job); expires. */
  idle: string;
  /** Journal of an unfinished two-phase migration step into the queue (`sharq-server migrate --from-redis`). */
  migrating: string;
}

export function queueKeys(keyPrefix: string, queueType: string, queueId: string): QueueKeys {
  const tag = typeTag(keyPrefix, queueType);
  return {
    queue: `${tag}:queue:${queueId}`,
    jobs: `${tag}:jobs:${queueId}`,
    idle: `${tag}:idle:${queueId}`,
    migrating: `${tag}:migrating:${queueId}`,
  };
}

export function statsKey(keyPrefix: string, queueType: string, minuteMs: number): string {
  return `${typeTag(keyPrefix, queueType)}:stats:${minuteMs}`;
}

export interface GlobalKeys {
  /** SET of every queue type ever enqueued; kept outside the scripts (its own slot). */
  queueTypes: string;
  /** The requeue leader lock. */
  leaderLock: string;
  /** Written by the deep status check to prove Redis accepts writes. */
  deepStatus: string;
  /** Held by the one `sharq-server migrate --follow` that moves jobs; others wait. */
  migrateFollower: string;
}

export function globalKeys(keyPrefix: string): GlobalKeys {
  return {
    queueTypes: `${keyPrefix}:queue_types`,
    leaderLock: `${keyPrefix}:leader`,
    deepStatus: `${keyPrefix}:deep_status`,
    migrateFollower: `${keyPrefix}:migrate_follower`,
  };
}
