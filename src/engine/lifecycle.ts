// Job status, lease extension and the promotion of due delayed jobs (SPEC 5.4 to 5.6). Each is one
// script on the slot of the job's queue type.
import type { QueueEngine } from './engine.js';
import { parseDeadEntry, type DeadLetterEntry } from './dead-letters.js';
import { parseJobRecord } from './job-record.js';
import { queueKeys, typeKeys } from './keys.js';
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

type StatusReply = ['active' | 'delayed' | 'queued', string | number, string] | ['dead', string] | ['none'];

/** Where the job is now; undefined when it is unknown or finished. */
export async function jobStatus(
  engine: QueueEngine,
  queueType: string,
  queueId: string,
  jobId: string,
): Promise<JobStatus | undefined> {
  const type = valid.identifier('queue_type', queueType);
  const id = valid.identifier('queue_id', queueId);
  const job = valid.identifier('job_id', jobId);
  const t = typeKeys(engine.options.keyPrefix, type);
  const q = queueKeys(engine.options.keyPrefix, type, id);
  const reply = (await engine.scripts.job_status([t.active, t.delayed, q.jobs, q.jobIds, t.deadJobs], [
    id,
    job,
    POSITION_LIMIT,
  ])) as StatusReply;
  switch (reply[0]) {
    case 'none':
      return undefined;
    case 'dead': {
      const entry = parseDeadEntry(reply[1]);
      return { state: 'dead', reason: entry.reason, discardedAtMs: entry.discardedAtMs };
    }
    case 'delayed':
      return { state: 'delayed', runAtMs: usToMs(reply[1]) };
    case 'active':
      return { state: 'active', expiresAtMs: usToMs(reply[1]), requeuesRemaining: parseJobRecord(reply[2]).requeuesRemaining };
    case 'queued': {
      const position = Number(reply[1]);
      const requeuesRemaining = parseJobRecord(reply[2]).requeuesRemaining;
      return position >= 0 ? { state: 'queued', position, requeuesRemaining } : { state: 'queued', requeuesRemaining };
    }
  }
}

/** Times are kept in us; the API speaks ms, rounded up so "not before" stays true. */
function usToMs(us: string | number): number {
  return Math.ceil(Number(us) / 1000);
}

/**
 * Extends an active job's lease: it now expires extendMs (default job_expire_interval) after the
 * Redis time of the call. Returns the new expiry (ms), or undefined when the job is not active.
 */
export async function touch(
  engine: QueueEngine,
  queueType: string,
  queueId: string,
  jobId: string,
  extendMs?: number,
): Promise<number | undefined> {
  const type = valid.identifier('queue_type', queueType);
  const id = valid.identifier('queue_id', queueId);
  const job = valid.identifier('job_id', jobId);
  const extend = extendMs === undefined ? engine.options.jobExpireIntervalMs : valid.extendMs(extendMs);
  const t = typeKeys(engine.options.keyPrefix, type);
  const expiresUs = Number(await engine.scripts.touch([t.active], [id, job, extend]));
  return expiresUs < 0 ? undefined : Math.floor(expiresUs / 1000);
}

export interface PromoteResult {
  promoted: number;
  /** Redis time (ms) when the type's next delayed job comes due; undefined when none is left. */
  nextDueAtMs?: number;
  /** Redis time (ms) of the last call. */
  nowMs: number;
}

/** Moves the type's due delayed jobs to their queues, in bounded batches. */
export async function promoteDue(engine: QueueEngine, queueType: string): Promise<PromoteResult> {
  const t = typeKeys(engine.options.keyPrefix, queueType);
  let promoted = 0;
  for (let call = 1; ; call++) {
    const [moved, more, nextDueUs, nowUs] = (await engine.scripts.promote([t.delayed], [PROMOTE_BATCH])) as number[];
    promoted += moved ?? 0;
    if (more !== 1 || call >= MAX_PROMOTE_CALLS_PER_TYPE) {
      const nowMs = Math.floor((nowUs ?? 0) / 1000);
      return nextDueUs === undefined || nextDueUs < 0 ? { promoted, nowMs } : { promoted, nowMs, nextDueAtMs: usToMs(nextDueUs) };
    }
  }
}
