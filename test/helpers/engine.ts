// A QueueEngine on a real redis-server, plus the probes the engine tests share. Every time the
// tests reason about is Redis's own clock (TIME, and the dequeue times kept in the active set),
// never the test process's.

import { after, before } from 'node:test';

import { Redis } from 'ioredis';

import { QueueEngine, type DequeuedJob, type EngineOptions } from '../../src/engine/engine.js';
import { queueKeys, typeKeys } from '../../src/engine/keys.js';
import { deadLetterJson } from '../../src/engine/dead-letters.js';
import type { RedisClient } from '../../src/redis/client.js';
import { startRedis, type RedisServerHandle } from './redis.js';
import { waitFor } from './wait.js';

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  keyPrefix: 'sharq',
  // Long by default: a test that wants expiries asks for a short one.
  jobExpireIntervalMs: 60_000,
  defaultRequeueLimit: -1,
  deadLetterLimit: 100,
  requeueBatchSize: 100,
  // The config's default: a drained queue keeps its meta (interval, last dequeue) for an hour.
  idleQueueTtlMs: 3_600_000,
  // The config's default: retries go back at once.
  defaultBackoffMs: 0,
};

export interface EngineHarness {
  readonly server: RedisServerHandle;
  /** The connection every engine from newEngine() shares, also for inspecting keys. */
  readonly redis: Redis;
  /** An engine with DEFAULT_ENGINE_OPTIONS (+ the options given to startEngine). */
  readonly engine: QueueEngine;
  /**
   * Another engine with a key prefix no other engine of this harness uses (unless `keyPrefix`
   * is given), on the shared connection or, with ownConnection, on a connection of its own.
   */
  newEngine(options?: Partial<EngineOptions>, connection?: { ownConnection?: boolean }): Promise<QueueEngine>;
  /** A new connection to the same Redis, closed by stop(). */
  connect(): Promise<Redis>;
  stop(): Promise<void>;
}

export async function startEngine(options: Partial<EngineOptions> = {}): Promise<EngineHarness> {
  const server = await startRedis();
  const connections: Redis[] = [];
  let prefixes = 0;

  const connect = async (): Promise<Redis> => {
    const client = new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 1, lazyConnect: true });
    connections.push(client);
    await client.connect();
    return client;
  };

  const redis = await connect();
  const engine = new QueueEngine(redis, { ...DEFAULT_ENGINE_OPTIONS, ...options });

  return {
    server,
    redis,
    engine,
    async newEngine(overrides = {}, { ownConnection = false } = {}) {
      prefixes += 1;
      const client = ownConnection ? await connect() : redis;
      return new QueueEngine(client, {
        ...DEFAULT_ENGINE_OPTIONS,
        ...options,
        keyPrefix: `t${prefixes}`,
        ...overrides,
      });
    },
    connect,
    async stop() {
      for (const client of connections) client.disconnect();
      await server.stop();
    },
  };
}

/** Redis's clock (TIME) in microseconds: the clock the scripts use. */
export async function redisNowUs(redis: RedisClient): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1_000_000 + Number(micros);
}

/** `<queue_id>:<job_id>` -> expiry (us) of every active job of the type. */
export async function activeJobs(engine: QueueEngine, queueType: string): Promise<Map<string, number>> {
  const key = typeKeys(engine.options.keyPrefix, queueType).active;
  const flat = await engine.redis.zrange(key, '0', '-1', 'WITHSCORES');
  const jobs = new Map<string, number>();
  for (let i = 0; i + 1 < flat.length; i += 2) jobs.set(flat[i] as string, Number(flat[i + 1]));
  return jobs;
}

/** When (us, Redis clock) the active job was dequeued: its active score minus the expire interval. */
export async function dequeuedAtUs(engine: QueueEngine, queueType: string, queueId: string, jobId: string): Promise<number> {
  const score = await engine.redis.zscore(typeKeys(engine.options.keyPrefix, queueType).active, `${queueId}:${jobId}`);
  if (score === null) throw new Error(`${queueType}/${queueId}/${jobId} is not active`);
  return Number(score) - engine.options.jobExpireIntervalMs * 1000;
}

/** Score of the queue in the type's ready set (earliest next dequeue, us), or null when not ready. */
export async function readyAtUs(engine: QueueEngine, queueType: string, queueId: string): Promise<number | null> {
  const score = await engine.redis.zscore(typeKeys(engine.options.keyPrefix, queueType).ready, queueId);
  return score === null ? null : Number(score);
}

/** Waits until every job now active in the type has passed its expiry on Redis's clock. */
export async function waitForExpiry(engine: QueueEngine, queueType: string, timeoutMs = 10_000): Promise<void> {
  const jobs = await activeJobs(engine, queueType);
  if (jobs.size === 0) throw new Error(`no active job of type ${queueType} to wait for`);
  const latest = Math.max(...jobs.values());
  await waitFor(async () => (await redisNowUs(engine.redis)) > latest, {
    what: `the active jobs of ${queueType} to expire on Redis's clock`,
    timeoutMs,
    intervalMs: 20,
  });
}

/** Polls dequeue until a job comes out. */
export async function pollDequeue(
  engine: QueueEngine,
  queueType: string,
  timeoutMs = 10_000,
  intervalMs = 5,
): Promise<DequeuedJob> {
  return waitFor(
    async () => {
      const result = await engine.dequeue(queueType);
      return result.kind === 'job' ? result : undefined;
    },
    { what: `a job of type ${queueType} to be dequeued`, timeoutMs, intervalMs },
  );
}

/** Dequeues until the type has no ready job; returns the jobs in the order they came out. */
export async function drain(engine: QueueEngine, queueType: string): Promise<DequeuedJob[]> {
  const jobs: DequeuedJob[] = [];
  for (;;) {
    const result = await engine.dequeue(queueType);
    if (result.kind === 'empty') return jobs;
    jobs.push(result);
  }
}

/** Every key of the engine's prefix, sorted (SCAN: the tests' Redis is small). */
export async function keysOf(redis: Redis, keyPrefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return [...new Set(keys)].sort();
}

/** The job ids queued in a queue, head first. */
export function queuedIds(engine: QueueEngine, queueType: string, queueId: string): Promise<string[]> {
  return engine.redis.lrange(queueKeys(engine.options.keyPrefix, queueType, queueId).queue, 0, -1);
}

/** Enqueue with defaults for the fields a test does not care about. */
export function enqueueJob(
  engine: QueueEngine,
  queueType: string,
  queueId: string,
  jobId: string,
  extra: { intervalMs?: number; payload?: unknown; requeueLimit?: number; maxQueuedLength?: number } = {},
) {
  return engine.enqueue({
    queueType,
    queueId,
    jobId,
    intervalMs: extra.intervalMs ?? 0,
    payload: 'payload' in extra ? extra.payload : { job: jobId },
    requeueLimit: extra.requeueLimit,
    maxQueuedLength: extra.maxQueuedLength,
  });
}

/**
 * startEngine() in before() and stop() in after() of the enclosing suite (or file). The handle
 * reaches the started harness, so it can be taken at the top of a suite and used in its tests.
 */
export function engineForSuite(options: Partial<EngineOptions> = {}): EngineHarness {
  let started: EngineHarness | undefined;
  before(async () => {
    started = await startEngine(options);
  });
  after(async () => {
    await started?.stop();
  });
  const get = (): EngineHarness => {
    if (started === undefined) throw new Error('the engine of this suite is not started (used outside a test?)');
    return started;
  };
  return {
    get server() {
      return get().server;
    },
    get redis() {
      return get().redis;
    },
    get engine() {
      return get().engine;
    },
    newEngine: (overrides, connection) => get().newEngine(overrides, connection),
    connect: () => get().connect(),
    stop: () => get().stop(),
  };
}

/**
 * The type's newest `limit` dead letters as GET /dead/ shows them (queue_id, job_id, reason,
 * discarded_at_ms, requeue_limit, payload), read page by page.
 */
export async function deadLetterJsons(engine: QueueEngine, queueType: string, limit: number): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  do {
    const page = await engine.deadLetters.list(queueType, Math.min(1000, limit - out.length), cursor);
    for (const job of page.jobs) out.push(JSON.parse(deadLetterJson(job)) as Record<string, unknown>);
    cursor = page.nextCursor;
  } while (cursor !== undefined && out.length < limit);
  return out;
}

/**
 * Moves delayed jobs' due times (ZADD XX of [due_us, "<queue_id>:<job_id>"] pairs): a test's shortcut
 * past a long delay. Keeps the type's next_due no later than them, as add_delayed does for every real
 * due time (lua/include/lifecycle.lua), so dequeue and enqueue see them due.
 */
export async function setDueTimes(engine: QueueEngine, queueType: string, dues: Array<[number, string]>): Promise<void> {
  const t = typeKeys(engine.options.keyPrefix, queueType);
  await engine.redis.zadd(t.delayed, 'XX', ...dues.flat());
  const earliest = Math.min(...dues.map(([due]) => due));
  const known = await engine.redis.hget(t.limits, 'next_due');
  if (known === null || earliest < Number(known)) await engine.redis.hset(t.limits, 'next_due', String(earliest));
}
