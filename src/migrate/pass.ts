// One migration pass over what discovery found: per type, its active jobs first, then its queues, a few
// queues at a time.
import type { RedisClient } from '../redis/client.js';
import { globalKeys } from '../engine/keys.js';
import { isValidName } from './discover.js';
import type { QueueMover } from './mover.js';

/** Queues moved side by side: Redis round trips overlap, each queue still moves in order. */
const QUEUES_IN_PARALLEL = 8;

export interface PassWork {
  /** Types with active jobs in the old layout. */
  activeTypes: Iterable<string>;
  /** Queue ids with queued jobs, by type. */
  queues: Map<string, string[]>;
}

async function inParallel<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await run(items[next++] as T);
  });
  await Promise.all(lanes);
}

export async function runPass(mover: QueueMover, target: RedisClient, newPrefix: string, work: PassWork, shouldStop: () => boolean): Promise<void> {
  const activeTypes = new Set(work.activeTypes);
  const types = [...new Set([...activeTypes, ...work.queues.keys()])].sort();
  for (const queueType of types) {
    if (shouldStop()) return;
    // The registry of types is kept outside the scripts (its own slot), as the engine's enqueue does.
    await target.sadd(globalKeys(newPrefix).queueTypes, queueType);
    if (activeTypes.has(queueType)) {
      await mover.moveActive(queueType, (queueId, jobId) => isValidName(queueId) && isValidName(jobId));
    }
    await inParallel(work.queues.get(queueType) ?? [], QUEUES_IN_PARALLEL, async (queueId) => {
      if (!shouldStop()) await mover.moveQueued(queueType, queueId);
    });
  }
}
