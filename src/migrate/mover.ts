// Moves whole queues, step after step: a queue's queued jobs from the head of its list, a type's active
// jobs from the latest expiry down (each pushed to the front, so the earliest expiry leads).
import type { Redis } from 'ioredis';
import { oldQueueKeys, payloadField } from '../engine/python-keys.js';
import type { ReadJob, StepCounts, Stepper, StepMode } from './steps.js';

export interface MoveTotals extends StepCounts {
  /** Steps that found the old data changed since it was read, and were retried. */
  retries: number;
}

export function emptyTotals(): MoveTotals {
  return { moved: 0, duplicates: 0, missing: 0, gone: 0, undecodable: 0, retries: 0 };
}

export interface MoverOptions {
  oldPrefix: string;
  /** Jobs per step: bounds the longest Redis call. */
  stepJobs: number;
  /** Checked between steps: a stop request ends the move after the current step. */
  shouldStop: () => boolean;
  /** Told after every step. */
  onStep?: (counts: StepCounts) => void;
}

/** Consecutive stale steps tolerated before giving up on a queue (something rewrites it non-stop). */
const MAX_STALE_IN_A_ROW = 50;

export class QueueMover {
  readonly totals = emptyTotals();

  constructor(
    private readonly source: Redis,
    private readonly stepper: Stepper,
    private readonly options: MoverOptions,
  ) {}

  /** Moves the queue's queued jobs until its old list is empty (or a stop is requested). */
  async moveQueued(queueType: string, queueId: string): Promise<void> {
    await this.stepper.recover(queueType, queueId);
    const old = oldQueueKeys(this.options.oldPrefix, queueType, queueId);
    for (let stale = 0; !this.options.shouldStop(); ) {
      const ids = await this.source.lrange(old.list, 0, this.options.stepJobs - 1);
      if (ids.length === 0) return;
      const outcome = await this.stepper.step('queued', queueType, queueId, await this.read(queueType, queueId, ids));
      stale = this.account(outcome, stale, `${queueType}/${queueId}`);
    }
  }

  /**
   * Moves the type's active jobs, a batch of the latest-expiring at a time. Members whose names this
   * server cannot hold stay where they are (discovery counts them).
   */
  async moveActive(queueType: string, isMovable: (queueId: string, jobId: string) => boolean): Promise<void> {
    const old = oldQueueKeys(this.options.oldPrefix, queueType, '_');
    // Members left in place rank among the highest once the others moved: read past them.
    const leftInPlace = new Set<string>();
    for (let stale = 0; !this.options.shouldStop(); ) {
      const from = leftInPlace.size;
      const members = await this.source.zrevrange(old.active, from, from + this.options.stepJobs - 1);
      if (members.length === 0) return;
      // Grouped by queue, each group keeping the latest-expiry-first order.
      const byQueue = new Map<string, string[]>();
      for (const member of members) {
        const sep = member.indexOf(':');
        if (sep < 0 || !isMovable(member.slice(0, sep), member.slice(sep + 1))) {
          leftInPlace.add(member);
          continue;
        }
        const queueId = member.slice(0, sep);
        byQueue.set(queueId, [...(byQueue.get(queueId) ?? []), member.slice(sep + 1)]);
      }
      if (byQueue.size === 0 && leftInPlace.size === from) return;
      for (const [queueId, ids] of byQueue) {
        if (this.options.shouldStop()) return;
        await this.stepper.recover(queueType, queueId);
        const outcome = await this.stepper.step('active', queueType, queueId, await this.read(queueType, queueId, ids));
        stale = this.account(outcome, stale, `active jobs of ${queueType}`);
      }
    }
  }

  private async read(queueType: string, queueId: string, ids: string[]): Promise<ReadJob[]> {
    const old = oldQueueKeys(this.options.oldPrefix, queueType, queueId);
    const raws = await this.source.hmgetBuffer(old.payloads, ...ids.map((id) => payloadField(queueType, queueId, id)));
    return ids.map((id, i) => ({ id, raw: raws[i] ?? null }));
  }

  private account(outcome: StepCounts | 'stale', staleInARow: number, what: string): number {
    if (outcome === 'stale') {
      this.totals.retries += 1;
      if (staleInARow + 1 >= MAX_STALE_IN_A_ROW) {
        throw new Error(`${what} changed under ${MAX_STALE_IN_A_ROW} steps in a row: are the old server's workers still running?`);
      }
      return staleInARow + 1;
    }
    for (const key of ['moved', 'duplicates', 'missing', 'gone', 'undecodable'] as const) this.totals[key] += outcome[key];
    this.options.onStep?.(outcome);
    return 0;
  }
}

export type { StepMode };
