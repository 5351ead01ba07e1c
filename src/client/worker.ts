// runWorker: the poll loop every SharQ user writes by hand, done once. Long-polls for jobs (in
// batches when asked), runs the handler, finishes on success, fails the job when the handler throws
// (the server retries it with its back-off up to its requeue_limit, or dead-letters it; a JobFailure
// asks for a given retry delay and a hold of the queue), keeps the lease of a slow job alive, backs
// off while the server is unavailable, and stops gracefully on an AbortSignal. A single-job worker
// asks for its next job in the request that finishes (or fails) the last one (SPEC 5.15), so a busy
// type costs one request per job; it long-polls only when that request brings none.
import { SharqClient, type SharqClientOptions } from './client.js';
import { SharqError, SharqNotFoundError, SharqProtocolError, SharqUnavailableError } from './errors.js';
import { backoffMs, pause } from './transport.js';
import type { FailResult, Job } from './types.js';
import { startLease, type LeaseOptions } from './lease.js';
import { Slots } from './slots.js';
import { inJobSpan, loadOtel } from './tracing.js';

export interface WorkerJob<P = unknown> extends Job<P> {
  queueType: string;
  /** Aborted when the lease is lost (the job expired and may run elsewhere): stop work early. */
  signal: AbortSignal;
}

export type WorkerEvent =
  | { type: 'job-started'; job: Job }
  | { type: 'job-finished'; job: Job; durationMs: number }
  /**
   * The handler threw and the server took the fail: the job is retried (outcome `retry`, due at
   * runAtMs) or, past its requeue limit, dead-lettered (`dead`).
   */
  | { type: 'job-failed'; job: Job; error: unknown; durationMs: number; outcome: FailResult['outcome']; runAtMs?: number }
  /** The handler threw, but the fail did not reach the server (the lease was lost, or it stayed unavailable): the job expires and comes back. */
  | { type: 'fail-lost'; job: Job; error: unknown }
  /** The handler succeeded but the job was no longer active (it expired first). */
  | { type: 'finish-lost'; job: Job; error: unknown }
  | { type: 'lease-extended'; job: Job; expiresAtMs: number }
  | { type: 'lease-lost'; job: Job }
  /** The server (or its Redis) is unavailable or unreachable: the next attempt is in delayMs. */
  | { type: 'backoff'; error: unknown; delayMs: number; attempt: number }
  | { type: 'error'; error: unknown }
  | { type: 'stopping'; inFlight: number };

export interface WorkerOptions<P = unknown> extends SharqClientOptions, LeaseOptions {
  queueType: string;
  handler: (job: WorkerJob<P>) => Promise<void> | void;
  /** Jobs run at once. Default 1. */
  concurrency?: number;
  /** Jobs asked for per dequeue (GET ?count=); 1 (the default) uses the single-job dequeue. */
  batchSize?: number;
  /** Long-poll wait per dequeue in ms (server maximum `max_wait_ms`). Default 20000. */
  waitMs?: number;
  /** Pause after a dequeue that found nothing sooner than half its wait (a server without long-poll). Default 250. */
  idlePauseMs?: number;
  /** First back-off after an unavailable server; doubles up to maxBackoffMs. Default 250 / 10000. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Stops the worker: no dequeue is sent any more and the long-polls waiting are abandoned; the jobs
   * already received are handled, their finishes answered, and then runWorker resolves.
   */
  signal?: AbortSignal;
  /** Everything the worker has to say (it never writes to the console). */
  onEvent?: (event: WorkerEvent) => void;
  /** Use this client instead of making one from url/token. */
  client?: SharqClient;
}

/** What the worker did, exact once runWorker resolves: finished + failed + lost = jobs handled. */
export interface WorkerSummary {
  /** The handler resolved and the server took the finish. */
  finished: number;
  /** The handler threw and the server took the fail (retried + dead = failed). */
  failed: number;
  /** Of the failed: sent back for another attempt. */
  retried: number;
  /** Of the failed: past their requeue limit, into the dead letters. */
  dead: number;
  /** The job was no longer active when its handler returned or threw (lease lost, or finish/fail answered 404): `finish-lost`, `fail-lost`. */
  lost: number;
}

/**
 * Thrown by a handler to fail its job with a given retry delay and, when its downstream asked to
 * back off (a 429 with Retry-After), a hold of the job's queue; other queues go on. Any other error
 * fails the job with its message, and the job's own back-off decides the wait.
 */
export class JobFailure extends Error {
  readonly retryInMs: number | undefined;
  readonly holdQueueMs: number | undefined;
  constructor(message: string, options: { retryInMs?: number; holdQueueMs?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'JobFailure';
    this.retryInMs = options.retryInMs;
    this.holdQueueMs = options.holdQueueMs;
  }
}

/** The error text a fail sends: an Error's message, or the thrown value as text. */
function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message === '' ? error.name : error.message;
  return typeof error === 'string' ? error : String(error);
}

export async function runWorker<P = unknown>(options: WorkerOptions<P>): Promise<WorkerSummary> {
  const client = options.client ?? new SharqClient(options);
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const batchSize = Math.max(1, options.batchSize ?? 1);
  const waitMs = options.waitMs ?? 20_000;
  const idlePauseMs = options.idlePauseMs ?? 250;
  const baseBackoffMs = options.backoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;
  const { queueType } = options;
  // Stops the pollers: the caller's signal, or an error no retry can fix (so no long-poll lingers).
  const halt = new AbortController();
  const signal = halt.signal;
  const onStop = (): void => halt.abort(options.signal?.reason);
  if (options.signal?.aborted) onStop();
  options.signal?.addEventListener('abort', onStop, { once: true });
  const emit = (event: WorkerEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // A throwing hook must not stop the worker.
    }
  };
  const slots = new Slots(concurrency);
  const summary: WorkerSummary = { finished: 0, failed: 0, retried: 0, dead: 0, lost: 0 };
  // Every job received, until its handler has returned and its finish has been answered.
  const inFlight = new Set<Promise<void>>();
  let fatal: unknown;

  /**
   * Finishes the job (retrying through a short outage); false when the server no longer had it active.
   * With `next`, the same request brings the next job of the type, if one is ready (SPEC 5.15).
   */
  async function finish(job: Job, next: boolean): Promise<{ finished: boolean; next: Job<P> | null }> {
    for (let attempt = 0; ; attempt++) {
      try {
        const address = { queueType, queueId: job.queueId, jobId: job.jobId };
        const nextJob = next ? await client.finishAndNext<P>(address) : (await client.finish(address), null);
        summary.finished++;
        return { finished: true, next: nextJob };
      } catch (error) {
        // A retried finish whose first attempt went through answers 404: count it done, it was. (A next
        // job its lost reply carried is left to expire and come back, as a lost dequeue's is.)
        if (error instanceof SharqNotFoundError && attempt > 0) {
          summary.finished++;
          return { finished: true, next: null };
        }
        if (error instanceof SharqUnavailableError && attempt < 5) {
          await pause(backoffMs(baseBackoffMs, attempt, maxBackoffMs));
          continue;
        }
        summary.lost++;
        emit({ type: 'finish-lost', job, error });
        return { finished: false, next: null };
      }
    }
  }

  /**
   * Fails the job (retrying through a short outage); undefined when the server no longer had it
   * active. With `next`, the same request brings the next job of the type, if one is ready.
   */
  async function fail(job: Job, error: unknown, next: boolean): Promise<(FailResult & { next: Job<P> | null }) | undefined> {
    const asked = error instanceof JobFailure ? { retryInMs: error.retryInMs, holdQueueMs: error.holdQueueMs } : {};
    for (let attempt = 0; ; attempt++) {
      try {
        const input = { queueType, queueId: job.queueId, jobId: job.jobId, error: errorMessage(error), ...asked };
        return next ? await client.failAndNext<P>(input) : { ...(await client.fail(input)), next: null };
      } catch (failError) {
        if (failError instanceof SharqUnavailableError && attempt < 5) {
          await pause(backoffMs(baseBackoffMs, attempt, maxBackoffMs));
          continue;
        }
        // A retried fail whose first attempt went through answers 404 too: its outcome is unknown,
        // so it is counted lost (the job is retried or dead either way, as the server decided).
        summary.lost++;
        emit({ type: 'fail-lost', job, error: failError });
        return undefined;
      }
    }
  }

  /**
   * Runs the handler and finishes or fails the job. With `chained`, that request also asks for the
   * next job unless the worker is stopping by then, and returns it.
   */
  async function run(job: Job<P>, chained = false): Promise<Job<P> | null> {
    const started = Date.now();
    const lease = startLease(client, queueType, job, options, emit);
    emit({ type: 'job-started', job });
    try {
      // In a span of the producer's trace, when the app uses OpenTelemetry (SPEC 5.16).
      await inJobSpan({ ...job, queueType }, async () => {
        await options.handler({ ...job, queueType, signal: lease.signal });
      });
    } catch (error) {
      lease.stop();
      // A lost lease means the job may be running elsewhere now: a fail would end that lease.
      if (lease.signal.aborted) {
        summary.lost++;
        emit({ type: 'fail-lost', job, error });
        return null;
      }
      const asks = chained && startAsk();
      const result = await fail(job, error, asks);
      if (result === undefined || result.next === null) {
        if (asks) endAsk();
      }
      if (result === undefined) return null;
      summary.failed++;
      if (result.outcome === 'dead') summary.dead++;
      else summary.retried++;
      const { next: nextJob, ...outcome } = result;
      emit({ type: 'job-failed', job, error, durationMs: Date.now() - started, ...outcome });
      return nextJob;
    }
    lease.stop();
    if (lease.signal.aborted) {
      summary.lost++;
      emit({ type: 'finish-lost', job, error: new SharqNotFoundError('the lease was lost before the handler returned') });
      return null;
    }
    const asks = chained && startAsk();
    const done = await finish(job, asks);
    if (done.finished) emit({ type: 'job-finished', job, durationMs: Date.now() - started });
    if (asks && done.next === null) endAsk();
    return done.next;
  }

  /**
   * A single-job slot: runs the job, and each finish or fail asks for the next job in the same
   * request while the worker is not stopping, so a busy type costs one request per job.
   */
  async function runChain(first: Job<P>): Promise<void> {
    for (let job: Job<P> | null = first; job !== null; ) {
      const running = run(job, true);
      // run() has emitted job-started by now: the ask that brought this job is over.
      if (job !== first) endAsk();
      job = await running;
    }
  }

  // Finish or fail requests that ask for the next job, until the job they bring has started: the
  // worker says `stopping` only once none is left, so no job starts after it.
  let asking = 0;
  let asksEnded: (() => void) | undefined;
  /** Decided when a handler is done (a stop may have come while it ran): a stopping worker asks for no more jobs. */
  function startAsk(): boolean {
    if (signal.aborted || fatal !== undefined) return false;
    asking += 1;
    return true;
  }
  function endAsk(): void {
    asking -= 1;
    if (asking === 0) asksEnded?.();
  }

  /** Runs a received job in the slot taken for it; runWorker waits for it before it resolves. */
  function start(job: Job<P>): void {
    const running: Promise<void> = (batchSize > 1 ? run(job).then(() => undefined) : runChain(job))
      .catch((error: unknown) => emit({ type: 'error', error }))
      .finally(() => {
        inFlight.delete(running);
        slots.give(1);
      });
    inFlight.add(running);
  }

  /** One poll loop: take slots, long-poll for that many jobs, start them, give back the rest. */
  async function poll(): Promise<void> {
    let failures = 0;
    while (!signal.aborted && fatal === undefined) {
      const asked = await slots.take(batchSize, signal);
      if (asked === 0 || fatal !== undefined) {
        slots.give(asked);
        return;
      }
      const polledAt = Date.now();
      let jobs: Array<Job<P>> = [];
      try {
        jobs =
          batchSize > 1
            ? await client.dequeue<P>({ queueType, waitMs, count: asked, signal })
            : [await client.dequeue<P>({ queueType, waitMs, signal })].filter((j): j is Job<P> => j !== null);
        failures = 0;
      } catch (error) {
        // Aborted by the stop: a job the server handed out to this very request is left to expire.
        slots.give(asked);
        if (signal.aborted) return;
        if (error instanceof SharqUnavailableError || error instanceof SharqProtocolError) {
          const delayMs = backoffMs(baseBackoffMs, failures, maxBackoffMs);
          emit({ type: 'backoff', error, delayMs, attempt: ++failures });
          await pause(delayMs, signal).catch(() => undefined);
          continue;
        }
        // 400 (bad queue type or wait), 401 (token): no retry can fix them.
        fatal ??= error;
        emit({ type: 'error', error });
        halt.abort(error);
        return;
      }
      // Jobs received are run even if the stop came while their reply was being read: the server
      // handed them out before it, and leaving them would hold them until they expire. (Should a
      // server send more than asked, the extras run too: a negative give() takes their slots.)
      slots.give(asked - jobs.length);
      for (const job of jobs) start(job);
      if (jobs.length === 0 && Date.now() - polledAt < waitMs / 2) await pause(idlePauseMs, signal).catch(() => undefined);
    }
  }

  // Handler spans need @opentelemetry/api at hand before the first job (when the app has it).
  await loadOtel();
  // Single-job dequeues: one long-poll per slot, so handlers are never starved by one poller's
  // round trips. Batches: one poller asks for as many jobs as there are free slots.
  const pollers = batchSize > 1 ? 1 : concurrency;
  const wakePollers = (): void => slots.wake();
  signal.addEventListener('abort', wakePollers, { once: true });
  await Promise.all(Array.from({ length: pollers }, () => poll()));
  if (asking > 0) await new Promise<void>((resolve) => (asksEnded = resolve));
  // No poller runs now, so no job is added to inFlight: wait for the handlers and finishes still going.
  emit({ type: 'stopping', inFlight: inFlight.size });
  await Promise.all(inFlight);
  options.signal?.removeEventListener('abort', onStop);
  if (fatal !== undefined) throw fatal instanceof SharqError ? fatal : new SharqError(String(fatal), { cause: fatal });
  return { ...summary };
}
