import type { RedisClient } from './client.js';

/** Redis's clock, in ms: the one clock every host shares (SPEC section 3). */
export async function redisTimeMs(redis: RedisClient): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}
