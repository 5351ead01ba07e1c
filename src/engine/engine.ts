import { Cluster } from 'ioredis';

import { ScriptCommands, type DequeueResult, type EnqueueReply } from './commands.js';
import { globalKeys, typeKeys, type GlobalKeys } from './keys.js';
import { QueueReads } from './reads.js';
import { LifecycleCommands } from './lifecycle-commands.js';
import type { CommandObserver, RedisClient } from './scripts.js';
import * as valid from './validation.js';
import type { Config } from '../interfaces.js';
import type { ReplicaAck } from './replica-ack.js';
import { BatchSizer, runRequeuePass, type RequeueCounts, type RequeuePassPlan } from './requeue-pass.js';
import { keySlot } from '../redis/key-slot.js';

export type { DequeuedJob, DequeueResult, NoJobReady } from './commands.js';

export interface EngineOptions {
  keyPrefix: string;
  jobExpireIntervalMs: number;
  defaultRequeueLimit: number;
  deadLetterLimit: number;
  requeueBatchSize: number;
  /** How long a queue with no queued and no active job keeps its interval (and stays known to the Interval API). */
  idleQueueTtlMs: number;
  /** Told the duration of every script call (Prometheus latency histogram). */
  observeCommand?: CommandObserver;
  /** With replicas > 0, job state changes are answered only once that many replicas have them. */
  replicaAck?: ReplicaAck;
}

/** The engine's options as the config gives them. */
export function engineOptions(config: Config, observeCommand?: CommandObserver): EngineOptions {
  return {
    keyPrefix: config.redis.keyPrefix,
    jobExpireIntervalMs: config.sharq.jobExpireIntervalMs,
    defaultRequeueLimit: config.sharq.defaultJobRequeueLimit,
    deadLetterLimit: config.sharq.deadLetterLimit,
    requeueBatchSize: config.sharq.requeueBatchSize,
    idleQueueTtlMs: config.sharq.idleQueueTtlMs,
    observeCommand,
    replicaAck: { replicas: config.redis.minReplicasAck, timeoutMs: config.redis.replicaAckTimeoutMs },
  };
}

export interface EnqueueRequest {
  queueType: unknown;
  queueId: unknown;
  jobId: unknown;
  intervalMs: unknown;
  /** Any JSON value; comes back unchanged on dequeue. */
  payload: unknown;
  /** undefined: the default requeue limit. */
  requeueLimit?: unknown;
  /** undefined: no limit. */
  maxQueuedLength?: unknown;
  /** Intervals of the queue's rate limit this job's dequeue spends (1 to 1,000,000); undefined: 1. */
  cost?: unknown;
  /** Not handed out before the Redis time of the enqueue + delayMs (0 to 30 days); undefined: 0. */
  delayMs?: unknown;
}

export type EnqueueResult = EnqueueReply;

export type { RequeueCounts };

export interface ClearQueueResult {
  queuedRemoved: number;
  activeRemoved: number;
}

/** Registry entries are re-asserted this often, so a flushed registry heals by itself. */
const TYPE_REGISTRY_REFRESH_MS = 60_000;
const CLEAR_BATCH = 500;
/**
 * Requeue calls of one pass: each near REQUEUE_CALL_TARGET_US of Redis time, at most
 * REQUEUE_LANES_PER_NODE of them in flight per node while a type has full batches (so a stretch of
 * pipelined calls Redis runs back to back stays a few ms), and up to REQUEUE_FIRST_CALLS_PER_NODE
 * first calls at once (each with a batch so small the stretch stays as short; many in flight hide
 * the round trip, which is most of a pass over many types with little due each).
 */
const REQUEUE_CALL_TARGET_US = 1000;
const REQUEUE_LANES_PER_NODE = 3;
const REQUEUE_FIRST_CALLS_PER_NODE = 128;
const MAX_CLEAR_STEPS = 10_000;

/**
 * The SharQ queue engine: every state change is one Lua script (lua/), so Redis stays
 * consistent whatever process dies when.
 */
export class QueueEngine {
  readonly keys: GlobalKeys;
  /** Read-only views: JSON metrics, gauges, dead letters. */
  readonly reads: QueueReads;
  private readonly commands: ScriptCommands;
  /** The lifecycle scripts, used by src/engine/lifecycle.ts and dead-letters.ts. */
  readonly lifecycle: LifecycleCommands;
  private readonly registeredTypes = new Map<string, number>();
  private readonly requeuePlan: RequeuePassPlan;
  /** Per node, what its requeue calls cost: kept from pass to pass. */
  private readonly batchSizers = new Map<string, BatchSizer>();

  constructor(
    /** The engine's connection; only src/engine/ and tests use it directly. */
    readonly redis: RedisClient,
    readonly options: EngineOptions,
  ) {
    this.keys = globalKeys(options.keyPrefix);
    this.commands = new ScriptCommands(redis, options.keyPrefix, options.observeCommand, options.replicaAck);
    this.lifecycle = new LifecycleCommands(redis, options.keyPrefix, options.observeCommand, options.replicaAck);
    this.reads = new QueueReads(redis, options.keyPrefix, () => this.queueTypes(), () => this.redisTimeMs());
    this.requeuePlan = {
      maxBatch: options.requeueBatchSize,
      targetCallUs: REQUEUE_CALL_TARGET_US,
      lanesPerNode: REQUEUE_LANES_PER_NODE,
      firstCallsPerNode: REQUEUE_FIRST_CALLS_PER_NODE,
    };
  }

  async enqueue(request: EnqueueRequest): Promise<EnqueueResult> {
    const queueType = valid.identifier('queue_type', request.queueType);
    const call = {
      queueType,
      queueId: valid.identifier('queue_id', request.queueId),
      jobId: valid.identifier('job_id', request.jobId),
      intervalMs: valid.intervalMs(request.intervalMs),
      requeueLimit:
        request.requeueLimit === undefined ? this.options.defaultRequeueLimit : valid.requeueLimit(request.requeueLimit),
      maxQueuedLength: request.maxQueuedLength === undefined ? undefined : valid.maxQueuedLength(request.maxQueuedLength),
      payloadJson: valid.payloadJson(request.payload),
      cost: request.cost === undefined ? 1 : valid.cost(request.cost),
      delayMs: request.delayMs === undefined ? 0 : valid.delayMs(request.delayMs),
    };
    const [reply] = await Promise.all([this.commands.enqueue(call), this.registerType(queueType)]);
    return reply;
  }

  async dequeue(queueType: unknown): Promise<DequeueResult> {
    return this.commands.dequeue(valid.identifier('queue_type', queueType), this.options.jobExpireIntervalMs);
  }

  /** True when the job was active and is now finished. */
  async finish(queueType: unknown, queueId: unknown, jobId: unknown): Promise<boolean> {
    return this.commands.finish(
      valid.identifier('queue_type', queueType),
      valid.identifier('queue_id', queueId),
      valid.identifier('job_id', jobId),
      this.options.idleQueueTtlMs,
    );
  }

  /** Sets and pins a queue's interval; false when the queue is neither live nor idle. */
  async setInterval(queueType: unknown, queueId: unknown, intervalMs: unknown): Promise<boolean> {
    return this.commands.interval(
      valid.identifier('queue_type', queueType),
      valid.identifier('queue_id', queueId),
      valid.intervalMs(intervalMs),
    );
  }

  /** Deletes a queue's queued jobs (and with purgeAll its active jobs and meta) in bounded steps. */
  async clearQueue(queueType: unknown, queueId: unknown, purgeAll: boolean): Promise<ClearQueueResult> {
    const type = valid.identifier('queue_type', queueType);
    const id = valid.identifier('queue_id', queueId);
    const result: ClearQueueResult = { queuedRemoved: 0, activeRemoved: 0 };
    let cursor = '0';
    // Each step removes up to CLEAR_BATCH jobs; the cap only stops a queue refilled faster than it empties.
    for (let step = 0; step < MAX_CLEAR_STEPS; step++) {
      const done = await this.commands.clearQueueStep(type, id, {
        batch: CLEAR_BATCH,
        purgeAll,
        cursor,
        idleQueueTtlMs: this.options.idleQueueTtlMs,
      });
      result.queuedRemoved += done.queuedRemoved;
      result.activeRemoved += done.activeRemoved;
      if (done.done) break;
      cursor = done.cursor;
    }
    return result;
  }

  /**
   * One requeue pass over every queue type, in batches of at most requeueBatchSize jobs sized to a
   * call time (src/engine/requeue-pass.ts). On a Redis Cluster the types are grouped by the master
   * serving their slot and the masters are worked on at once, so a pass does not grow with shards.
   */
  async requeue(): Promise<Map<string, RequeueCounts>> {
    const types = await this.queueTypes();
    const step = { deadLetterLimit: this.options.deadLetterLimit, idleQueueTtlMs: this.options.idleQueueTtlMs };
    const counts = await runRequeuePass(
      await this.typesWithActiveJobs(types),
      (queueType) => this.nodeOf(queueType),
      (queueType, batch) => this.commands.requeueStep(queueType, { ...step, batch }),
      this.requeuePlan,
      this.batchSizers,
    );
    for (const type of types) if (!counts.has(type)) counts.set(type, { requeued: 0, discarded: 0, calls: 0 });
    return new Map([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /**
   * The types with at least one active job. A type with none has nothing to requeue, and an EXISTS
   * (auto-pipelined) costs Redis a fraction of the script call that would find that out: a pass over
   * 10k idle types made 10k script calls. A job dequeued after the EXISTS expires a lease later, so the
   * next pass sees it.
   */
  private async typesWithActiveJobs(types: readonly string[]): Promise<string[]> {
    const active = await Promise.all(types.map((type) => this.redis.exists(typeKeys(this.options.keyPrefix, type).active)));
    return types.filter((_, i) => active[i] === 1);
  }

  /** The master serving a type's slot ("host:port"), or "" on a single Redis or before the slots are known. */
  private nodeOf(queueType: string): string {
    if (!(this.redis instanceof Cluster)) return '';
    return this.redis.slots[keySlot(typeKeys(this.options.keyPrefix, queueType).active)]?.[0] ?? '';
  }

  async requeueType(queueType: string): Promise<RequeueCounts> {
    const step = {
      batch: this.options.requeueBatchSize,
      deadLetterLimit: this.options.deadLetterLimit,
      idleQueueTtlMs: this.options.idleQueueTtlMs,
    };
    const counts: RequeueCounts = { requeued: 0, discarded: 0, calls: 0 };
    for (let more = true; more; ) {
      const done = await this.commands.requeueStep(queueType, step);
      counts.requeued += done.requeued;
      counts.discarded += done.discarded;
      counts.calls += 1;
      more = done.more;
    }
    return counts;
  }

  /** Every queue type ever enqueued (the registry outside the scripts). */
  async queueTypes(): Promise<string[]> {
    const types: string[] = [];
    let cursor = '0';
    do {
      // SSCAN in steps, so a registry of many types never makes one long call.
      const [next, batch] = await this.redis.sscan(this.keys.queueTypes, cursor, 'COUNT', 1000);
      types.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return [...new Set(types)].sort();
  }

  /** Proves Redis answers and accepts writes. */
  async health(): Promise<void> {
    await this.redis.set(this.keys.deepStatus, 'sharq_deep_status', 'PX', 60_000);
  }

  /** Redis's clock, in ms. */
  async redisTimeMs(): Promise<number> {
    const [seconds, micros] = await this.redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /** Adds the type to the registry (re-asserted at most once a minute per process). */
  async registerType(queueType: string): Promise<void> {
    const now = Date.now();
    if ((this.registeredTypes.get(queueType) ?? 0) > now) return;
    await this.redis.sadd(this.keys.queueTypes, queueType);
    this.registeredTypes.set(queueType, now + TYPE_REGISTRY_REFRESH_MS);
  }
}
