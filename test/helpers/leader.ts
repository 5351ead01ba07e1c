// Which process leads the requeue pass: the lock's value names it (src/engine/leader-lock.ts).
import { redisCli } from './redis.js';

/** The pid in the lock value `<hostname>:<pid>:<random>` (a primary's), or undefined when nobody leads. */
export async function leaderPid(redisPort: number, keyPrefix = 'sharq_test'): Promise<number | undefined> {
  const value = await redisCli(redisPort, 'get', `${keyPrefix}:leader`);
  const parts = value.split(':');
  const pid = parts.length >= 3 ? Number(parts[parts.length - 2]) : NaN;
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
