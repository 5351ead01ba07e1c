// What every part of the engine is made with (engine.ts builds it once and hands it to each part:
// batch, lifecycle, dead letters, browse, reads), so no part imports the engine that holds it.
import type { Config, TypeLimit } from '../interfaces.js';
import type { RedisClient } from '../redis/client.js';
import { EngineScripts } from './scripts/engine-scripts.js';
import type { ReplicaAck } from './scripts/replica-ack.js';
import type { CommandObserver } from './scripts/runner.js';
import type { TypeRegistry } from './type-registry.js';

export interface EngineOptions {
  keyPrefix: string;
  jobExpireIntervalMs: number;
  defaultRequeueLimit: number;
  deadLetterLimit: number;
  requeueBatchSize: number;
  /** How long a queue with no queued and no active job keeps its interval (and stays known to the Interval API). */
  idleQueueTtlMs: number;
  /** backoff_ms of jobs enqueued without one (`[sharq] default_backoff_ms`); 0 retries at once. */
  defaultBackoffMs: number;
  /** Told the duration of every script call (Prometheus latency histogram). */
  observeCommand?: CommandObserver;
  /** Told each time a type's limit held back a ready queue from a dequeue (SPEC 5.14; Prometheus counter). */
  onRefused?: (queueType: string, limit: TypeLimit) => void;
  /** With replicas > 0, job state changes are answered only once that many replicas have them. */
  replicaAck?: ReplicaAck;
  /** Told, once per connection, why Redis cannot run the scripts as functions (they run by EVALSHA). */
  onScriptsAsEval?: (reason: string) => void;
}

/** What the process that owns the engine is told. */
export type EngineHooks = Pick<EngineOptions, 'observeCommand' | 'onRefused' | 'onScriptsAsEval'>;

/** The engine's options as the config gives them. */
export function engineOptions(config: Config, hooks: EngineHooks = {}): EngineOptions {
  return {
    keyPrefix: config.redis.keyPrefix,
    jobExpireIntervalMs: config.sharq.jobExpireIntervalMs,
    defaultRequeueLimit: config.sharq.defaultJobRequeueLimit,
    deadLetterLimit: config.sharq.deadLetterLimit,
    requeueBatchSize: config.sharq.requeueBatchSize,
    idleQueueTtlMs: config.sharq.idleQueueTtlMs,
    defaultBackoffMs: config.sharq.defaultBackoffMs,
    ...hooks,
    replicaAck: { replicas: config.redis.minReplicasAck, timeoutMs: config.redis.replicaAckTimeoutMs },
  };
}

export interface EngineCore {
  /** The engine's connection; only src/engine/ and tests use it directly. */
  redis: RedisClient;
  options: EngineOptions;
  scripts: EngineScripts;
  types: TypeRegistry;
}

export function engineCore(redis: RedisClient, options: EngineOptions, types: TypeRegistry): EngineCore {
  const scripts = new EngineScripts({
    redis,
    keyPrefix: options.keyPrefix,
    observe: options.observeCommand,
    onRefused: options.onRefused,
    replicaAck: options.replicaAck,
    onScriptsAsEval: options.onScriptsAsEval,
  });
  return { redis, options, scripts, types };
}
