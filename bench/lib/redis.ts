// A private redis-server for the bench: a free port (never 6379), no persistence, killed on exit.

import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Redis, type RedisOptions } from 'ioredis';
import { spawnOwned, type OwnedChild } from './child.js';
import { onCleanup } from './cleanup.js';
import { waitFor } from './deadline.js';
import { freePort } from './ports.js';

export interface PrivateRedis {
  readonly port: number;
  readonly pid: number;
  /** A connection owned by the bench (closed on stop). */
  readonly admin: Redis;
  /** A new connection; the caller closes it (or leaves it to stop()). */
  connect(options?: RedisOptions): Redis;
  /** FLUSHALL, except the keys to preserve (see RedisOptionsForBench). */
  flushAll(): Promise<void>;
  usedMemory(): Promise<number>;
  stop(): Promise<void>;
}

function redisServerBinary(): string {
  return existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : 'redis-server';
}

async function ping(port: number): Promise<boolean> {
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

async function launch(port: number): Promise<OwnedChild> {
  const child = spawnOwned('redis-server', redisServerBinary(), [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', 'no',
    '--protected-mode', 'no',
    '--dir', tmpdir(), // nothing is written there: no RDB, no AOF
    '--loglevel', 'warning',
    '--slowlog-max-len', '1000000',
  ]);
  await waitFor(async () => child.hasExited() || (await ping(port)), {
    timeoutMs: 10000,
    intervalMs: 50,
    what: `redis-server on port ${port}`,
  });
  if (child.hasExited()) throw new Error(`redis-server exited at start:\n${child.output()}`);
  return child;
}

export interface RedisOptionsForBench {
  /**
   * Keys that survive flushAll (value and TTL restored in the same transaction): the running
   * server's leader lock, so a flush between scenarios does not cost it its leadership.
   */
  preserveOnFlush?: string[];
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

export async function startRedis(options: RedisOptionsForBench = {}): Promise<PrivateRedis> {
  let child: OwnedChild | undefined;
  let port = 0;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3 && child === undefined; attempt += 1) {
    port = await freePort();
    if (port === 6379) continue;
    try {
      child = await launch(port);
    } catch (err) {
      lastError = err; // most likely the port was taken between the probe and the bind
    }
  }
  if (child === undefined) throw new Error(`could not start redis-server: ${String(lastError)}`);
  const owned = child;
  const connections = new Set<Redis>();
  const connect = (options: RedisOptions = {}): Redis => {
    const conn = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, ...options });
    conn.on('error', () => undefined); // surfaced by the failing command instead
    connections.add(conn);
    conn.once('end', () => connections.delete(conn));
    return conn;
  };
  const admin = connect();
  const stop = async (): Promise<void> => {
    for (const conn of connections) conn.disconnect();
    await owned.stop('SIGTERM', 5000);
  };
  onCleanup(stop);
  return {
    port,
    pid: owned.pid,
    admin,
    connect,
    flushAll: () => flushKeeping(admin, options.preserveOnFlush ?? []),
    usedMemory: async () => {
      const info = await admin.info('memory');
      const match = /^used_memory:(\d+)/m.exec(info);
      if (match?.[1] === undefined) throw new Error('INFO memory has no used_memory');
      return Number(match[1]);
    },
    stop,
  };
}
