// One migration step: a bounded batch of one queue's jobs, read from the old layout, written into the
// new one. Two ways, chosen by where the old data lives:
// - AtomicSteps (same, non-cluster Redis): one script checks the batch is unchanged and moves it.
// - TwoPhaseSteps (another Redis): write into the new layout with a journal, delete from the old, drop
//   the journal; a crash between the phases is completed by recover() before the queue moves on.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { defineScript, type RedisClient, type ScriptCall } from '../engine/scripts.js';
import { queueKeys, typeKeys } from '../engine/keys.js';
import { oldKeyList, oldQueueKeys } from './old-keys.js';
import { decodePayload } from './payload.js';

/** 'queued': the head of a queue's list, in order. 'active': dequeued jobs, latest expiry first. */
export type StepMode = 'queued' | 'active';

export interface ReadJob {
  id: string;
  /** The payload as stored by the Python SharQ; null when it has none. */
  raw: Buffer | null;
}

export interface StepCounts {
  moved: number;
  /** Job ids already queued or active in the new layout; removed from the old one, not moved again. */
  duplicates: number;
  /** Job ids without a payload in the old layout; removed, not moved. */
  missing: number;
  /** Active jobs finished by an old worker after they were read. */
  gone: number;
  /** Moved as a JSON string because the payload was not msgpack that JSON can hold. */
  undecodable: number;
}

export interface Stepper {
  step(mode: StepMode, queueType: string, queueId: string, jobs: ReadJob[]): Promise<StepCounts | 'stale'>;
  recover(queueType: string, queueId: string): Promise<void>;
}

export interface StepContext {
  oldPrefix: string;
  newPrefix: string;
  /** Requeue limit of a job the old layout keeps none for. */
  defaultRequeueLimit: number;
}

interface PreparedJob {
  id: string;
  sha1: string;
  json: string | null;
  decoded: boolean;
}

function prepare(jobs: ReadJob[]): PreparedJob[] {
  return jobs.map(({ id, raw }) => {
    if (raw === null) return { id, sha1: '', json: null, decoded: true };
    const { json, decoded } = decodePayload(raw);
    return { id, sha1: createHash('sha1').update(raw).digest('hex'), json, decoded };
  });
}

function undecodable(jobs: PreparedJob[]): number {
  return jobs.filter((job) => !job.decoded).length;
}

function newKeyList(prefix: string, queueType: string, queueId: string): string[] {
  const t = typeKeys(prefix, queueType);
  const q = queueKeys(prefix, queueType, queueId);
  return [t.ready, t.queues, t.totals, q.queue, q.jobs, q.idle];
}

export class AtomicSteps implements Stepper {
  private readonly script: ScriptCall;

  constructor(
    redis: RedisClient,
    private readonly ctx: StepContext,
  ) {
    this.script = defineScript(redis, 'migrate_step');
  }

  async step(mode: StepMode, queueType: string, queueId: string, jobs: ReadJob[]): Promise<StepCounts | 'stale'> {
    const prepared = prepare(jobs);
    const keys = [
      ...oldKeyList(oldQueueKeys(this.ctx.oldPrefix, queueType, queueId)),
      ...newKeyList(this.ctx.newPrefix, queueType, queueId),
    ];
    const args: (string | number)[] = [mode, queueType, queueId, this.ctx.defaultRequeueLimit, prepared.length];
    for (const job of prepared) args.push(job.id, job.sha1, job.json ?? '');
    const reply = (await this.script(keys, args)) as ['ok', number, number, number, number] | ['stale'];
    if (reply[0] === 'stale') return 'stale';
    const [, moved, duplicates, missing, gone] = reply;
    return { moved, duplicates, missing, gone, undecodable: undecodable(prepared) };
  }

  async recover(): Promise<void> {
    // Atomic steps leave nothing half-done.
  }
}

export class TwoPhaseSteps implements Stepper {
  private readonly write: ScriptCall;
  private readonly remove: ScriptCall;

  constructor(
    private readonly source: Redis,
    private readonly target: RedisClient,
    private readonly ctx: StepContext,
  ) {
    this.write = defineScript(target, 'migrate_write');
    this.remove = defineScript(source, 'migrate_remove');
  }

  async step(mode: StepMode, queueType: string, queueId: string, jobs: ReadJob[]): Promise<StepCounts | 'stale'> {
    const prepared = prepare(jobs);
    const old = oldQueueKeys(this.ctx.oldPrefix, queueType, queueId);
    const [interval, timeMs, readyScore, requeues] = await Promise.all([
      this.source.hget(old.intervals, `${queueType}:${queueId}`),
      this.source.get(old.time),
      this.source.zscore(old.ready, queueId),
      this.source.hmget(old.requeues, ...prepared.map((job) => job.id)),
    ]);
    const intervalMs = Number(interval ?? 0) || 0;
    const lastMs = Math.max(Number(timeMs ?? 0) || 0, readyScore === null ? 0 : Number(readyScore) - intervalMs);

    const toWrite = prepared.filter((job) => job.json !== null);
    const args: (string | number)[] = [mode, queueId, intervalMs, lastMs * 1000, toWrite.length];
    for (const job of toWrite) {
      const remaining = requeues[prepared.indexOf(job)];
      args.push(job.id, remaining ?? this.ctx.defaultRequeueLimit, job.json ?? '');
    }
    for (const job of prepared) if (job.json === null) args.push(job.id);

    const keys = [...newKeyList(this.ctx.newPrefix, queueType, queueId), this.journalKey(queueType, queueId)];
    const reply = (await this.write(keys, args)) as ['ok', number, number] | ['pending'];
    if (reply[0] === 'pending') {
      await this.recover(queueType, queueId);
      return 'stale';
    }
    const [, moved, duplicates] = reply;
    await this.remove(oldKeyList(old), [mode, queueType, queueId, ...prepared.map((job) => job.id)]);
    await this.target.del(this.journalKey(queueType, queueId));
    return { moved, duplicates, missing: prepared.length - toWrite.length, gone: 0, undecodable: undecodable(prepared) };
  }

  /** Finishes a step whose second phase a crash interrupted: its jobs are in the new layout already. */
  async recover(queueType: string, queueId: string): Promise<void> {
    const journalKey = this.journalKey(queueType, queueId);
    const journal = await this.target.get(journalKey);
    if (journal === null) return;
    const [mode, ...ids] = journal.split('\n');
    const old = oldQueueKeys(this.ctx.oldPrefix, queueType, queueId);
    if (ids.length > 0) await this.remove(oldKeyList(old), [mode ?? 'queued', queueType, queueId, ...ids]);
    await this.target.del(journalKey);
  }

  private journalKey(queueType: string, queueId: string): string {
    return queueKeys(this.ctx.newPrefix, queueType, queueId).migrating;
  }
}
