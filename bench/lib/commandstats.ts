// Redis time spent in the server's scripts, from INFO commandstats: reset before a load, read after.
// The scripts run by FCALL (Redis 7+) or EVALSHA (EVAL on a NOSCRIPT fallback): all three are summed. Redis keeps no
// per-script figures, which is why the single-operation scenario reads them one route at a time.

import type { Redis } from 'ioredis';

export interface ScriptTime {
  calls: number;
  usec: number;
}

/** CONFIG RESETSTAT: zeroes commandstats (and the other INFO counters) on this node. */
export async function resetScriptTime(redis: Redis): Promise<void> {
  await redis.config('RESETSTAT');
}

/** Calls and µs of FCALL + EVALSHA + EVAL since the last reset. */
export async function scriptTime(redis: Redis): Promise<ScriptTime> {
  const text = await redis.info('commandstats');
  let calls = 0;
  let usec = 0;
  for (const match of text.matchAll(/^cmdstat_(fcall|evalsha|eval):calls=(\d+),usec=(\d+)/gm)) {
    calls += Number(match[2]);
    usec += Number(match[3]);
  }
  return { calls, usec };
}

/** What `run` returned and the Redis CPU seconds spent while it ran. */
export async function withRedisCpu<T>(redis: Redis, run: () => Promise<T>): Promise<{ result: T; cpuSec: number }> {
  const before = await redisCpuSeconds(redis);
  const result = await run();
  return { result, cpuSec: (await redisCpuSeconds(redis)) - before };
}

/** CPU seconds the Redis process has used (user + system, INFO cpu): its cost, whatever else ran meanwhile. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const text = await redis.info('cpu');
  const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}
