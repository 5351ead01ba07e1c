// What a migration would move, read without writing anything: every payload is fetched and decoded, so
// the report counts the ones that would move as strings.
import type { Redis } from 'ioredis';
import type { Discovery } from './discover.js';
import { oldQueueKeys, payloadField } from '../engine/python-keys.js';
import { decodePayload } from './payload.js';

export interface DryRunCounts {
  jobs: number;
  undecodable: number;
  missing: number;
}

const PAGE = 1000;

async function countPayloads(redis: Redis, prefix: string, queueType: string, pairs: [string, string][], c: DryRunCounts): Promise<void> {
  if (pairs.length === 0) return;
  const fields = pairs.map(([queueId, jobId]) => payloadField(queueType, queueId, jobId));
  const raws = await redis.hmgetBuffer(oldQueueKeys(prefix, queueType, '_').payloads, ...fields);
  for (const raw of raws) {
    c.jobs += 1;
    if (!raw) c.missing += 1;
    else if (!decodePayload(raw).decoded) c.undecodable += 1;
  }
}

export async function dryRun(redis: Redis, prefix: string, d: Discovery): Promise<DryRunCounts> {
  const counts: DryRunCounts = { jobs: 0, undecodable: 0, missing: 0 };
  for (const queueType of d.activeJobs.keys()) {
    const active = oldQueueKeys(prefix, queueType, '_').active;
    for (let from = 0; ; from += PAGE) {
      const members = await redis.zrange(active, String(from), String(from + PAGE - 1));
      if (members.length === 0) break;
      const pairs = members.map((m): [string, string] => [m.slice(0, m.indexOf(':')), m.slice(m.indexOf(':') + 1)]);
      await countPayloads(redis, prefix, queueType, pairs, counts);
    }
  }
  for (const [queueType, ids] of d.queues) {
    for (const queueId of ids) {
      const list = oldQueueKeys(prefix, queueType, queueId).list;
      for (let from = 0; ; from += PAGE) {
        const jobIds = await redis.lrange(list, from, from + PAGE - 1);
        if (jobIds.length === 0) break;
        await countPayloads(redis, prefix, queueType, jobIds.map((j): [string, string] => [queueId, j]), counts);
      }
    }
  }
  return counts;
}
