// The SharQ queue engine: every state change is one Lua script (lua/, run through scripts/), so
// Redis stays consistent whatever process dies when. Operations are methods of the engine (a job's
// enqueue, dequeue and finish; a queue's interval and deletion; the requeue pass) and of its parts,
// each made from the same EngineCore: engine.batch, engine.lifecycle, engine.deadLetters,
// engine.browse and engine.reads.
import { Cluster } from 'ioredis';

import type { RedisClient } from '../redis/client.js';
import { keySlot } from '../redis/key-slot.js';
import { redisTimeMs } from '../redis/time.js';
import { BatchOperations } from './batch.js';
import { QueueBrowser } from './browse.js';
import { engineCore, type EngineCore, type EngineOptions } from './core.js';
import { DeadLetters } from './dead-letters.js';
import { FlowControl } from './flow.js';
import { globalKeys, typeKeys, type GlobalKeys } from './keys.js';
import { JobLifecycle } from './lifecycle.js';
import { QueueReads } from './reads.js';
import { BatchSizer, requeuePassPlan, runRequeuePass, type RequeueCounts, type RequeuePassPlan } from './requeue-pass.js';
import type { DequeuedJob, DequeueResult } from './scripts/dequeue.js';
import type { FailCall } from './scripts/fail.js';
import type { EnqueueReply } from './scripts/enqueue.js';
import { traceContextOf } from './trace-context.js';
import { TypeRegistry } from './type-registry.js';
import * as valid from './validation.js';

export type { DequeuedJob, DequeueResult, NoJobReady } from './scripts/dequeue.js';
export type { QueueLimits, TypeLimits } from './flow.js';
export { engineOptions, type EngineOptions } from './core.js';
export type { RequeueCounts };

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
  /** Retry n waits backoffMs x 2^(n-1) (0 to 24 h); undefined: `[sharq] default_backoff_ms`. */
  backoffMs?: unknown;
  /** The longest such wait; undefined: 1 h. */
  backoffMaxMs?: unknown;
  /** At most this many of the queue's jobs active at once (1 to 1,000,000), unless pinned; undefined: no limit. */
  maxActive?: unknown;
  /** W3C trace context of the enqueue (SPEC 5.16), kept with the job; a malformed one is ignored. */
  traceparent?: unknown;
  /** Kept only beside a valid traceparent. */
  tracestate?: unknown;
}

export interface FailRequest {
  /** Kept with the job (its first 2,000 characters); undefined: the job keeps its earlier error. */
  error?: unknown;
  /** This retry's wait (0 to 30 days); undefined: the job's back-off. */
  retryInMs?: unknown;
  /** Hold the job's queue this long (0 to 30 days); undefined: no hold. */
  holdQueueMs?: unknown;
}

/** What a fail did: retried (due at runAtMs, Redis time) or dead-lettered; undefined when the job was not active. */
export type FailResult = { outcome: 'retry'; runAtMs: number } | { outcome: 'dead' };

export type EnqueueResult = EnqueueReply;

export interface ClearQueueResult {
  queuedRemoved: number;
  activeRemoved: number;
}

/** Jobs removed per clear_queue call, and calls at most (the cap only stops a queue refilled faster than it empties). */
const CLEAR_BATCH = 500;
const MAX_CLEAR_STEPS = 10_000;

export class QueueEngine {
  readonly keys: GlobalKeys;
  /** Batch enqueue, dequeue and finish (SPEC 5.2). */
  readonly batch: BatchOperations;
  /** Job status, lease extension, promotion of due delayed jobs (SPEC 5.4-5.6). */
  readonly lifecycle: JobLifecycle;
  /** The dead letters of each type (SPEC 5.7). */
  readonly deadLetters: DeadLetters;
  /** Paged reads for the console (SPEC 5.12). */
  readonly browse: QueueBrowser;
  /** Read-only views: JSON metrics, gauges. */
  readonly reads: QueueReads;
  /** Pause, resume and limits per queue and per type (SPEC 5.14). */
  readonly flow: FlowControl;
  private readonly core: EngineCore;
  private readonly requeuePlan: RequeuePassPlan;
  /** Per node, what its requeue calls cost: kept from pass to pass. */
  private readonly batchSizers = new Map<string, BatchSizer>();

  constructor(
    /** The engine's connection; only src/engine/ and tests use it directly. */
    readonly redis: RedisClient,
    readonly options: EngineOptions,
  ) {
    this.keys = globalKeys(options.keyPrefix);
    this.core = engineCore(redis, options, new TypeRegistry(redis, this.keys.queueTypes));
    this.batch = new BatchOperations(this.core);
    this.lifecycle = new JobLifecycle(this.core);
    this.deadLetters = new DeadLetters(this.core);
    this.browse = new QueueBrowser(this.core);
    this.reads = new QueueReads(this.core);
    this.flow = new FlowControl(this.core);
    this.requeuePlan = requeuePassPlan(options.requeueBatchSize);
  }

  async enqueue(request: EnqueueRequest): Promise<EnqueueResult> {
    const queueType = valid.identifier('queue_type', request.queueType);
    const job = {
      queueId: valid.identifier('queue_id', request.queueId),
      jobId: valid.identifier('job_id', request.jobId),
      intervalMs: valid.intervalMs(request.intervalMs),
      requeueLimit:
        request.requeueLimit === undefined ? this.options.defaultRequeueLimit : valid.requeueLimit(request.requeueLimit),
      maxQueuedLength: request.maxQueuedLength === undefined ? undefined : valid.maxQueuedLength(request.maxQueuedLength),
      payloadJson: valid.payloadJson(request.payload),
      cost: request.cost === undefined ? 1 : valid.cost(request.cost),
      delayMs: request.delayMs === undefined ? 0 : valid.delayMs(request.delayMs),
      ...valid.backoffOf(request, this.options.defaultBackoffMs),
      maxActive: request.maxActive === undefined ? 0 : valid.maxActive(request.maxActive),
      trace: traceContextOf(request.traceparent, request.tracestate),
    };
    const [reply] = await Promise.all([this.core.scripts.enqueue.enqueue(queueType, job), this.registerType(queueType)]);
    return reply;
  }

  /** One job (the original's dequeue); several at once: engine.batch.dequeue. */
  async dequeue(queueType: unknown): Promise<DequeueResult> {
    return this.core.scripts.dequeue.dequeue(valid.identifier('queue_type', queueType), this.options.jobExpireIntervalMs);
  }

  /** True when the job was active and is now finished. */
  async finish(queueType: unknown, queueId: unknown, jobId: unknown): Promise<boolean> {
    return this.core.scripts.finish.finish(
      valid.identifier('queue_type', queueType),
      { queueId: valid.identifier('queue_id', queueId), jobId: valid.identifier('job_id', jobId) },
      this.options.idleQueueTtlMs,
    );
  }

  /**
   * Ends an active job's lease because its handler failed: it is retried (after its back-off, or
   * retryInMs, at the front of its queue) while its requeue limit allows, else dead-lettered with
   * reason 'failed' (SPEC 5.13). undefined when the job is not active.
   */
  async fail(queueType: unknown, queueId: unknown, jobId: unknown, request: FailRequest = {}): Promise<FailResult | undefined> {
    const type = valid.identifier('queue_type', queueType);
    const job = { queueId: valid.identifier('queue_id', queueId), jobId: valid.identifier('job_id', jobId) };
    const reply = await this.core.scripts.fail.fail(type, job, this.failCall(request));
    switch (reply.outcome) {
      case 'none':
        return undefined;
      case 'dead':
        return { outcome: 'dead' };
      case 'retry':
        // Rounded up: the job is not handed out before then.
        return { outcome: 'retry', runAtMs: Math.ceil(reply.runAtUs / 1000) };
    }
  }

  /**
   * finish() and, when it finished the job, the next job of the type in the same script call (SPEC
   * 5.15; null when none is ready). undefined when the job was not active: nothing is handed out.
   */
  async finishNext(queueType: unknown, queueId: unknown, jobId: unknown): Promise<{ next: DequeuedJob | null } | undefined> {
    return this.core.scripts.finish.finishNext(
      valid.identifier('queue_type', queueType),
      { queueId: valid.identifier('queue_id', queueId), jobId: valid.identifier('job_id', jobId) },
      this.options.idleQueueTtlMs,
      this.options.jobExpireIntervalMs,
    );
  }

  /** fail() and the next job of the type in the same script call (SPEC 5.15); undefined when not active. */
  async failNext(
    queueType: unknown,
    queueId: unknown,
    jobId: unknown,
    request: FailRequest = {},
  ): Promise<(FailResult & { next: DequeuedJob | null }) | undefined> {
    const type = valid.identifier('queue_type', queueType);
    const job = { queueId: valid.identifier('queue_id', queueId), jobId: valid.identifier('job_id', jobId) };
    const reply = await this.core.scripts.fail.failNext(type, job, this.failCall(request), this.options.jobExpireIntervalMs);
    if (reply.outcome === 'none') return undefined;
    const next = reply.next ?? null;
    return reply.outcome === 'dead' ? { outcome: 'dead', next } : { outcome: 'retry', runAtMs: Math.ceil(reply.runAtUs / 1000), next };
  }

  private failCall(request: FailRequest): FailCall {
    return {
      error: request.error === undefined ? '' : valid.errorText(request.error),
      retryInMs: request.retryInMs === undefined ? undefined : valid.retryInMs(request.retryInMs),
      holdQueueMs: request.holdQueueMs === undefined ? 0 : valid.holdQueueMs(request.holdQueueMs),
      deadLetterLimit: this.options.deadLetterLimit,
      idleQueueTtlMs: this.options.idleQueueTtlMs,
    };
  }

  /** Sets and pins a queue's interval; false when the queue is neither live nor idle. */
  async setInterval(queueType: unknown, queueId: unknown, intervalMs: unknown): Promise<boolean> {
    return this.core.scripts.queueAdmin.interval(
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
    for (let step = 0; step < MAX_CLEAR_STEPS; step++) {
      const done = await this.core.scripts.queueAdmin.clearQueueStep(type, id, {
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
      (queueType, batch) => this.core.scripts.requeue.requeueStep(queueType, { ...step, batch }),
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

  /** Requeues one type's expired jobs until a call finds less than a full batch. */
  async requeueType(queueType: string): Promise<RequeueCounts> {
    const step = {
      batch: this.options.requeueBatchSize,
      deadLetterLimit: this.options.deadLetterLimit,
      idleQueueTtlMs: this.options.idleQueueTtlMs,
    };
    const counts: RequeueCounts = { requeued: 0, discarded: 0, calls: 0 };
    for (let more = true; more; ) {
      const done = await this.core.scripts.requeue.requeueStep(queueType, step);
      counts.requeued += done.requeued;
      counts.discarded += done.discarded;
      counts.calls += 1;
      more = done.more;
    }
    return counts;
  }

  /** Every queue type ever enqueued (the registry outside the scripts). */
  async queueTypes(): Promise<string[]> {
    return this.core.types.all();
  }

  /** Adds the type to the registry (re-asserted at most once a minute per process). */
  async registerType(queueType: string): Promise<void> {
    return this.core.types.register(queueType);
  }

  /** Proves Redis answers and accepts writes. */
  async health(): Promise<void> {
    await this.redis.set(this.keys.deepStatus, 'sharq_deep_status', 'PX', 60_000);
  }

  /** Redis's clock, in ms. */
  async redisTimeMs(): Promise<number> {
    return redisTimeMs(this.redis);
  }
}
