// SharqClient: one method per route of openapi.json, camelCase in and out, typed errors.
import { CLIENT_ROUTES, routePath, type OperationId } from './routes.js';
import { activeTraceHeaders } from './tracing.js';
import { Transport, type HttpCall, type TransportOptions } from './transport.js';
import type {
  BatchEnqueueResult,
  Cursor,
  DeadJob,
  DeleteQueueResult,
  DequeueInput,
  EnqueueInput,
  EnqueueJob,
  EnqueueResult,
  FailInput,
  FailResult,
  FlowTarget,
  GlobalMetrics,
  Job,
  JobAddress,
  JobRef,
  JobPage,
  JobStatus,
  PauseInput,
  QueueLimits,
  QueueLimitsInput,
  QueueMetrics,
  QueuePage,
  Touched,
  TypeLimits,
  TypeLimitsInput,
  WaitingJob,
} from './types.js';
import { flowRoute, queueLimitsWire, typeLimitsWire } from './flow.js';
import { camelize, type ReplyBody, type RequestBody } from './wire.js';

export type SharqClientOptions = TransportOptions;

type EnqueueWire = RequestBody<'/enqueue/{queue_type}/{queue_id}/', 'post'>;
type BatchEnqueueWire = RequestBody<'/enqueue/{queue_type}/', 'post'>['jobs'][number];

function enqueueWire<P>(job: EnqueueJob<P>): EnqueueWire {
  return {
    job_id: job.jobId,
    interval: job.interval,
    payload: job.payload,
    requeue_limit: job.requeueLimit,
    max_queued_length: job.maxQueuedLength,
    cost: job.cost,
    delay_ms: job.delayMs,
    backoff_ms: job.backoffMs,
    backoff_max_ms: job.backoffMaxMs,
    max_active: job.maxActive,
  };
}

/** The job's own trace context as headers, else the active span's (SPEC 5.16). */
async function traceHeaders(job: { traceparent?: string; tracestate?: string }): Promise<Record<string, string>> {
  if (job.traceparent === undefined) return activeTraceHeaders();
  return job.tracestate === undefined ? { traceparent: job.traceparent } : { traceparent: job.traceparent, tracestate: job.tracestate };
}

function jobRefsWire(jobs: readonly JobRef[]): Array<{ queue_id: string; job_id: string }> {
  return jobs.map((j) => ({ queue_id: j.queueId, job_id: j.jobId }));
}

export class SharqClient {
  private readonly transport: Transport;

  constructor(options: SharqClientOptions) {
    this.transport = new Transport(options);
  }

  private call(
    operation: OperationId,
    params: Record<string, string>,
    rest: Omit<HttpCall, 'method' | 'path'>,
  ): Promise<{ status: number; body: unknown }> {
    return this.transport.call({ method: CLIENT_ROUTES[operation].method, path: routePath(operation, params), ...rest });
  }

  /** GET / */
  async hello(): Promise<string> {
    const reply = await this.call('hello', {}, { expect: [200], retrySafe: true });
    return (reply.body as ReplyBody<'/', 'get', 200>).message;
  }

  /** Enqueues a job; retried on 503 or a lost connection (safe: a repeated job_id is a duplicate). */
  async enqueue<P>(input: EnqueueInput<P>): Promise<EnqueueResult> {
    const reply = await this.call(
      'enqueue',
      { queue_type: input.queueType, queue_id: input.queueId },
      { body: enqueueWire(input), expect: [201], retrySafe: true, headers: await traceHeaders(input) },
    );
    const { status: _status, message: _message, ...rest } = reply.body as ReplyBody<'/enqueue/{queue_type}/{queue_id}/', 'post', 201>;
    return camelize(rest);
  }

  /**
   * Enqueues up to `max_batch` jobs; each job is atomic, so the batch is retried as a whole (duplicates
   * are harmless). A job's own `traceparent` goes with it; the others get the active span's.
   */
  async enqueueBatch<P>(input: { queueType: string; jobs: ReadonlyArray<EnqueueJob<P>> }): Promise<BatchEnqueueResult[]> {
    const jobs: BatchEnqueueWire[] = input.jobs.map((job) => ({
      queue_id: job.queueId,
      ...enqueueWire(job),
      ...(job.traceparent === undefined ? {} : { traceparent: job.traceparent, tracestate: job.tracestate }),
    }));
    const reply = await this.call('enqueueBatch', { queue_type: input.queueType }, {
      body: { jobs },
      expect: [200],
      retrySafe: true,
      headers: await activeTraceHeaders(),
    });
    return (reply.body as ReplyBody<'/enqueue/{queue_type}/', 'post', 200>).results.map((r) => {
      if (r.status === 'queued') {
        const { message: _message, ...rest } = r;
        return camelize(rest);
      }
      return camelize(r);
    });
  }

  /**
   * One job, or null when none is ready (after `waitMs` when given). With `count`, 0 to count jobs.
   * Never retried: a retry after a lost reply would take a second job.
   */
  dequeue<P = unknown>(input?: DequeueInput): Promise<Job<P> | null>;
  dequeue<P = unknown>(input: DequeueInput & { count: number }): Promise<Array<Job<P>>>;
  async dequeue<P = unknown>(input: DequeueInput & { count?: number } = {}): Promise<Job<P> | null | Array<Job<P>>> {
    const { queueType, waitMs, count, signal } = input;
    const operation = queueType === undefined ? 'dequeueDefault' : 'dequeue';
    const reply = await this.call(operation, queueType === undefined ? {} : { queue_type: queueType }, {
      query: { wait: waitMs, count },
      expect: [200, 404],
      retrySafe: false,
      extraTimeoutMs: waitMs,
      signal,
    });
    if (reply.status === 404) return count === undefined ? null : [];
    const body = reply.body as ReplyBody<'/dequeue/{queue_type}/', 'get', 200>;
    const jobs = 'jobs' in body ? body.jobs : [body];
    const out = jobs.map((job) => {
      const { status: _status, ...rest } = job as typeof job & { status?: string };
      return camelize(rest) as Job<P>;
    });
    return count === undefined ? (out[0] ?? null) : out;
  }

  /** Finishes an active job; SharqNotFoundError when it is not active (unknown, finished, or expired and requeued). */
  async finish(input: JobAddress): Promise<void> {
    await this.call('finish', { queue_type: input.queueType, queue_id: input.queueId, job_id: input.jobId }, { expect: [200], retrySafe: false });
  }

  /**
   * Finishes an active job and gets the next job of the type in the same request (one round trip per
   * job): null when none came within `waitMs` (default 0). SharqNotFoundError when the job was not
   * active, and then nothing was handed out. Never retried, as dequeue.
   */
  async finishAndNext<P = unknown>(input: JobAddress & { waitMs?: number; signal?: AbortSignal }): Promise<Job<P> | null> {
    const reply = await this.call('finish', { queue_type: input.queueType, queue_id: input.queueId, job_id: input.jobId }, {
      query: { next: 1, wait: input.waitMs },
      expect: [200],
      retrySafe: false,
      extraTimeoutMs: input.waitMs,
      signal: input.signal,
    });
    const body = reply.body as Extract<ReplyBody<'/finish/{queue_type}/{queue_id}/{job_id}/', 'post', 200>, { next: unknown }>;
    return body.next === null ? null : (camelize(body.next) as Job<P>);
  }

  /** Fails an active job (see fail()) and gets the next job of the type in the same request. */
  async failAndNext<P = unknown>(input: FailInput & { waitMs?: number; signal?: AbortSignal }): Promise<FailResult & { next: Job<P> | null }> {
    const body: RequestBody<'/fail/{queue_type}/{queue_id}/{job_id}/', 'post'> = {
      error: input.error,
      retry_in_ms: input.retryInMs,
      hold_queue_ms: input.holdQueueMs,
    };
    const reply = await this.call('fail', { queue_type: input.queueType, queue_id: input.queueId, job_id: input.jobId }, {
      body,
      query: { next: 1, wait: input.waitMs },
      expect: [200],
      retrySafe: false,
      extraTimeoutMs: input.waitMs,
      signal: input.signal,
    });
    const wire = reply.body as Extract<ReplyBody<'/fail/{queue_type}/{queue_id}/{job_id}/', 'post', 200>, { next: unknown }>;
    const { status: _status, next, ...rest } = wire;
    return { ...camelize(rest), next: next === null ? null : (camelize(next) as Job<P>) };
  }

  /** Finishes several jobs; true for each that was active. */
  async finishBatch(input: { queueType: string; jobs: readonly JobRef[] }): Promise<boolean[]> {
    const reply = await this.call('finishBatch', { queue_type: input.queueType }, { body: { jobs: jobRefsWire(input.jobs) }, expect: [200], retrySafe: false });
    return (reply.body as ReplyBody<'/finish/{queue_type}/', 'post', 200>).results.map((r) => r.status === 'success');
  }

  /** Finishes several jobs and takes up to `count` next jobs of the type in the same request (waiting up to `waitMs` when none is ready). */
  async finishBatchAndTake<P = unknown>(input: {
    queueType: string;
    jobs: readonly JobRef[];
    count: number;
    waitMs?: number;
    signal?: AbortSignal;
  }): Promise<{ results: boolean[]; jobs: Array<Job<P>> }> {
    const reply = await this.call('finishBatch', { queue_type: input.queueType }, {
      body: { jobs: jobRefsWire(input.jobs) },
      query: { count: input.count, wait: input.waitMs },
      expect: [200],
      retrySafe: false,
      extraTimeoutMs: input.waitMs,
      signal: input.signal,
    });
    const wire = reply.body as ReplyBody<'/finish/{queue_type}/', 'post', 200>;
    return { results: wire.results.map((r) => r.status === 'success'), jobs: (wire.jobs ?? []).map((job) => camelize(job) as Job<P>) };
  }

  /** Extends an active job's lease to `extendMs` from now (default job_expire_interval); SharqNotFoundError when not active. */
  async touch(input: JobAddress & { extendMs?: number }): Promise<Touched> {
    const body: RequestBody<'/touch/{queue_type}/{queue_id}/{job_id}/', 'post'> = { extend_ms: input.extendMs };
    const reply = await this.call('touch', { queue_type: input.queueType, queue_id: input.queueId, job_id: input.jobId }, { body, expect: [200], retrySafe: true });
    return { expiresAtMs: (reply.body as ReplyBody<'/touch/{queue_type}/{queue_id}/{job_id}/', 'post', 200>).expires_at_ms };
  }

  /**
   * Fails an active job: its lease ends now and it is retried (after `retryInMs`, or its back-off) or,
   * past its requeue limit, dead-lettered. SharqNotFoundError when it is not active. Not retried: a
   * retry after a lost reply would answer 404 for a fail that went through.
   */
  async fail(input: FailInput): Promise<FailResult> {
    const body: RequestBody<'/fail/{queue_type}/{queue_id}/{job_id}/', 'post'> = {
      error: input.error,
      retry_in_ms: input.retryInMs,
      hold_queue_ms: input.holdQueueMs,
    };
    const reply = await this.call('fail', { queue_type: input.queueType, queue_id: input.queueId, job_id: input.jobId }, { body, expect: [200], retrySafe: false });
    const { status: _status, ...rest } = reply.body as ReplyBody<'/fail/{queue_type}/{queue_id}/{job_id}/', 'post', 200>;
    return camelize(rest);
  }

  /** Where a job is; null when unknown or finished. */
  async jobStatus(input: JobAddress): Promise<JobStatus | null> {
    const reply = await this.call('jobStatus', { queue_type: input.queueType, queue_id: input.queueId, job_id: input.jobId }, { expect: [200, 404], retrySafe: true });
    if (reply.status === 404) return null;
    const { status: _status, ...rest } = reply.body as ReplyBody<'/job/{queue_type}/{queue_id}/{job_id}/', 'get', 200>;
    return camelize(rest) as JobStatus;
  }

  /** Sets and pins a queue's interval; SharqNotFoundError when the queue does not exist. */
  async setInterval(input: { queueType: string; queueId: string; interval: number }): Promise<void> {
    const body: RequestBody<'/interval/{queue_type}/{queue_id}/', 'post'> = { interval: input.interval };
    await this.call('setInterval', { queue_type: input.queueType, queue_id: input.queueId }, { body, expect: [200], retrySafe: true });
  }

  /**
   * Pauses a type (every queue of it) or, with `queueId`, one queue: it hands out no job and still takes
   * enqueues. Resolves with the Redis time the pause ends, or null (until resumed). Retried: a repeated
   * pause replaces the earlier one.
   */
  async pause(input: PauseInput): Promise<number | null> {
    const { operation, params } = flowRoute(input, 'pauseType', 'pauseQueue');
    const body: RequestBody<'/pause/{queue_type}/', 'post'> = { for_ms: input.forMs };
    const reply = await this.call(operation, params, { body, expect: [200], retrySafe: true });
    return (reply.body as ReplyBody<'/pause/{queue_type}/', 'post', 200>).paused_until_ms;
  }

  /** Ends the pause of a type or of one queue (or a fail's hold); resuming what is not paused changes nothing. */
  async resume(input: FlowTarget): Promise<void> {
    const { operation, params } = flowRoute(input, 'resumeType', 'resumeQueue');
    await this.call(operation, params, { expect: [200], retrySafe: true });
  }

  /** The limits and pause of a type, or of one queue with `queueId` (null where unset). */
  limits(input: FlowTarget & { queueId: string }): Promise<QueueLimits>;
  limits(input: FlowTarget & { queueId?: undefined }): Promise<TypeLimits>;
  limits(input: FlowTarget): Promise<TypeLimits | QueueLimits>;
  async limits(input: FlowTarget): Promise<TypeLimits | QueueLimits> {
    const { operation, params } = flowRoute(input, 'getTypeLimits', 'getQueueLimits');
    const reply = await this.call(operation, params, { expect: [200], retrySafe: true });
    const { status: _status, ...rest } = reply.body as
      | ReplyBody<'/limits/{queue_type}/', 'get', 200>
      | ReplyBody<'/limits/{queue_type}/{queue_id}/', 'get', 200>;
    return camelize(rest);
  }

  /** Sets a type's maxActive and token bucket (null removes one); resolves with the limits after the change. */
  async setTypeLimits(input: TypeLimitsInput): Promise<TypeLimits> {
    const reply = await this.call('setTypeLimits', { queue_type: input.queueType }, { body: typeLimitsWire(input), expect: [200], retrySafe: true });
    const { status: _status, ...rest } = reply.body as ReplyBody<'/limits/{queue_type}/', 'post', 200>;
    return camelize(rest);
  }

  /** Sets and pins a queue's interval and maxActive; SharqNotFoundError when the queue does not exist. */
  async setQueueLimits(input: QueueLimitsInput): Promise<QueueLimits> {
    const reply = await this.call('setQueueLimits', { queue_type: input.queueType, queue_id: input.queueId }, {
      body: queueLimitsWire(input),
      expect: [200],
      retrySafe: true,
    });
    const { status: _status, ...rest } = reply.body as ReplyBody<'/limits/{queue_type}/{queue_id}/', 'post', 200>;
    return camelize(rest);
  }

  async deleteQueue(input: { queueType: string; queueId: string; purgeAll?: boolean }): Promise<DeleteQueueResult> {
    const body: RequestBody<'/deletequeue/{queue_type}/{queue_id}/', 'delete'> = { purge_all: input.purgeAll ?? false };
    const reply = await this.call('deleteQueue', { queue_type: input.queueType, queue_id: input.queueId }, { body, expect: [200], retrySafe: false });
    const wire = reply.body as ReplyBody<'/deletequeue/{queue_type}/{queue_id}/', 'delete', 200>;
    return { removed: wire.status === 'Success', message: wire.message };
  }

  /** A page of the queues of a type (optionally those whose id starts with `prefix`). */
  async queues(input: { queueType: string; cursor?: Cursor; limit?: number; prefix?: string }): Promise<QueuePage> {
    const query = { cursor: input.cursor ?? undefined, limit: input.limit, prefix: input.prefix };
    const reply = await this.call('queues', { queue_type: input.queueType }, { query, expect: [200], retrySafe: true });
    const { status: _status, queues, next_cursor: nextCursor, totals, limits } = reply.body as ReplyBody<'/queues/{queue_type}/', 'get', 200>;
    return {
      queues: queues.map((q) => camelize(q)),
      nextCursor,
      ...(totals === undefined ? {} : { totals: camelize(totals) }),
      ...(limits === undefined ? {} : { limits: camelize(limits) }),
    };
  }

  /** A page of the waiting jobs of a queue, in dequeue order from `offset`. */
  async jobs<P = unknown>(input: { queueType: string; queueId: string; offset?: number; limit?: number }): Promise<JobPage<P>> {
    const reply = await this.call('jobs', { queue_type: input.queueType, queue_id: input.queueId }, { query: { offset: input.offset, limit: input.limit }, expect: [200], retrySafe: true });
    const { status: _status, jobs, ...rest } = reply.body as ReplyBody<'/jobs/{queue_type}/{queue_id}/', 'get', 200>;
    return { jobs: jobs.map((j) => camelize(j) as WaitingJob<P>), ...rest };
  }

  async deadLetters<P = unknown>(input: { queueType: string; cursor?: Cursor; limit?: number }): Promise<{ jobs: Array<DeadJob<P>>; nextCursor: Cursor }> {
    const reply = await this.call('deadLetters', { queue_type: input.queueType }, { query: { cursor: input.cursor ?? undefined, limit: input.limit }, expect: [200], retrySafe: true });
    const wire = reply.body as ReplyBody<'/dead/{queue_type}/', 'get', 200>;
    return { jobs: wire.jobs.map((j) => camelize(j) as DeadJob<P>), nextCursor: wire.next_cursor };
  }

  /** Puts dead letters back at the tail of their queues: the given ones, or all. Returns how many went back. */
  async replayDeadLetters(input: { queueType: string } & ({ jobs: readonly JobRef[] } | { all: true })): Promise<number> {
    const body: RequestBody<'/dead/{queue_type}/replay/', 'post'> = 'all' in input ? { all: true } : { jobs: jobRefsWire(input.jobs) };
    const reply = await this.call('replayDeadLetters', { queue_type: input.queueType }, { body, expect: [200], retrySafe: false });
    return (reply.body as ReplyBody<'/dead/{queue_type}/replay/', 'post', 200>).replayed;
  }

  async deleteDeadLetters(input: { queueType: string }): Promise<number> {
    const reply = await this.call('deleteDeadLetters', { queue_type: input.queueType }, { expect: [200], retrySafe: true });
    return (reply.body as ReplyBody<'/dead/{queue_type}/', 'delete', 200>).deleted;
  }

  async metrics(): Promise<GlobalMetrics> {
    const reply = await this.call('metrics', {}, { expect: [200], retrySafe: true });
    const { status: _status, ...rest } = reply.body as ReplyBody<'/metrics/', 'get', 200>;
    return camelize(rest);
  }

  /** The queues of a type with queued or active jobs. */
  async typeMetrics(input: { queueType: string }): Promise<string[]> {
    const reply = await this.call('typeMetrics', { queue_type: input.queueType }, { expect: [200], retrySafe: true });
    return (reply.body as ReplyBody<'/metrics/{queue_type}/', 'get', 200>).queue_ids;
  }

  async queueMetrics(input: { queueType: string; queueId: string }): Promise<QueueMetrics> {
    const reply = await this.call('queueMetrics', { queue_type: input.queueType, queue_id: input.queueId }, { expect: [200], retrySafe: true });
    const { status: _status, ...rest } = reply.body as ReplyBody<'/metrics/{queue_type}/{queue_id}/', 'get', 200>;
    return camelize(rest);
  }

  /** True when the server and its Redis answer; false on 503. */
  async deepStatus(): Promise<boolean> {
    const reply = await this.call('deepStatus', {}, { expect: [200, 503], retrySafe: false });
    return reply.status === 200;
  }

  /** Prometheus text exposition. */
  async prometheus(): Promise<string> {
    const reply = await this.call('prometheus', {}, { expect: [200], retrySafe: true });
    return typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  }

  /** The server's OpenAPI document. */
  async openapi(): Promise<Record<string, unknown>> {
    const reply = await this.call('openapi', {}, { expect: [200], retrySafe: true });
    return reply.body as Record<string, unknown>;
  }
}
