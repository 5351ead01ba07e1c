// Dead letters (SPEC 5.7): discarded jobs kept per queue type, newest first, at most
// dead_letter_limit. Stored as a ZSET <tag>:dead_index ("<qid>:<jid>" by discard sequence) beside a
// HASH <tag>:dead_jobs of entries, so a job's dead letter is found in O(1) and pages are O(log n).
// The LIST <tag>:dead of earlier versions is migrated by migrateDeadLetters (the requeue leader runs
// it when it takes the lead).
import type { EngineCore } from './core.js';
import { parseJobRecord } from './job-record.js';
import * as valid from './validation.js';
import { ValidationError } from '../errors.js';

export interface DeadLetterEntry {
  reason: string;
  discardedAtMs: number;
  /** The queue's interval when the job was discarded (revives an idle queue on replay). */
  intervalMs: number;
  requeueLimit: number;
  cost: number;
  /** Deliveries the job had. */
  attempts: number;
  /** The error of its latest fail that gave one. */
  error?: string;
  payloadJson: string;
}

export interface DeadLetter extends DeadLetterEntry {
  queueId: string;
  jobId: string;
}

export interface DeadLetterPage {
  jobs: DeadLetter[];
  /** Pass back as `cursor` for the next (older) page; undefined on the last page. */
  nextCursor?: string;
}

/** Jobs named in one replay request; a larger list is a 400. */
export const MAX_REPLAY_IDS = 1000;
/** Dead letters replayed, deleted or migrated per script call. */
const STEP = 200;
/** Calls per request: "replay all" or "delete" of a store refilled as fast as it empties still ends. */
const MAX_STEPS = 1000;

const ENTRY = /^(\d+)\|([^|]*)\|(\d+)\|([\s\S]*)$/;

/** "<discarded_at_ms>|<reason>|<interval_ms>|<job record>" (see lua/include/lifecycle.lua). */
export function parseDeadEntry(raw: string): DeadLetterEntry {
  const m = ENTRY.exec(raw);
  if (!m) throw new Error(`not a dead-letter entry: ${raw.slice(0, 40)}`);
  const job = parseJobRecord(m[4] ?? '');
  return {
    discardedAtMs: Number(m[1]),
    reason: m[2] ?? '',
    intervalMs: Number(m[3]),
    requeueLimit: job.requeueLimit,
    cost: job.cost,
    // Its last delivery ended in the fail or expiry that spent the limit: retries + 1 deliveries.
    attempts: job.retries + 1,
    ...(job.lastError === undefined ? {} : { error: job.lastError }),
    payloadJson: job.payloadJson,
  };
}

function splitMember(member: string): { queueId: string; jobId: string } {
  const colon = member.indexOf(':');
  return { queueId: member.slice(0, colon), jobId: member.slice(colon + 1) };
}

/** A cursor is the discard sequence the next page starts below: digits only. */
function validCursor(cursor: string | undefined): string {
  if (cursor === undefined || cursor === '') return '';
  if (!/^\d{1,18}$/.test(cursor)) throw new ValidationError('cursor', '`cursor` has an invalid value: expected a next_cursor of an earlier page');
  return cursor;
}

export interface ReplayResult {
  replayed: number;
  /** Not replayed: not a dead letter (any more), or its job id is live again in its queue. */
  skipped: number;
}

/** The dead letters of each queue type (engine.deadLetters). */
export class DeadLetters {
  constructor(private readonly core: EngineCore) {}

  /** A page of the type's dead letters, newest first. */
  async list(queueType: unknown, limit: number = valid.DEFAULT_PAGE_LIMIT, cursor?: string): Promise<DeadLetterPage> {
    const page = await this.core.scripts.deadLetters.list(valid.identifier('queue_type', queueType), validCursor(cursor), limit);
    const jobs = page.entries.map(([member, entry]): DeadLetter => ({ ...splitMember(member), ...parseDeadEntry(entry) }));
    return page.nextCursor === undefined ? { jobs } : { jobs, nextCursor: page.nextCursor };
  }

  /** Puts the named dead letters back at the tail of their queues, each in one atomic step. */
  async replay(queueType: unknown, jobs: readonly { queueId: unknown; jobId: unknown }[]): Promise<ReplayResult> {
    const type = valid.identifier('queue_type', queueType);
    const members = jobs.map(
      (job) => `${valid.identifier('queue_id', job.queueId)}:${valid.identifier('job_id', job.jobId)}`,
    );
    const result: ReplayResult = { replayed: 0, skipped: 0 };
    for (let i = 0; i < members.length; i += STEP) {
      const step = await this.core.scripts.deadLetters.replay(type, { members: members.slice(i, i + STEP) });
      result.replayed += step.replayed;
      result.skipped += step.skipped;
    }
    return result;
  }

  /** Replays every dead letter of the type, oldest first, in bounded script calls. */
  async replayAll(queueType: unknown): Promise<ReplayResult> {
    const type = valid.identifier('queue_type', queueType);
    const result: ReplayResult = { replayed: 0, skipped: 0 };
    let cursor = '0';
    for (let call = 0; call < MAX_STEPS; call++) {
      const step = await this.core.scripts.deadLetters.replay(type, { all: { cursor, batch: STEP } });
      result.replayed += step.replayed;
      result.skipped += step.skipped;
      if (step.nextCursor === undefined) break;
      cursor = step.nextCursor;
    }
    return result;
  }

  /** Deletes every dead letter of the type; returns how many. */
  async deleteAll(queueType: unknown): Promise<number> {
    const type = valid.identifier('queue_type', queueType);
    let deleted = 0;
    for (let call = 0; call < MAX_STEPS; call++) {
      const step = await this.core.scripts.deadLetters.delete(type, STEP);
      deleted += step.deleted;
      if (!step.more) break;
    }
    return deleted;
  }

  /** Moves the type's dead-letter LIST of earlier versions into the current store; returns how many. */
  async migrateOldList(queueType: string): Promise<number> {
    let moved = 0;
    for (let call = 0; call < MAX_STEPS; call++) {
      const step = await this.core.scripts.deadLetters.migrate(queueType, STEP, this.core.options.deadLetterLimit);
      moved += step.moved;
      if (step.left === 0) break;
    }
    return moved;
  }
}

/** A dead letter as the API shows it, the payload spliced in as the text it was stored as. */
export function deadLetterJson(job: DeadLetter): string {
  return (
    `{"queue_id":${JSON.stringify(job.queueId)},"job_id":${JSON.stringify(job.jobId)},` +
    `"reason":${JSON.stringify(job.reason)},"discarded_at_ms":${job.discardedAtMs},` +
    `"requeue_limit":${job.requeueLimit},"attempts":${job.attempts},"error":${JSON.stringify(job.error ?? null)},` +
    `"payload":${job.payloadJson}}`
  );
}
