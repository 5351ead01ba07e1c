import type { RedisClient, ScriptArg, Scripts, CommandObserver } from './scripts.js';
import { defineScripts } from './scripts.js';
import { globalKeys, queueKeys, typeKeys, type GlobalKeys } from './keys.js';
import * as valid from './validation.js';
import type { Config } from '../interfaces.js';
import type { ReplicaAck } from './replica-ack.js';

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
  queueType: string;
  queueId: string;
  jobId: string;
  intervalMs: number;
  /** Any JSON value; comes back unchanged on dequeue. */
  payload: unknown;
  requeueLimit?: number;
  maxQueuedLength?: number;
}

export interface EnqueueResult {
  kind: 'queued' | 'duplicate' | 'rejected';
  /** Queued jobs of the queue after the call. */
  queueLength: number;
}

export interface DequeuedJob {
  kind: 'job';
  queueId: string;
  jobId: string;
  /** The payload as the JSON text it was enqueued with. */
  payloadJson: string;
  /** -1: requeued forever. */
  requeuesRemaining: number;
  /** Jobs still queued in the queue after this one. */
  queueLength: number;
}

export interface NoJobReady {
  kind: 'empty';
  /** Redis time (ms) when the next queue of the type becomes ready; undefined when none is queued. */
  nextReadyAtMs?: number;
}

export type DequeueResult = DequeuedJob | NoJobReady;

export interface RequeueCounts {
  requeued: number;
  discarded: number;
  /** Script calls made; each handles at most requeueBatchSize jobs. */
  calls: number;
}

export interface ClearQueueResult {
  queuedRemoved: number;
  activeRemoved: number;
}

/** Registry entries are re-asserted this often, so a flushed registry heals by itself. */
const TYPE_REGISTRY_REFRESH_MS = 60_000;
const CLEAR_BATCH = 500;
const MAX_CLEAR_STEPS = 10_000;

/**
 * The SharQ queue engine: every state change is one Lua script (lua/), so Redis stays
 * consistent whatever process dies when.
 */
export class QueueEngine {
  readonly keys: GlobalKeys;
  private readonly scripts: Scripts;
  private readonly registeredTypes = new Map<string, number>();

  constructor(
    readonly redis: RedisClient,
    readonly options: EngineOptions,
  ) {
    this.keys = globalKeys(options.keyPrefix);
    this.scripts = defineScripts(redis, options.observeCommand, options.replicaAck);
  }

  async enqueue(request: EnqueueRequest): Promise<EnqueueResult> {
    const queueType = valid.identifier('queue_type', request.queueType);
    const queueId = valid.identifier('queue_id', request.queueId);
    const jobId = valid.identifier('job_id', request.jobId);
    const intervalMs = valid.intervalMs(request.intervalMs);
    const requeueLimit =
      request.requeueLimit === undefined ? this.options.defaultRequeueLimit : valid.requeueLimit(request.requeueLimit);
    const maxQueuedLength =
      request.maxQueuedLength === undefined ? '' : valid.maxQueuedLength(request.maxQueuedLength);
    const payloadJson = valid.payloadJson(request.payload);

    const t = typeKeys(this.options.keyPrefix, queueType);
    const q = queueKeys(this.options.keyPrefix, queueType, queueId);
    const [reply] = await Promise.all([
      this.scripts.enqueue(
        [t.ready, t.queues, t.totals, q.jobIds, q.jobs, q.idle],
        [queueId, jobId, payloadJson, intervalMs, requeueLimit, maxQueuedLength],
      ),
      this.registerType(queueType),
    ]);
    const [kind, queueLength] = reply as [EnqueueResult['kind'], number];
    return { kind, queueLength };
  }

  async dequeue(queueType: string): Promise<DequeueResult> {
    const reply = (await this.dequeueRaw(valid.identifier('queue_type', queueType))) as
      | [1, string, string, string, number, number]
      | [0, number];
    if (reply[0] === 0) {
      return reply[1] < 0 ? { kind: 'empty' } : { kind: 'empty', nextReadyAtMs: Math.ceil(reply[1] / 1000) };
    }
    const [, queueId, jobId, payloadJson, requeuesRemaining, queueLength] = reply;
    return { kind: 'job', queueId, jobId, payloadJson, requeuesRemaining, queueLength };
  }

  /** One EVALSHA of the dequeue script, unvalidated and unparsed (also the benchmarks' ceiling). */
  dequeueRaw(queueType: string): Promise<unknown> {
    const t = typeKeys(this.options.keyPrefix, queueType);
    return this.scripts.dequeue([t.ready, t.active, t.queues, t.totals], [this.options.jobExpireIntervalMs]);
  }

  /** True when the job was active and is now finished. */
  async finish(queueType: string, queueId: string, jobId: string): Promise<boolean> {
    const type = valid.identifier('queue_type', queueType);
    const id = valid.identifier('queue_id', queueId);
    const job = valid.identifier('job_id', jobId);
    const t = typeKeys(this.options.keyPrefix, type);
    const q = queueKeys(this.options.keyPrefix, type, id);
    const reply = await this.scripts.finish([t.active, t.queues, q.jobIds, q.jobs, q.idle], [
      id,
      job,
      this.options.idleQueueTtlMs,
    ]);
    return reply === 1;
  }

  /** Sets and pins a queue's interval; false when the queue is neither live nor idle. */
  async setInterval(queueType: string, queueId: string, intervalMs: number): Promise<boolean> {
    const type = valid.identifier('queue_type', queueType);
    const id = valid.identifier('queue_id', queueId);
    const interval = valid.intervalMs(intervalMs);
    const t = typeKeys(this.options.keyPrefix, type);
    const q = queueKeys(this.options.keyPrefix, type, id);
    return (await this.scripts.interval([t.ready, t.queues, q.idle], [id, interval])) === 1;
  }

  /** Deletes a queue's queued jobs (and with purgeAll its active jobs and meta) in bounded steps. */
  async clearQueue(queueType: string, queueId: string, purgeAll: boolean): Promise<ClearQueueResult> {
    const type = valid.identifier('queue_type', queueType);
    const id = valid.identifier('queue_id', queueId);
    const t = typeKeys(this.options.keyPrefix, type);
    const q = queueKeys(this.options.keyPrefix, type, id);
    const keys = [t.ready, t.active, t.queues, t.totals, q.jobIds, q.jobs, q.idle];
    const result: ClearQueueResult = { queuedRemoved: 0, activeRemoved: 0 };
    let cursor = '0';
    // Each step removes up to CLEAR_BATCH jobs; the cap only stops a queue refilled faster than it empties.
    for (let step = 0; step < MAX_CLEAR_STEPS; step++) {
      const [queued, active, done, next] = (await this.scripts.clear_queue(keys, [
        id,
        CLEAR_BATCH,
        purgeAll ? '1' : '0',
        cursor,
        this.options.idleQueueTtlMs,
      ])) as [number, number, number, string];
      result.queuedRemoved += queued;
      result.activeRemoved += active;
      if (done === 1) break;
      cursor = next;
    }
    return result;
  }

  /** One requeue pass over every queue type, each in batches of requeueBatchSize jobs. */
  async requeue(): Promise<Map<string, RequeueCounts>> {
    const counts = new Map<string, RequeueCounts>();
    for (const queueType of await this.queueTypes()) {
      counts.set(queueType, await this.requeueType(queueType));
    }
    return counts;
  }

  async requeueType(queueType: string): Promise<RequeueCounts> {
    const t = typeKeys(this.options.keyPrefix, queueType);
    const keys = [t.active, t.ready, t.queues, t.totals, t.dead];
    const args: ScriptArg[] = [this.options.requeueBatchSize, this.options.deadLetterLimit, this.options.idleQueueTtlMs];
    const counts: RequeueCounts = { requeued: 0, discarded: 0, calls: 0 };
    for (let more = 1; more === 1; ) {
      const [requeued, discarded, again] = (await this.scripts.requeue(keys, args)) as [number, number, number];
      counts.requeued += requeued;
      counts.discarded += discarded;
      counts.calls += 1;
      more = again;
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

  async queueLength(queueType: string, queueId: string): Promise<number> {
    const type = valid.identifier('queue_type', queueType);
    const id = valid.identifier('queue_id', queueId);
    return this.redis.llen(queueKeys(this.options.keyPrefix, type, id).jobIds);
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

  private async registerType(queueType: string): Promise<void> {
    const now = Date.now();
    if ((this.registeredTypes.get(queueType) ?? 0) > now) return;
    await this.redis.sadd(this.keys.queueTypes, queueType);
    this.registeredTypes.set(queueType, now + TYPE_REGISTRY_REFRESH_MS);
  }
}
