// The bench's private redis-server (the harness's, with a long SLOWLOG), plus what the scenarios
// need of it: an admin connection, more connections, a flush that keeps the leader lock, memory.

import { Redis, type RedisOptions } from 'ioredis';

import { startRedis, type RedisServerHandle } from '../../test/helpers/redis.js';
import { onCleanup } from './cleanup.js';

export interface PrivateRedis {
  readonly port: number;
  readonly server: RedisServerHandle;
  /** A connection owned by the bench (closed on stop). */
  readonly admin: Redis;
  /** A new connection; the caller closes it (or leaves it to stop()). */
  connect(options?: RedisOptions): Redis;
  /** FLUSHALL, except the keys given to startBenchRedis. */
  flushAll(): Promise<void>;
  usedMemory(): Promise<number>;
  stop(): Promise<void>;
}

/** FLUSHALL, then the preserved keys set again, atomically (MULTI): nobody sees them missing. */
async function flushKeeping(admin: Redis, keys: string[]): Promise<void> {
  const kept: Array<{ key: string; value: string; ttlMs: number }> = [];
  for (const key of keys) {
    const [value, ttlMs] = await Promise.all([admin.get(key), admin.pttl(key)]);
    if (value !== null) kept.push({ key, value, ttlMs });
  }
  const tx = admin.multi().flushall();
  for (const { key, value, ttlMs } of kept) {
    if (ttlMs > 0) tx.set(key, value, 'PX', ttlMs);
    else tx.set(key, value);
  }
  await tx.exec();
}

/**
 * `preserveOnFlush`: keys that survive flushAll (value and TTL restored in the same transaction),
 * such as the running server's leader lock, so a flush between scenarios does not cost it its leadership.
 */
export async function startBenchRedis(preserveOnFlush: string[] = []): Promise<PrivateRedis> {
  // SHARQ_BENCH_REDIS_ARGS: more redis-server arguments, to measure a Redis setting (docs/operations.md, "Tuning Redis").
  const tuning = (process.env.SHARQ_BENCH_REDIS_ARGS ?? '').split(/\s+/).filter((arg) => arg !== '');
  const server = await startRedis({ extraArgs: ['--slowlog-max-len', '1000000', ...tuning] });
  const connections = new Set<Redis>();
  const connect = (options: RedisOptions = {}): Redis => {
    const conn = new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 1, ...options });
    conn.on('error', () => undefined); // surfaced by the failing command instead
    connections.add(conn);
    conn.once('end', () => connections.delete(conn));
    return conn;
  };
  const admin = connect();
  const stop = async (): Promise<void> => {
    for (const conn of connections) conn.disconnect();
    await server.stop();
  };
  onCleanup(stop);
  return {
    port: server.port,
    server,
    admin,
    connect,
    flushAll: () => flushKeeping(admin, preserveOnFlush),
    usedMemory: async () => {
      const match = /^used_memory:(\d+)/m.exec(await admin.info('memory'));
      if (match?.[1] === undefined) throw new Error('INFO memory has no used_memory');
      return Number(match[1]);
    },
    stop,
  };
}
