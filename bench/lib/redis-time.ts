import type { Redis } from 'ioredis';

/** Redis's clock in microseconds (the clock the scripts use). */
export async function redisNowUs(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1e6 + Number(micros);
}
