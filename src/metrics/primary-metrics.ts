import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { FailOutcomes } from './fail-outcomes.js';
import type { QueueEngine, RequeueCounts } from '../engine/engine.js';
import type { TypeGauges } from '../engine/reads.js';

const REDIS_GAUGES: Record<keyof TypeGauges, { name: string; help: string }> = {
  queued: { name: 'sharq_queued_jobs', help: 'Jobs waiting in the queues of a type (read from Redis at scrape).' },
  active: { name: 'sharq_active_jobs', help: 'Jobs dequeued and not yet finished (read from Redis at scrape).' },
  readyQueues: { name: 'sharq_ready_queues', help: 'Queues whose next job may be dequeued now (read from Redis at scrape).' },
  queues: { name: 'sharq_queues', help: 'Queues with queued, active or delayed jobs (read from Redis at scrape).' },
  delayed: { name: 'sharq_delayed_jobs', help: 'Jobs waiting for their delay_ms to pass (read from Redis at scrape).' },
  deadLetters: { name: 'sharq_dead_letters', help: 'Discarded jobs kept in the dead letters (read from Redis at scrape).' },
  pausedQueues: { name: 'sharq_paused_queues', help: 'Queues paused now, holds included (read from Redis at scrape).' },
  typePaused: { name: 'sharq_type_paused', help: '1 while the whole queue type is paused (read from Redis at scrape).' },
};

/** Gauges read from Redis give up after this long, so a slow Redis cannot stall a scrape. */
const REDIS_READ_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Metrics the primary process owns: leadership, requeue passes, and the queue gauges read from
 * Redis once per scrape (in the primary, so they are not multiplied by the number of workers).
 */
export class PrimaryMetrics {
  readonly registry = new Registry();
  private readonly leader: Gauge;
  private readonly passDuration: Histogram;
  private readonly moved: Counter;
  private readonly requeued: Counter<'queue_type'>;
  private readonly discarded: Counter<'queue_type'>;
  private readonly gauges: Record<keyof TypeGauges, Gauge<'queue_type'>>;
  private readonly promoted: Counter<'queue_type'>;
  private readonly failOutcomes: FailOutcomes;

  constructor(private readonly engine: QueueEngine) {
    const registers = [this.registry];
    this.leader = new Gauge({
      name: 'sharq_leader',
      help: '1 when this instance holds the requeue leader lock, else 0.',
      registers,
    });
    this.passDuration = new Histogram({
      name: 'sharq_requeue_pass_duration_seconds',
      help: 'Duration of one requeue pass over all queue types.',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.moved = new Counter({
      name: 'sharq_requeue_jobs_moved_total',
      help: 'Expired jobs moved by requeue passes (requeued plus discarded).',
      registers,
    });
    this.requeued = new Counter({
      name: 'sharq_jobs_requeued_total',
      help: 'Expired jobs sent back for another attempt (at the front of their queue now, or after their back-off).',
      labelNames: ['queue_type'],
      registers,
    });
    this.discarded = new Counter({
      name: 'sharq_jobs_discarded_total',
      help: 'Expired jobs discarded into the dead-letter list (requeue_limit spent).',
      labelNames: ['queue_type'],
      registers,
    });
    this.promoted = new Counter({
      name: 'sharq_delayed_jobs_promoted_total',
      help: 'Delayed jobs moved to their queues by the leader when due (enqueue and dequeue promote some themselves).',
      labelNames: ['queue_type'],
      registers,
    });
    this.gauges = Object.fromEntries(
      Object.entries(REDIS_GAUGES).map(([field, { name, help }]) => [
        field,
        new Gauge({ name, help, labelNames: ['queue_type'], registers }),
      ]),
    ) as Record<keyof TypeGauges, Gauge<'queue_type'>>;
    this.failOutcomes = new FailOutcomes(this.registry);
    // The primary's own memory and event loop, apart from the workers' (labelled role="worker").
    collectDefaultMetrics({ register: this.registry, prefix: 'sharq_', labels: { role: 'primary' } });
  }

  private readonly seenTypes = new Set<string>();

  /** Requeue counters of a type start at 0 when first seen, so increase() counts its first event. */
  private seeType(queueType: string): void {
    if (this.seenTypes.has(queueType)) return;
    this.seenTypes.add(queueType);
    this.requeued.inc({ queue_type: queueType }, 0);
    this.discarded.inc({ queue_type: queueType }, 0);
    this.promoted.inc({ queue_type: queueType }, 0);
    this.failOutcomes.seeType(queueType);
  }

  setLeader = (leading: boolean): void => {
    this.leader.set(leading ? 1 : 0);
  };

  delayedPromoted = (queueType: string, count: number): void => {
    this.seeType(queueType);
    this.promoted.inc({ queue_type: queueType }, count);
  };

  requeuePass = (seconds: number, counts: Map<string, RequeueCounts>): void => {
    this.passDuration.observe(seconds);
    for (const [queueType, c] of counts) {
      this.seeType(queueType);
      if (c.requeued > 0) {
        this.requeued.inc({ queue_type: queueType }, c.requeued);
        this.failOutcomes.retried(queueType, 'expiry', c.requeued);
      }
      if (c.discarded > 0) {
        this.discarded.inc({ queue_type: queueType }, c.discarded);
        this.failOutcomes.deadLettered(queueType, 'requeue_limit_reached', c.discarded);
      }
      this.moved.inc(c.requeued + c.discarded);
    }
  };

  /** Refreshes the Redis-backed gauges; on failure they are left out rather than stale. */
  async readRedisGauges(): Promise<void> {
    for (const gauge of Object.values(this.gauges)) gauge.reset();
    try {
      await withTimeout(
        (async () => {
          const types = await this.engine.queueTypes();
          const values = await Promise.all(types.map((t) => this.engine.reads.typeGauges(t)));
          types.forEach((queueType, i) => {
            this.seeType(queueType);
            const v = values[i];
            if (!v) return;
            for (const field of Object.keys(this.gauges) as (keyof TypeGauges)[]) {
              this.gauges[field].set({ queue_type: queueType }, v[field]);
            }
          });
        })(),
        REDIS_READ_TIMEOUT_MS,
      );
    } catch {
      for (const gauge of Object.values(this.gauges)) gauge.reset();
    }
  }
}
