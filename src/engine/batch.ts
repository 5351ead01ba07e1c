// Batches (SPEC 5.2): many jobs of one queue type per request, each with the guarantees of its
// single-job form (the batch scripts run the same Lua functions per job). A batch is split into
// script calls of at most CHUNK jobs, so no single Redis call runs long.
import { ValidationError } from '../errors.js';
import type { DequeuedJob, EnqueueResult, QueueEngine } from './engine.js';
import { typeKeys } from './keys.js';
import { ScriptSet, type ScriptArg } from './scripts.js';
import * as valid from './validation.js';

/** Jobs per script call: about a millisecond of Redis time at most. */
export const BATCH_CHUNK = 100;

/** One job of a batch enqueue as the client sent it; each field is validated here. */
export interface BatchEnqueueJob {
  queueId: unknown;
  jobId: unknown;
  intervalMs: unknown;
  payload: unknown;
  requeueLimit?: unknown;
  maxQueuedLength?: unknown;
  cost?: unknown;
  delayMs?: unknown;
}

/** A job the batch turned down before Redis saw it (400). */
export interface InvalidJob {
  kind: 'invalid';
  field: string;
  message: string;
}

export type BatchEnqueueResult = EnqueueResult | InvalidJob;

export interface BatchDequeueResult {
  jobs: DequeuedJob[];
  /**
   * When fewer jobs came out than asked: ms until the type's next queue is ready on Redis's clock
   * (0: now); undefined when no job of the type is queued, or when every job asked for came out.
   */
  nextReadyInMs?: number;
}

export interface BatchFinishJob {
  queueId: unknown;
  jobId: unknown;
}

export type BatchFinishResult = boolean | InvalidJob;

function invalid(error: unknown): InvalidJob {
  if (error instanceof ValidationError) return { kind: 'invalid', field: error.field, message: error.message };
  throw error;
}

/** The batch operations of an engine (same Redis client, key prefix and options). */
export class BatchEngine {
  private readonly scripts: ScriptSet<'enqueue_batch' | 'dequeue_batch' | 'finish_batch'>;

  constructor(readonly engine: QueueEngine) {
    const { redis, options } = engine;
    this.scripts = new ScriptSet(redis, ['enqueue_batch', 'dequeue_batch', 'finish_batch'], options.observeCommand, options.replicaAck);
  }

  /** Results in the order of the jobs; invalid jobs are not sent to Redis. */
  async enqueue(queueType: string, jobs: readonly BatchEnqueueJob[]): Promise<BatchEnqueueResult[]> {
    const type = valid.identifier('queue_type', queueType);
    const { keyPrefix, defaultRequeueLimit } = this.engine.options;
    const results: BatchEnqueueResult[] = new Array(jobs.length);
    const pending: { index: number; args: ScriptArg[] }[] = [];
    jobs.forEach((job, index) => {
      try {
        pending.push({
          index,
          args: [
            valid.identifier('queue_id', job.queueId),
            valid.identifier('job_id', job.jobId),
            valid.payloadJson(job.payload),
            valid.intervalMs(job.intervalMs),
            job.requeueLimit === undefined ? defaultRequeueLimit : valid.requeueLimit(job.requeueLimit),
            job.maxQueuedLength === undefined ? '' : valid.maxQueuedLength(job.maxQueuedLength),
            job.cost === undefined ? 1 : valid.cost(job.cost),
            job.delayMs === undefined ? 0 : valid.delayMs(job.delayMs),
          ],
        });
      } catch (error) {
        results[index] = invalid(error);
      }
    });
    if (pending.length === 0) return results;

    const t = typeKeys(keyPrefix, type);
    const register = this.engine.registerType(type);
    for (let from = 0; from < pending.length; from += BATCH_CHUNK) {
      const chunk = pending.slice(from, from + BATCH_CHUNK);
      const reply = (await this.scripts.get('enqueue_batch')(
        [t.ready, t.queues, t.totals],
        chunk.flatMap((job) => job.args),
      )) as (string | number)[];
      chunk.forEach((job, i) => {
        results[job.index] = { kind: reply[2 * i] as EnqueueResult['kind'], lengthBefore: reply[2 * i + 1] as number };
      });
    }
    await register;
    return results;
  }

  /** Up to `count` jobs, each within its queue's rate limit at the Redis time of its call. */
  async dequeue(queueType: string, count: number): Promise<BatchDequeueResult> {
    const type = valid.identifier('queue_type', queueType);
    const t = typeKeys(this.engine.options.keyPrefix, type);
    const keys = [t.ready, t.active, t.queues, t.totals];
    const jobs: DequeuedJob[] = [];
    for (;;) {
      const asked = Math.min(count - jobs.length, BATCH_CHUNK);
      const reply = (await this.scripts.get('dequeue_batch')(keys, [this.engine.options.jobExpireIntervalMs, asked])) as (
        | string
        | number
      )[];
      for (let i = 1; i + 4 < reply.length; i += 5) {
        jobs.push({
          kind: 'job',
          queueId: reply[i] as string,
          jobId: reply[i + 1] as string,
          payloadJson: reply[i + 2] as string,
          requeuesRemaining: reply[i + 3] as number,
          queueLength: reply[i + 4] as number,
        });
      }
      const handed = (reply.length - 1) / 5;
      if (handed < asked) {
        const nextReadyMs = reply[0] as number;
        return nextReadyMs < 0 ? { jobs } : { jobs, nextReadyInMs: nextReadyMs };
      }
      if (jobs.length >= count) return { jobs };
    }
  }

  /** true per job finished, false per job not active; invalid ids are not sent to Redis. */
  async finish(queueType: string, jobs: readonly BatchFinishJob[]): Promise<BatchFinishResult[]> {
    const type = valid.identifier('queue_type', queueType);
    const { keyPrefix, idleQueueTtlMs } = this.engine.options;
    const results: BatchFinishResult[] = new Array(jobs.length);
    const pending: { index: number; queueId: string; jobId: string }[] = [];
    jobs.forEach((job, index) => {
      try {
        pending.push({ index, queueId: valid.identifier('queue_id', job.queueId), jobId: valid.identifier('job_id', job.jobId) });
      } catch (error) {
        results[index] = invalid(error);
      }
    });
    const t = typeKeys(keyPrefix, type);
    for (let from = 0; from < pending.length; from += BATCH_CHUNK) {
      const chunk = pending.slice(from, from + BATCH_CHUNK);
      const reply = (await this.scripts.get('finish_batch')(
        [t.active, t.queues],
        [idleQueueTtlMs, ...chunk.flatMap((job) => [job.queueId, job.jobId])],
      )) as number[];
      chunk.forEach((job, i) => {
        results[job.index] = reply[i] === 1;
      });
    }
    return results;
  }
}

