// One migration step: a bounded batch of one queue's jobs, read from the old layout, written into the
// new one. Two ways, chosen by where the old data lives:
// - AtomicSteps (same, non-cluster Redis): one script checks the batch is unchanged and moves it.
// - TwoPhaseSteps (another Redis): write into the new layout with a journal, delete from the old, drop
//   the journal; a crash between the phases is completed by recover() before the queue moves on.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  MigrateRemoveScript,
  MigrateStepScript,
  MigrateWriteScript,
  type MigrateMode,
  type MigrateQueue,
} from '../engine/scripts/migrate.js';
import { queueKeys } from '../engine/keys.js';
import { oldQueueKeys } from '../engine/python-keys.js';
import type { RedisClient } from '../redis/client.js';
import { decodePayload } from './payload.js';

/** 'queued': the head of a queue's list, in order. 'active': dequeued jobs, latest expiry first. */
export type StepMode = MigrateMode;

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

function queueOf(ctx: StepContext, queueType: string, queueId: string): MigrateQueue {
  return { oldPrefix: ctx.oldPrefix, queueType, queueId };
}

/** A journal's first line: the mode of the step it names. */
function journalMode(line: string | undefined): StepMode {
  return line === 'active' ? 'active' : 'queued';
}

export class AtomicSteps implements Stepper {
  private readonly script: MigrateStepScript;

  constructor(
    redis: RedisClient,
    private readonly ctx: StepContext,
  ) {
    this.script = new MigrateStepScript({ redis, keyPrefix: ctx.newPrefix });
  }

  async step(mode: StepMode, queueType: string, queueId: string, jobs: ReadJob[]): Promise<StepCounts | 'stale'> {
    const prepared = prepare(jobs);
    const moved = await this.script.step(
      mode,
      queueOf(this.ctx, queueType, queueId),
      this.ctx.defaultRequeueLimit,
      prepared.map((job) => ({ id: job.id, sha1: job.sha1, json: job.json ?? '' })),
    );
    return moved === 'stale' ? 'stale' : { ...moved, undecodable: undecodable(prepared) };
  }

  async recover(): Promise<void> {
    // Atomic steps leave nothing half-done.
  }
}

export class TwoPhaseSteps implements Stepper {
  private readonly writer: MigrateWriteScript;
  private readonly remover: MigrateRemoveScript;

  constructor(
    private readonly source: Redis,
    private readonly target: RedisClient,
    private readonly ctx: StepContext,
  ) {
    this.writer = new MigrateWriteScript({ redis: target, keyPrefix: ctx.newPrefix });
    this.remover = new MigrateRemoveScript({ redis: source });
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

    const toWrite = prepared.flatMap((job, i) =>
      job.json === null ? [] : [{ id: job.id, requeuesRemaining: requeues[i] ?? this.ctx.defaultRequeueLimit, json: job.json }],
    );
    const withoutPayload = prepared.filter((job) => job.json === null).map((job) => job.id);
    const written = await this.writer.write(mode, { queueType, queueId }, { intervalMs, lastUs: lastMs * 1000 }, toWrite, withoutPayload);
    if (written === 'pending') {
      await this.recover(queueType, queueId);
      return 'stale';
    }
    const { moved, duplicates } = written;
    await this.remover.remove(mode, queueOf(this.ctx, queueType, queueId), prepared.map((job) => job.id));
    await this.target.del(this.journalKey(queueType, queueId));
    return { moved, duplicates, missing: prepared.length - toWrite.length, gone: 0, undecodable: undecodable(prepared) };
  }

  /** Finishes a step whose second phase a crash interrupted: its jobs are in the new layout already. */
  async recover(queueType: string, queueId: string): Promise<void> {
    const journalKey = this.journalKey(queueType, queueId);
    const journal = await this.target.get(journalKey);
    if (journal === null) return;
    const [mode, ...ids] = journal.split('\n');
    if (ids.length > 0) await this.remover.remove(journalMode(mode), queueOf(this.ctx, queueType, queueId), ids);
    await this.target.del(journalKey);
  }

  private journalKey(queueType: string, queueId: string): string {
    return queueKeys(this.ctx.newPrefix, queueType, queueId).migrating;
  }
}
