import { Counter, type Registry } from 'prom-client';

/** Why a job was sent back: a fail (the fail route), or its lease expired (the requeue pass). */
export type RetryCause = 'fail' | 'expiry';
/** Why a job went to the dead letters (the reason GET /dead/ shows). */
export type DeadReason = 'failed' | 'requeue_limit_reached';

const CAUSES: readonly RetryCause[] = ['fail', 'expiry'];
const REASONS: readonly DeadReason[] = ['failed', 'requeue_limit_reached'];

/**
 * Retries scheduled and dead letters added (SPEC 5.13), per type: the workers count those of fails,
 * the primary those of its requeue passes, and the instance's scrape sums both (collect.ts). Every
 * label pair of a type starts at 0 in both, so increase() sees the first event whichever comes.
 */
export class FailOutcomes {
  private readonly retries: Counter<'queue_type' | 'cause'>;
  private readonly deadLetters: Counter<'queue_type' | 'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.retries = new Counter({
      name: 'sharq_retries_scheduled_total',
      help: 'Jobs sent back for another attempt (now, or after their back-off), by queue type and cause (fail, expiry).',
      labelNames: ['queue_type', 'cause'],
      registers,
    });
    this.deadLetters = new Counter({
      name: 'sharq_dead_letters_added_total',
      help: 'Jobs discarded into the dead letters, by queue type and reason (failed, requeue_limit_reached).',
      labelNames: ['queue_type', 'reason'],
      registers,
    });
  }

  seeType(queueType: string): void {
    for (const cause of CAUSES) this.retries.inc({ queue_type: queueType, cause }, 0);
    for (const reason of REASONS) this.deadLetters.inc({ queue_type: queueType, reason }, 0);
  }

  retried(queueType: string, cause: RetryCause, count: number): void {
    this.retries.inc({ queue_type: queueType, cause }, count);
  }

  deadLettered(queueType: string, reason: DeadReason, count: number): void {
    this.deadLetters.inc({ queue_type: queueType, reason }, count);
  }
}
