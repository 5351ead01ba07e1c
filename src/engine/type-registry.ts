// The registry of queue types: a SET outside the scripts (its own slot), so a pass or a metrics read
// can find every type on a Redis Cluster. Written beside an enqueue, re-asserted once a minute.
import type { RedisClient } from '../redis/client.js';

/** Registry entries are re-asserted this often, so a flushed registry heals by itself. */
const TYPE_REGISTRY_REFRESH_MS = 60_000;

export class TypeRegistry {
  private readonly assertedUntil = new Map<string, number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
  ) {}

  /** Adds the type (re-asserted at most once a minute per process). */
  async register(queueType: string): Promise<void> {
    const now = Date.now();
    if ((this.assertedUntil.get(queueType) ?? 0) > now) return;
    await this.redis.sadd(this.key, queueType);
    this.assertedUntil.set(queueType, now + TYPE_REGISTRY_REFRESH_MS);
  }

  /** Every queue type ever enqueued, sorted. */
  async all(): Promise<string[]> {
    const types: string[] = [];
    let cursor = '0';
    do {
      // SSCAN in steps, so a registry of many types never makes one long call.
      const [next, batch] = await this.redis.sscan(this.key, cursor, 'COUNT', 1000);
      types.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return [...new Set(types)].sort();
  }
}
