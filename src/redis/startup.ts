import { StartupError } from '../errors.js';
import type { Config } from '../interfaces.js';
import { createRedis, describeRedis, type RedisClient } from './client.js';


/**
 * Connects to Redis and waits for a PING answer, retrying until the start-up deadline. A server
 * that starts without its Redis would only answer 503, so this fails loudly instead.
 */
export async function connectRedisAtStartup(config: Config, connectionName: string): Promise<RedisClient> {
  const redis = createRedis(config.redis, { connectionName, commandTimeoutMs: config.server.redisCommandTimeoutMs });
  let lastError = 'no answer';
  redis.on('error', (error: Error) => {
    lastError = error.message;
  });
  const deadline = Date.now() + config.server.redisStartupTimeoutMs;
  redis.connect().catch(() => undefined);
  for (;;) {
    try {
      if (redis.status === 'ready' && (await redis.ping()) === 'PONG') return redis;
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  redis.disconnect();
  const target = describeRedis(config.redis);
  throw new StartupError(
    `cannot reach ${target} within ${config.server.redisStartupTimeoutMs} ms (${lastError}). ` +
      `Start Redis (e.g. 'apt-get install -y redis-server && redis-server --daemonize yes'), ` +
      `or point the [redis] section of ${config.path} (or SHARQ_REDIS_HOST/SHARQ_REDIS_PORT) at yours.`,
  );
}
