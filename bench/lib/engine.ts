// The engine as the bench uses it directly (no HTTP): the requeue storm's own pass.

import type { Redis } from 'ioredis';
import { QueueEngine } from '../../src/engine/engine.js';
import { benchEngineOptions } from './config.js';
import { LONG_EXPIRE_MS } from './fixtures.js';
import type { PrivateRedis } from './redis.js';

export { QueueEngine };

export interface BenchEngine {
  engine: QueueEngine;
  redis: Redis;
}

/** An engine on its own auto-pipelined connection; the caller disconnects `redis`. */
export function benchEngine(redis: PrivateRedis, jobExpireIntervalMs = LONG_EXPIRE_MS): BenchEngine {
  const conn = redis.connect({ enableAutoPipelining: true });
  const engine = new QueueEngine(conn, benchEngineOptions(redis.port, jobExpireIntervalMs));
  return { engine, redis: conn };
}
