import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { TYPE_LIMITS, type JobEvent, type TypeLimit } from '../interfaces.js';
import { FailOutcomes } from './fail-outcomes.js';

/** The events a counter of their own counts; a fail's outcome goes to the labelled counters of fail-outcomes.ts. */
type CountedEvent = Exclude<JobEvent, 'fail_retried' | 'fail_dead'>;

const JOB_COUNTERS: Record<CountedEvent, { name: string; help: string }> = {
  enqueued: { name: 'sharq_jobs_enqueued_total', help: 'Jobs enqueued (201 queued, not duplicates).' },
  dequeued: { name: 'sharq_jobs_dequeued_total', help: 'Jobs handed out by dequeue.' },
  finished: { name: 'sharq_jobs_finished_total', help: 'Jobs acknowledged by finish.' },
  rejected: { name: 'sharq_jobs_rejected_total', help: 'Enqueues rejected with 429 because max_queued_length was reached.' },
  duplicate: { name: 'sharq_jobs_duplicate_total', help: 'Enqueues of a job_id already queued, delayed or active in its queue.' },
  touched: { name: 'sharq_jobs_touched_total', help: 'Leases extended by touch.' },
  replayed: { name: 'sharq_dead_letters_replayed_total', help: 'Dead letters put back into their queues by replay.' },
  failed: { name: 'sharq_jobs_failed_total', help: 'Active jobs failed through the fail route (their lease ended at once).' },
};

/** Seconds; covers a sub-millisecond Redis call up to a request stuck on a timeout. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The metrics one worker process records. The primary collects every worker's registry over IPC
 * and sums them (src/metrics/collect.ts), so each counter is the instance's total.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly jobs: Record<CountedEvent, Counter<'queue_type'>>;
  private readonly failOutcomes: FailOutcomes;
  private readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  private readonly httpDuration: Histogram<'route' | 'method' | 'status'>;
  readonly redisDuration: Histogram<'command'>;
  private readonly refusals: Counter<'queue_type' | 'limit'>;

  constructor(redisUp: () => boolean) {
    const registers = [this.registry];
    this.jobs = Object.fromEntries(
      Object.entries(JOB_COUNTERS).map(([event, { name, help }]) => [
        event,
        new Counter({ name, help, labelNames: ['queue_type'], registers }),
      ]),
    ) as Record<CountedEvent, Counter<'queue_type'>>;
    this.failOutcomes = new FailOutcomes(this.registry);
    this.httpRequests = new Counter({
      name: 'sharq_http_requests_total',
      help: 'HTTP requests by route template, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'sharq_http_request_duration_seconds',
      help: 'HTTP request duration by route template, method and status.',
      labelNames: ['route', 'method', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.redisDuration = new Histogram({
      name: 'sharq_redis_command_duration_seconds',
      help: 'Duration of Redis script calls, by script.',
      labelNames: ['command'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.refusals = new Counter({
      name: 'sharq_dequeues_refused_total',
      help: 'Dequeue calls a type-wide limit stopped while a queue was ready (SPEC 5.14), by type and limit.',
      labelNames: ['queue_type', 'limit'],
      registers,
    });
    new Gauge({
      name: 'sharq_redis_up',
      help: '1 when every worker of the instance has a ready Redis connection, else 0.',
      registers,
      aggregator: 'min',
      collect() {
        this.set(redisUp() ? 1 : 0);
      },
    });
    // role: the primary exports its own process metrics beside the workers' sum (primary-metrics.ts).
    collectDefaultMetrics({ register: this.registry, prefix: 'sharq_', labels: { role: 'worker' } });
  }

  private readonly seenTypes = new Set<string>();

  jobEvent = (event: JobEvent, queueType: string, count = 1): void => {
    if (!this.seenTypes.has(queueType)) {
      this.seenTypes.add(queueType);
      // Every counter of a new type starts at 0, so rate()/increase() see its first event.
      for (const counter of Object.values(this.jobs)) counter.inc({ queue_type: queueType }, 0);
      this.failOutcomes.seeType(queueType);
      for (const limit of TYPE_LIMITS) this.refusals.inc({ queue_type: queueType, limit }, 0);
    }
    if (event === 'fail_retried') this.failOutcomes.retried(queueType, 'fail', count);
    else if (event === 'fail_dead') this.failOutcomes.deadLettered(queueType, 'failed', count);
    else this.jobs[event].inc({ queue_type: queueType }, count);
  };

  refused = (queueType: string, limit: TypeLimit): void => {
    this.refusals.inc({ queue_type: queueType, limit });
  };

  // Label children cached per route/method/status: resolving labels costs more than counting.
  private readonly requestChildren = new Map<string, { count: () => void; observe: (s: number) => void }>();

  request = (route: string, method: string, status: number, seconds: number): void => {
    const key = `${route} ${method} ${status}`;
    let child = this.requestChildren.get(key);
    if (!child) {
      const labels = { route, method, status: String(status) };
      const counter = this.httpRequests.labels(labels);
      const histogram = this.httpDuration.labels(labels);
      child = { count: () => counter.inc(), observe: (s) => histogram.observe(s) };
      this.requestChildren.set(key, child);
    }
    child.count();
    child.observe(seconds);
  };

  private readonly commandChildren = new Map<string, (seconds: number) => void>();

  redisCommand = (command: string, seconds: number): void => {
    let observe = this.commandChildren.get(command);
    if (!observe) {
      const child = this.redisDuration.labels({ command });
      observe = (s) => child.observe(s);
      this.commandChildren.set(command, observe);
    }
    observe(seconds);
  };
}
