// The client's public types: the wire types of openapi.json in camelCase, so they cannot drift from it.
import type { Camelize, Schemas, WithoutStatus } from './wire.js';

/** A job handed out by dequeue; `payload` is typed by the caller (it is whatever JSON was enqueued). */
export type Job<P = unknown> = Omit<Camelize<Schemas['BatchJob']>, 'payload'> & { payload: P };

export interface JobRef {
  queueId: string;
  jobId: string;
}

export interface JobAddress extends JobRef {
  queueType: string;
}

export interface EnqueueJob<P = unknown> {
  queueId: string;
  jobId: string;
  /** ms between two dequeues of this queue. */
  interval: number;
  payload: P;
  requeueLimit?: number;
  maxQueuedLength?: number;
  cost?: number;
  delayMs?: number;
  /** Retry n waits backoffMs x 2^(n-1), at most backoffMaxMs (server defaults: default_backoff_ms, 1 h). */
  backoffMs?: number;
  backoffMaxMs?: number;
  /** At most this many of the queue's jobs active at once; like `interval`, the latest enqueue's applies unless pinned (setQueueLimits). */
  maxActive?: number;
  /**
   * W3C trace context kept with the job and handed back with it (SPEC 5.16). Default: the active
   * OpenTelemetry span's, when `@opentelemetry/api` is installed and a span is active.
   */
  traceparent?: string;
  /** Sent only with a traceparent of this job's own. */
  tracestate?: string;
}

export interface EnqueueInput<P = unknown> extends EnqueueJob<P> {
  queueType: string;
}

export type EnqueueResult = Omit<Camelize<WithoutStatus<Schemas['Queued']>>, 'message'>;

export type BatchEnqueueResult =
  | ({ status: 'queued' } & EnqueueResult)
  | { status: 'failure'; code: Schemas['BatchEnqueueFailure']['code']; message: string; currentQueueLength?: number };

export interface DequeueInput {
  /** Default `default`, as the original's GET /dequeue/. */
  queueType?: string;
  /** Long-poll: wait up to this many ms for a job (server maximum `max_wait_ms`). */
  waitMs?: number;
  signal?: AbortSignal;
}

export type JobStatus =
  | Camelize<WithoutStatus<Schemas['JobQueued']>>
  | Camelize<WithoutStatus<Schemas['JobDelayed']>>
  | Camelize<WithoutStatus<Schemas['JobActive']>>
  | Camelize<WithoutStatus<Schemas['JobDead']>>;

export type Touched = Camelize<WithoutStatus<Schemas['Touched']>>;

export interface FailInput extends JobAddress {
  /** Why the handler failed: kept with the job (its first 2,000 characters). */
  error?: string;
  /** This retry's wait instead of the job's back-off (0: back at the front of its queue at once). */
  retryInMs?: number;
  /** Hold the job's queue this long (its downstream answered 429): other queues go on. */
  holdQueueMs?: number;
}

/** `retry` (due again at runAtMs, Redis time) or `dead` (the requeue limit was spent). */
export type FailResult = Camelize<WithoutStatus<Schemas['Failed']>>;
export type QueueSummary = Camelize<Schemas['QueueSummary']>;
export type QueueTotals = Camelize<NonNullable<Schemas['Queues']['totals']>>;
export interface QueuePage {
  queues: QueueSummary[];
  nextCursor: Cursor;
  /** Totals of the whole type, when the server gives them. */
  totals?: QueueTotals;
  /** The type's limits and pause, when the server gives them (servers with flow control). */
  limits?: TypeLimits;
}
export type WaitingJob<P = unknown> = Omit<Camelize<Schemas['WaitingJob']>, 'payload'> & { payload: P };
export type JobPage<P = unknown> = Omit<WithoutStatus<Schemas['Jobs']>, 'jobs'> & { jobs: Array<WaitingJob<P>> };
export type DeadJob<P = unknown> = Omit<Camelize<Schemas['DeadJob']>, 'payload'> & { payload: P };
export type Cursor = Schemas['Cursor'];
export type GlobalMetrics = Camelize<WithoutStatus<Schemas['GlobalMetrics']>>;
export type QueueMetrics = Camelize<WithoutStatus<Schemas['QueueMetrics']>>;

export interface DeleteQueueResult {
  /** False when the queue had no jobs (the original's "Failure"). */
  removed: boolean;
  message: string;
}

/** A queue type, or one queue of it when `queueId` is given (flow control acts on either). */
export interface FlowTarget {
  queueType: string;
  queueId?: string;
}

export interface PauseInput extends FlowTarget {
  /** Pause this long (ms); absent: until resumed. */
  forMs?: number;
}

/** A type's limits and pause; null where unset. `pausedUntilMs` (Redis time) is null when paused until resumed, or not paused. */
export type TypeLimits = Camelize<Schemas['TypeLimitFields']>;
/** A queue's limits and pause; null where unset (all null and not paused for an unknown queue). */
export type QueueLimits = Camelize<WithoutStatus<Schemas['QueueLimits']>>;

/** Only the fields given change; null removes a limit (removing ratePerS removes the bucket). */
export interface TypeLimitsInput {
  queueType: string;
  /** Jobs of the type active at once over all its queues. */
  maxActive?: number | null;
  /** Token-bucket rate in jobs per second (a job of cost c takes c tokens). */
  ratePerS?: number | null;
  /** The bucket's size in tokens (default, and null: ratePerS). */
  burst?: number | null;
}

/** Only the fields given change, and each is pinned: later enqueues do not change it while the queue exists. */
export interface QueueLimitsInput {
  queueType: string;
  queueId: string;
  /** ms between two dequeues of this queue. */
  interval?: number;
  /** Jobs of the queue active at once; null: no limit. */
  maxActive?: number | null;
}
