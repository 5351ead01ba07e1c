// Job status, lease extension and the promotion of due delayed jobs (SPEC 5.4 to 5.6). Each is one
// script on the slot of the job's queue type.
import type { EngineCore } from './core.js';
import { parseDeadEntry, type DeadLetterEntry } from './dead-letters.js';
import { parseJobRecord } from './job-record.js';
import * as valid from './validation.js';

/** Queues longer than this answer a status without `position` (LPOS is O(n)). */
export const POSITION_LIMIT = 10_000;
/** Due delayed jobs moved per promote script call. */
const PROMOTE_BATCH = 500;
/** A type with more due jobs than this is left for the next round, so one type cannot hold up the rest. */
const MAX_PROMOTE_CALLS_PER_TYPE = 20;

export type JobStatus =
  | { state: 'queued'; position?: number; requeuesRemaining: number }
  | { state: 'delayed'; runAtMs: number }
  | { state: 'active'; expiresAtMs: number; requeuesRemaining: number }
  | ({ state: 'dead' } & Pick<DeadLetterEntry, 'reason' | 'discardedAtMs'>);

/** Times are kept in us; the API speaks ms, rounded up so "not before" stays true. */
function usToMs(us: number): number {
  return Math.ceil(us / 1000);
}

export interface PromoteResult {
  promoted: number;
  /** Redis time (ms) when the type's next delayed job comes due; undefined when none is left. */
  nextDueAtMs?: number;
  /** Redis time (ms) of the last call. */
  nowMs: number;
}

/** A job's life beside enqueue, dequeue and finish (engine.lifecycle). */
export class JobLifecycle {
  constructor(private readonly core: EngineCore) {}

  /** Where the job is now; undefined when it is unknown or finished. */
  async jobStatus(queueType: unknown, queueId: unknown, jobId: unknown): Promise<JobStatus | undefined> {
    const type = valid.identifier('queue_type', queueType);
    const id = valid.identifier('queue_id', queueId);
    const job = valid.identifier('job_id', jobId);
    const reply = await this.core.scripts.lifecycle.jobStatus(type, id, job, POSITION_LIMIT);
    switch (reply.state) {
      case 'none':
        return undefined;
      case 'dead': {
        const entry = parseDeadEntry(reply.entry);
        return { state: 'dead', reason: entry.reason, discardedAtMs: entry.discardedAtMs };
      }
      case 'delayed':
        return { state: 'delayed', runAtMs: usToMs(reply.dueUs) };
      case 'active':
        return { state: 'active', expiresAtMs: usToMs(reply.expiresUs), requeuesRemaining: parseJobRecord(reply.record).requeuesRemaining };
      case 'queued': {
        const requeuesRemaining = parseJobRecord(reply.record).requeuesRemaining;
        return reply.position === undefined
          ? { state: 'queued', requeuesRemaining }
          : { state: 'queued', position: reply.position, requeuesRemaining };
      }
    }
  }

  /**
   * Extends an active job's lease: it now expires extendMs (default job_expire_interval) after the
   * Redis time of the call. Returns the new expiry (ms), or undefined when the job is not active.
   */
  async touch(queueType: unknown, queueId: unknown, jobId: unknown, extendMs?: unknown): Promise<number | undefined> {
    const type = valid.identifier('queue_type', queueType);
    const id = valid.identifier('queue_id', queueId);
    const job = valid.identifier('job_id', jobId);
    const extend = extendMs === undefined ? this.core.options.jobExpireIntervalMs : valid.extendMs(extendMs);
    const expiresUs = await this.core.scripts.lifecycle.touch(type, id, job, extend);
    return expiresUs === undefined ? undefined : Math.floor(expiresUs / 1000);
  }

  /** Moves the type's due delayed jobs to their queues, in bounded batches. */
  async promoteDue(queueType: string): Promise<PromoteResult> {
    let promoted = 0;
    for (let call = 1; ; call++) {
      const step = await this.core.scripts.lifecycle.promote(queueType, PROMOTE_BATCH);
      promoted += step.promoted;
      if (!step.more || call >= MAX_PROMOTE_CALLS_PER_TYPE) {
        const nowMs = Math.floor(step.nowUs / 1000);
        return step.nextDueUs === undefined ? { promoted, nowMs } : { promoted, nowMs, nextDueAtMs: usToMs(step.nextDueUs) };
      }
    }
  }
}
