// Batches (SPEC 5.2): many jobs of one queue type per request, each with the guarantees of its
// single-job form (the batch scripts run the same Lua functions per job). A batch is split into
// script calls of at most CHUNK jobs, so no single Redis call runs long.
import { ValidationError } from '../errors.js';
import type { EngineCore } from './core.js';
import type { DequeueBatchReply, DequeuedJob } from './scripts/dequeue.js';
import type { EnqueueJob, EnqueueReply } from './scripts/enqueue.js';
import type { JobRef } from './scripts/finish.js';
import { traceContextOf } from './trace-context.js';
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
  backoffMs?: unknown;
  backoffMaxMs?: unknown;
  maxActive?: unknown;
  /** W3C trace context (SPEC 5.16); a malformed traceparent is ignored, as for a single enqueue. */
  traceparent?: unknown;
  tracestate?: unknown;
}

/** A job the batch turned down before Redis saw it (400). */
export interface InvalidJob {
  kind: 'invalid';
  field: string;
  message: string;
}

export type BatchEnqueueResult = EnqueueReply | InvalidJob;

export type BatchDequeueResult = DequeueBatchReply;

export interface BatchFinishJob {
  queueId: unknown;
  jobId: unknown;
}

export type BatchFinishResult = boolean | InvalidJob;

function invalid(error: unknown): InvalidJob {
  if (error instanceof ValidationError) return { kind: 'invalid', field: error.field, message: error.message };
  throw error;
}

/** The batch operations of an engine (engine.batch): same connection, key prefix and options. */
export class BatchOperations {
  constructor(private readonly core: EngineCore) {}

  /**
   * Results in the order of the jobs; invalid jobs are not sent to Redis. A job without a valid
   * traceparent of its own gets `requestTrace`'s, when that is valid (the request's headers).
   */
  async enqueue(
    queueType: unknown,
    jobs: readonly BatchEnqueueJob[],
    requestTrace: { traceparent?: unknown; tracestate?: unknown } = {},
  ): Promise<BatchEnqueueResult[]> {
    const type = valid.identifier('queue_type', queueType);
    const { defaultRequeueLimit, defaultBackoffMs } = this.core.options;
    const sharedTrace = traceContextOf(requestTrace.traceparent, requestTrace.tracestate);
    const results: BatchEnqueueResult[] = new Array(jobs.length);
    const pending: { index: number; job: EnqueueJob }[] = [];
    jobs.forEach((job, index) => {
      try {
        pending.push({
          index,
          job: {
            queueId: valid.identifier('queue_id', job.queueId),
            jobId: valid.identifier('job_id', job.jobId),
            payloadJson: valid.payloadJson(job.payload),
            intervalMs: valid.intervalMs(job.intervalMs),
            requeueLimit: job.requeueLimit === undefined ? defaultRequeueLimit : valid.requeueLimit(job.requeueLimit),
            maxQueuedLength: job.maxQueuedLength === undefined ? undefined : valid.maxQueuedLength(job.maxQueuedLength),
            cost: job.cost === undefined ? 1 : valid.cost(job.cost),
            delayMs: job.delayMs === undefined ? 0 : valid.delayMs(job.delayMs),
            ...valid.backoffOf(job, defaultBackoffMs),
            maxActive: job.maxActive === undefined ? 0 : valid.maxActive(job.maxActive),
            trace: traceContextOf(job.traceparent, job.tracestate) ?? sharedTrace,
          },
        });
      } catch (error) {
        results[index] = invalid(error);
      }
    });
    if (pending.length === 0) return results;

    const register = this.core.types.register(type);
    for (let from = 0; from < pending.length; from += BATCH_CHUNK) {
      const chunk = pending.slice(from, from + BATCH_CHUNK);
      const replies = await this.core.scripts.enqueue.enqueueBatch(type, chunk.map((p) => p.job));
      replies.forEach((reply, i) => {
        const p = chunk[i];
        if (p) results[p.index] = reply;
      });
    }
    await register;
    return results;
  }

  /** Up to `count` jobs, each within its queue's rate limit at the Redis time of its call. */
  async dequeue(queueType: unknown, count: number): Promise<BatchDequeueResult> {
    return this.take(valid.identifier('queue_type', queueType), count);
  }

  /** dequeue() of a type its caller validated already (the long-poll's waiting room). */
  async take(queueType: string, count: number): Promise<BatchDequeueResult> {
    const expireMs = this.core.options.jobExpireIntervalMs;
    const jobs: DequeuedJob[] = [];
    for (;;) {
      const asked = Math.min(count - jobs.length, BATCH_CHUNK);
      const step = await this.core.scripts.dequeue.dequeueBatch(queueType, expireMs, asked);
      jobs.push(...step.jobs);
      if (step.jobs.length < asked) return { ...step, jobs };
      if (jobs.length >= count) return { jobs };
    }
  }

  /** true per job finished, false per job not active; invalid ids are not sent to Redis. */
  async finish(queueType: unknown, jobs: readonly BatchFinishJob[]): Promise<BatchFinishResult[]> {
    return (await this.finishAndTake(queueType, jobs, 0)).results;
  }

  /**
   * finish(), and up to `count` jobs handed out as dequeue(count) would (SPEC 5.15): the last finish
   * call also takes the first jobs, so a batch of at most BATCH_CHUNK jobs each way is one script call.
   */
  async finishAndTake(
    queueType: unknown,
    jobs: readonly BatchFinishJob[],
    count: number,
  ): Promise<{ results: BatchFinishResult[] } & BatchDequeueResult> {
    const type = valid.identifier('queue_type', queueType);
    const results: BatchFinishResult[] = new Array(jobs.length);
    const pending: { index: number; job: JobRef }[] = [];
    jobs.forEach((job, index) => {
      try {
        pending.push({ index, job: { queueId: valid.identifier('queue_id', job.queueId), jobId: valid.identifier('job_id', job.jobId) } });
      } catch (error) {
        results[index] = invalid(error);
      }
    });
    const { idleQueueTtlMs, jobExpireIntervalMs } = this.core.options;
    const asked = Math.min(count, BATCH_CHUNK);
    let taken: BatchDequeueResult = { jobs: [] };
    for (let from = 0; from < pending.length || (from === 0 && asked > 0); from += BATCH_CHUNK) {
      const chunk = pending.slice(from, from + BATCH_CHUNK);
      const refs = chunk.map((p) => p.job);
      const last = from + BATCH_CHUNK >= pending.length;
      let finished: boolean[];
      if (last && asked > 0) {
        const reply = await this.core.scripts.finish.finishBatchNext(type, refs, idleQueueTtlMs, jobExpireIntervalMs, asked);
        const { finished: done, ...handed } = reply;
        finished = done;
        taken = handed;
      } else {
        finished = await this.core.scripts.finish.finishBatch(type, refs, idleQueueTtlMs);
      }
      chunk.forEach((p, i) => {
        results[p.index] = finished[i] === true;
      });
    }
    // More than one call's worth asked for, and the first call gave all it was asked: the rest as dequeue(count) would.
    if (count > asked && taken.jobs.length === asked) {
      const more = await this.take(type, count - asked);
      taken = { ...more, jobs: [...taken.jobs, ...more.jobs] };
    }
    return { results, ...taken };
  }
}
