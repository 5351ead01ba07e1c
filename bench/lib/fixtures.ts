// Names and data the bench shares with the server it starts and with Redis.

import type { Redis } from 'ioredis';
import { globalKeys, typeKeys } from '../../src/engine/keys.js';

export const BENCH_KEY_PREFIX = 'sharq_bench';

/** The requeue leader's lock: kept across the bench's flushes so the running server stays leader. */
export const LEADER_LOCK_KEY = globalKeys(BENCH_KEY_PREFIX).leaderLock;

/** The server's job_expire_interval in the bench: no job expires unless a scenario makes it. */
export const LONG_EXPIRE_MS = 600000;

/** The payload of every job the bench enqueues (the original's benchmark payload). */
export const HELLO_PAYLOAD = { message: 'hello, world' };

export function activeKey(queueType: string): string {
  return typeKeys(BENCH_KEY_PREFIX, queueType).active;
}

/** Queued (not active) jobs of a type, from the engine's own counter. */
export async function queuedJobs(redis: Redis, queueType: string): Promise<number> {
  return Number((await redis.hget(typeKeys(BENCH_KEY_PREFIX, queueType).totals, 'queued')) ?? 0);
}
