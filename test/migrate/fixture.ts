// The Redis servers, clients and config file a migrate test works on: started before its suite,
// closed and removed after it. `use` receives them (the test keeps them in its own variables).
import { after, before } from 'node:test';
import { Redis } from 'ioredis';

import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { writeConfig } from './python-layout.js';

type TestConfig = ReturnType<typeof writeConfig>;

export interface OneRedis {
  redis: RedisServerHandle;
  client: Redis;
  /** A config pointing at `redis`. */
  config: TestConfig;
}

export interface TwoRedises {
  source: RedisServerHandle;
  target: RedisServerHandle;
  sourceClient: Redis;
  targetClient: Redis;
  /** A config pointing at `target`. */
  config: TestConfig;
}

/** Old and new layouts on one Redis. */
export function oneRedisForSuite(use: (made: OneRedis) => void): void {
  let made: OneRedis | undefined;
  before(async () => {
    const redis = await startRedis();
    made = { redis, client: new Redis(redis.port, '127.0.0.1'), config: writeConfig(redis.port) };
    use(made);
  });
  after(async () => {
    if (!made) return;
    made.client.disconnect();
    made.config.remove();
    await made.redis.stop();
  });
}

/** The old layout on a source Redis, the server's config on a target Redis (--from-redis). */
export function twoRedisesForSuite(use: (made: TwoRedises) => void): void {
  let made: TwoRedises | undefined;
  before(async () => {
    const [source, target] = await Promise.all([startRedis(), startRedis()]);
    made = {
      source,
      target,
      sourceClient: new Redis(source.port, '127.0.0.1'),
      targetClient: new Redis(target.port, '127.0.0.1'),
      config: writeConfig(target.port),
    };
    use(made);
  });
  after(async () => {
    if (!made) return;
    made.sourceClient.disconnect();
    made.targetClient.disconnect();
    made.config.remove();
    await Promise.all([made.source.stop(), made.target.stop()]);
  });
}
