// Finds what the Python SharQ holds: queue lists by SCAN (never KEYS), types from its type sets and its
// active sets. Names this server cannot hold (its identifiers are 1-100 of A-Z a-z 0-9 _ -) are reported
// and left in place.
import type { Redis } from 'ioredis';
import { identifier } from '../engine/validation.js';
import { oldKeyPattern, oldQueueKeys, parseQueueListKey } from '../engine/python-keys.js';

export interface Discovery {
  /** Queue ids with queued jobs, by type (both sorted). */
  queues: Map<string, string[]>;
  /** Active jobs per type. */
  activeJobs: Map<string, number>;
  queuedJobs: number;
  /** Queues (type/queue id) with names this server refuses; left in the old layout. */
  badNames: string[];
}

export function isValidName(name: string): boolean {
  try {
    identifier('name', name);
    return true;
  } catch {
    return false;
  }
}

async function scanAll(scan: (cursor: string) => Promise<[string, string[]]>): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await scan(cursor);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

/** Types the old layout names in its sets (cheap: used by the follower every pass). */
export async function oldTypesFromSets(redis: Redis, prefix: string): Promise<string[]> {
  const k = oldQueueKeys(prefix, '_', '_');
  const types = new Set<string>();
  for (const key of [k.readyTypes, k.activeTypes]) {
    for (const t of await scanAll((c) => redis.sscan(key, c, 'COUNT', 1000))) types.add(t);
  }
  return [...types];
}

export async function discover(redis: Redis, prefix: string): Promise<Discovery> {
  const queues = new Map<string, Set<string>>();
  const badNames = new Set<string>();
  const keys = await scanAll((c) => redis.scan(c, 'MATCH', oldKeyPattern(prefix), 'COUNT', 1000, 'TYPE', 'list'));
  for (const key of keys) {
    const parsed = parseQueueListKey(prefix, key);
    if (!parsed) continue;
    // Brace-tagged names are this server's own lists (a shared prefix), never the Python SharQ's.
    if (parsed.queueType.startsWith('{')) continue;
    if (!isValidName(parsed.queueType) || !isValidName(parsed.queueId)) {
      badNames.add(`${parsed.queueType}/${parsed.queueId}`);
      continue;
    }
    const set = queues.get(parsed.queueType) ?? new Set<string>();
    set.add(parsed.queueId);
    queues.set(parsed.queueType, set);
  }

  const activeJobs = new Map<string, number>();
  const types = new Set([...queues.keys(), ...(await oldTypesFromSets(redis, prefix))]);
  for (const queueType of types) {
    if (!isValidName(queueType)) {
      badNames.add(queueType);
      continue;
    }
    const active = await redis.zcard(oldQueueKeys(prefix, queueType, '_').active);
    if (active > 0) activeJobs.set(queueType, active);
  }

  const sorted = new Map([...queues].sort(([a], [b]) => (a < b ? -1 : 1)).map(([t, ids]) => [t, [...ids].sort()]));
  const lengths = await Promise.all(
    [...sorted].flatMap(([t, ids]) => ids.map((id) => redis.llen(oldQueueKeys(prefix, t, id).list))),
  );
  return {
    queues: sorted,
    activeJobs,
    queuedJobs: lengths.reduce((a, b) => a + b, 0),
    badNames: [...badNames].sort(),
  };
}
