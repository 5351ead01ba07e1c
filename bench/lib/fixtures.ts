// Names, data and settings the bench shares with the server it starts, with Redis and with its own
// worker threads and ceiling apps: one place, so every process of the bench agrees.

import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { Redis } from 'ioredis';

import { parseConfig } from '../../src/config/config.js';
import { engineOptions, QueueEngine, type EngineOptions } from '../../src/engine/engine.js';
import { globalKeys, typeKeys } from '../../src/engine/keys.js';
import type { Config } from '../../src/interfaces.js';
import { configText, type ConfigOverrides } from '../../test/helpers/config.js';

export const BENCH_KEY_PREFIX = 'sharq_bench';

/** The requeue leader's lock: kept across the bench's flushes so the running server stays leader. */
export const LEADER_LOCK_KEY = globalKeys(BENCH_KEY_PREFIX).leaderLock;

/** The server's job_expire_interval in the bench: no job expires unless a scenario makes it. */
export const LONG_EXPIRE_MS = 600000;

/** The payload of every job the bench enqueues (the original's benchmark payload). */
export const HELLO_PAYLOAD = { message: 'hello, world' };

/** The ceiling apps, in the order they are measured (ceilings/app.ts serves them on ports in this order). */
export const CEILING_MODES = ['bare', 'evalsha', 'express'] as const;
export type CeilingMode = (typeof CEILING_MODES)[number];

/** A queue type nothing is ever enqueued to: the ceiling's script call finds no ready queue. */
export const CEILING_QUEUE_TYPE = 'ceiling_empty';

export function activeKey(queueType: string): string {
  return typeKeys(BENCH_KEY_PREFIX, queueType).active;
}

/** Queued (not active) jobs of a type, from the engine's own counter. */
export async function queuedJobs(redis: Redis, queueType: string): Promise<number> {
  return Number((await redis.hget(typeKeys(BENCH_KEY_PREFIX, queueType).totals, 'queued')) ?? 0);
}

export interface ServerSettings {
  jobExpireIntervalMs: number;
  jobRequeueIntervalMs: number;
  keyPrefix?: string;
}

/** The config lines the bench changes from the harness's test config. */
export function benchConfig(s: ServerSettings): ConfigOverrides {
  return {
    sharq: { job_expire_interval: String(s.jobExpireIntervalMs), job_requeue_interval: String(s.jobRequeueIntervalMs) },
    // info, not warn: off a TTY the "Listening on" line the harness waits for is an info log entry.
    'sharq-server': { log_level: 'info' },
    redis: { key_prefix: s.keyPrefix ?? BENCH_KEY_PREFIX },
  };
}

/** The Config the server builds from the bench's config (environment variables ignored). */
export function parsedConfig(redisPort: number, settings: ServerSettings): Config {
  const text = configText({ redisPort, port: 8080, overrides: benchConfig(settings) });
  return parseConfig(text, '<bench config>', {}).config;
}

export function benchEngineOptions(redisPort: number, jobExpireIntervalMs: number): EngineOptions {
  return engineOptions(parsedConfig(redisPort, { jobExpireIntervalMs, jobRequeueIntervalMs: 1000 }));
}

/**
 * The engine of the tree whose CLI is under test (undefined: this tree's), with the server's options:
 * a scenario that measures Redis through the engine itself (the requeue storm's direct pass, flow
 * control's CPU per dequeue) then measures the baseline's scripts when the baseline is benched.
 */
export async function engineUnderTest(redis: Redis, redisPort: number, cli: string | undefined): Promise<QueueEngine> {
  if (cli === undefined) return benchEngine(redis, redisPort);
  const theirs = (await import(pathToFileURL(path.join(path.dirname(cli), 'engine', 'engine.js')).href)) as {
    QueueEngine: new (redis: Redis, options: EngineOptions) => QueueEngine;
    engineOptions: (config: Config) => EngineOptions;
  };
  const config = parsedConfig(redisPort, { jobExpireIntervalMs: LONG_EXPIRE_MS, jobRequeueIntervalMs: 1000 });
  return new theirs.QueueEngine(redis, theirs.engineOptions(config));
}

/** An engine with the server's options on `redis` (the requeue storm's own pass, the pre-fills). */
export function benchEngine(redis: Redis, redisPort: number, jobExpireIntervalMs = LONG_EXPIRE_MS): QueueEngine {
  return new QueueEngine(redis, benchEngineOptions(redisPort, jobExpireIntervalMs));
}
