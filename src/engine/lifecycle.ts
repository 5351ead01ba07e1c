// Job status, lease extension and the promotion of due delayed jobs (SPEC 5.4 to 5.6). Each is one
// script on the slot of the job's queue type.
import type { EngineCore } from './core.js';
import { parseDeadEntry, type DeadLetterEntry } from './dead-letters.js';
import { parseJobRecord, type JobRecord } from './job-record.js';
import * as valid from './validation.js';

/** Queues longer than this answer a status without `position` (LPOS is O(n)). */
export const POSITION_LIMIT = 10_000;
/** Due delayed jobs moved per promote script call. */
const PROMOTE_BATCH = 500;
/** A type with more due jobs than this is left for the next round, so one type cannot hold up the rest. */
const MAX_PROMOTE_CALLS_PER_TYPE = 20;

/** Deliveries so far, and the error of the latest fail that gave one (SPEC 5.13): in every state. */
export interface Attempts {
  attempts: number;
  lastError?: string;
}

export type JobStatus = Attempts &
  (
    | { state: 'queued'; position?: number; requeuesRemaining: number }
    | { state: 'delayed'; runAtMs: number }
    | { state: 'active'; expiresAtMs: number; requeuesRemaining: number }
    | ({ state: 'dead' } & Pick<DeadLetterEntry, 'reason' | 'discardedAtMs'>)
  );

/** A waiting job has had `retries` deliveries (each followed by a retry); an active one one more. */
function attemptsOf(record: JobRecord, active: boolean): Attempts {
  const attempts = record.retries + (active ? 1 : 0);
  return record.lastError === undefined ? { attempts } : { attempts, lastError: record.lastError };
}

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
        const attempts = entry.error === undefined ? { attempts: entry.attempts } : { attempts: entry.attempts, lastError: entry.error };
        return { state: 'dead', reason: entry.reason, discardedAtMs: entry.discardedAtMs, ...attempts };
      }
      case 'delayed':
        return { state: 'delayed', runAtMs: usToMs(reply.dueUs), ...attemptsOf(parseJobRecord(reply.record), false) };
      case 'active': {
        const record = parseJobRecord(reply.record);
        return { state: 'active', expiresAtMs: usToMs(reply.expiresUs), requeuesRemaining: record.requeuesRemaining, ...attemptsOf(record, true) };
      }
      case 'queued': {
        const record = parseJobRecord(reply.record);
        const fields = { requeuesRemaining: record.requeuesRemaining, ...attemptsOf(record, false) };
        return reply.position === undefined ? { state: 'queued', ...fields } : { state: 'queued', position: reply.position, ...fields };
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
