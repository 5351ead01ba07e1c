// The soak's clients (test/faults/soak.test.ts): producers of single and batch enqueues, consumers
// of every delivery path (long-poll, batch, finish-and-next, fail-and-next, batch finish with count)
// that finish, fail or abandon what they get, and the settling of the ledger after the load. Every
// exchange goes to the JobLedger; faults make requests fail, and a request without a clear answer
// is never counted as acknowledged.
import { setTimeout as sleep } from 'node:timers/promises';

import { request } from '../helpers/fetch.js';
import { JobLedger, type DeadLetter, type Delivered, type JobSpec, type Span } from '../helpers/job-ledger.js';

/** The instances clients spread their requests over; a fault takes one out and puts its successor in. */
export class InstancePool {
  private turn = 0;
  constructor(private urls: string[]) {}

  add(url: string): void {
    this.urls = [...this.urls, url];
  }

  remove(url: string): void {
    this.urls = this.urls.filter((u) => u !== url);
  }

  pick(): string {
    const url = this.urls[this.turn++ % this.urls.length];
    if (url === undefined) throw new Error('no instance in the pool');
    return url;
  }
}

/** A reply, or 'lost': the connection failed or timed out, so what the server did is unknown. */
export type Answer = { status: number; body: unknown } | { status: 'lost'; message: string };

export type Route = 'enqueue' | 'enqueue batch' | 'dequeue' | 'finish' | 'finish batch' | 'fail' | 'job' | 'dead';

/** The statuses each route may answer during faults (503: Redis unreachable). */
const EXPECTED: Record<Route, readonly number[]> = {
  enqueue: [201, 503],
  'enqueue batch': [200, 503],
  dequeue: [200, 404, 503],
  finish: [200, 404, 503],
  'finish batch': [200, 503],
  fail: [200, 404, 503],
  job: [200, 404, 503],
  dead: [200, 503],
};

/** A failure of the connection itself (not a reply the harness's contract check refused). */
function isTransportError(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  return typeof (error as NodeJS.ErrnoException).code === 'string' || /no answer within|socket hang up/.test(error.message);
}

/** Sends requests over the pool, counting statuses and keeping every reply nobody expected. */
export class Transport {
  readonly statuses = new Map<string, number>();
  /** Unexpected statuses and replies the OpenAPI check refused: each fails the soak. */
  readonly unexpected: string[] = [];
  /** Requests that took over 3 s (long-polls wait at most 1 s), for the report. */
  readonly slow: string[] = [];

  /** Times in `slow` are counted from here, as the soak counts its faults. */
  private readonly t0 = Date.now();

  constructor(private readonly pool: InstancePool) {}

  async call(route: Route, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 10_000): Promise<{ answer: Answer; span: Span }> {
    const url = this.pool.pick();
    const sentAt = Date.now();
    let answer: Answer;
    try {
      const res = await request(`${url}${path}`, { method, body, timeoutMs });
      answer = { status: res.status, body: res.body };
      if (!EXPECTED[route].includes(res.status)) this.unexpected.push(`${method} ${path} -> ${res.status} ${res.text.slice(0, 300)}`);
    } catch (error) {
      if (!isTransportError(error)) this.unexpected.push(`${method} ${path}: ${error instanceof Error ? error.message : String(error)}`);
      answer = { status: 'lost', message: error instanceof Error ? error.message : String(error) };
    }
    const key = `${route} ${answer.status}`;
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
    const recvAt = Date.now();
    if (recvAt - sentAt > 3000) this.slow.push(`+${sentAt - this.t0} ms ${method} ${url}${path} -> ${answer.status} after ${recvAt - sentAt} ms`);
    return { answer, span: { sentAt, recvAt } };
  }
}

function pickOf<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** Payloads of every JSON shape (objects, strings, numbers, arrays), some a few KB, with characters that need escaping. */
function payloadFor(n: number): unknown {
  switch (n % 5) {
    case 0:
      return { n, text: `soak ${n} «ünïcødé» "quoted" \\ back\nslash`, list: [n, n / 4, null, true, 'x'], nested: { deep: { n } } };
    case 1:
      return `plain string ${n} 🙂`;
    case 2:
      return n * 1.5;
    case 3:
      return [n, { k: 'v' }, []];
    default:
      return { n, blob: 'x'.repeat(200 + (n % 7) * 300) };
  }
}

export interface TrafficOptions {
  ledger: JobLedger;
  transport: Transport;
  queueTypes: readonly string[];
  /** Draws the mix (job options, what a consumer does with a job); Math.random in the soak. */
  random: () => number;
  /** Producers wait while this many acknowledged jobs are unsettled, so the drain stays short. */
  maxOutstanding: number;
}

type Action = 'finish' | 'fail' | 'abandon';

/** Wire fields of one job of an enqueue (single or batch), from its spec. */
function wireJob(spec: JobSpec): Record<string, unknown> {
  return {
    job_id: spec.jobId,
    interval: 0,
    payload: spec.payload,
    requeue_limit: spec.requeueLimit,
    ...(spec.delayMs > 0 ? { delay_ms: spec.delayMs } : {}),
    ...(spec.backoffMs > 0 ? { backoff_ms: spec.backoffMs, backoff_max_ms: spec.backoffMaxMs } : {}),
  };
}

function isDelivered(value: unknown): value is Delivered {
  return typeof value === 'object' && value !== null && typeof (value as Delivered).job_id === 'string' && typeof (value as Delivered).attempt === 'number';
}

/** The job of a single dequeue reply, of a `next` field, or of a `jobs` array. */
function jobsIn(body: unknown, field?: 'next' | 'jobs'): Delivered[] {
  const value = field === undefined ? body : (body as Record<string, unknown> | null)?.[field];
  if (Array.isArray(value)) return value.filter(isDelivered);
  return isDelivered(value) ? [value] : [];
}

/**
 * Producers and consumers over the pool. `drain()` makes consumers finish everything they get
 * (no fails, no abandons) and stops the producers; `stop()` ends the consumers.
 */
export class Traffic {
  private producing = true;
  private consuming = true;
  private draining = false;
  private counter = 0;
  private readonly producers: Promise<void>[] = [];
  private readonly consumers: Promise<void>[] = [];
  private outstandingCache = { at: 0, value: 0 };

  constructor(private readonly opts: TrafficOptions) {}

  private get ledger(): JobLedger {
    return this.opts.ledger;
  }

  private call(...args: Parameters<Transport['call']>): ReturnType<Transport['call']> {
    return this.opts.transport.call(...args);
  }

  startProducers(singles: number, batches: number): void {
    for (let p = 0; p < singles; p++) this.producers.push(this.produce(`s${p}`, 1));
    for (let p = 0; p < batches; p++) this.producers.push(this.produce(`b${p}`, 12));
  }

  /** Consumers of each style on each type. */
  startConsumers(): void {
    const styles = ['single', 'chain', 'batch'] as const;
    for (const queueType of this.opts.queueTypes) {
      for (const style of styles) this.consumers.push(this.consume(`${style}-${queueType}`, queueType, style));
    }
  }

  async drain(): Promise<void> {
    this.draining = true;
    this.producing = false;
    await Promise.all(this.producers);
  }

  async stop(): Promise<void> {
    this.producing = false;
    this.consuming = false;
    await Promise.all([...this.producers, ...this.consumers]);
  }

  // -- producing --------------------------------------------------------------------------------

  private newSpec(producer: string): JobSpec {
    const { random } = this.opts;
    const n = this.counter++;
    const delayed = random() < 0.15;
    const backoff = random() < 0.25;
    return {
      queueType: pickOf(random, this.opts.queueTypes),
      queueId: `q${Math.floor(random() * 6)}`,
      jobId: `${producer}-${n}`,
      payload: payloadFor(n),
      requeueLimit: pickOf(random, [-1, -1, -1, 0, 1, 2, 3]),
      delayMs: delayed ? 200 + Math.floor(random() * 1800) : 0,
      backoffMs: backoff ? 50 + Math.floor(random() * 150) : 0,
      backoffMaxMs: 600,
    };
  }

  private outstanding(): number {
    const now = Date.now();
    if (now - this.outstandingCache.at > 200) this.outstandingCache = { at: now, value: this.ledger.outstanding() };
    return this.outstandingCache.value;
  }

  private async produce(name: string, perRequest: number): Promise<void> {
    while (this.producing) {
      if (this.outstanding() > this.opts.maxOutstanding) {
        await sleep(50);
        continue;
      }
      const ok = perRequest === 1 ? await this.enqueueOne(name) : await this.enqueueBatch(name, perRequest);
      // Paced, and backing off after a failure so an outage is not a busy loop.
      await sleep(ok ? 15 * perRequest : 100);
    }
  }

  private async enqueueOne(producer: string): Promise<boolean> {
    const spec = this.newSpec(producer);
    this.ledger.sending(spec);
    const { answer, span } = await this.call('enqueue', 'POST', `/enqueue/${spec.queueType}/${spec.queueId}/`, wireJob(spec));
    const body = answer.status === 'lost' ? undefined : (answer.body as { duplicate?: boolean });
    const status = answer.status !== 201 ? 'unknown' : body?.duplicate === true ? 'duplicate' : 'acknowledged';
    this.ledger.enqueued(spec.jobId, 'single', status, span);
    return status !== 'unknown';
  }

  private async enqueueBatch(producer: string, size: number): Promise<boolean> {
    // One type per request (the route's); each job keeps its own options.
    const queueType = pickOf(this.opts.random, this.opts.queueTypes);
    const specs = Array.from({ length: size }, () => ({ ...this.newSpec(producer), queueType }));
    for (const spec of specs) this.ledger.sending(spec);
    const jobs = specs.map((spec) => ({ queue_id: spec.queueId, ...wireJob(spec) }));
    const { answer, span } = await this.call('enqueue batch', 'POST', `/enqueue/${queueType}/`, { jobs });
    const results = answer.status === 200 ? (answer.body as { results: { status: string; duplicate?: boolean }[] }).results : [];
    specs.forEach((spec, i) => {
      const result = results[i];
      const status = result?.status !== 'queued' ? 'unknown' : result.duplicate === true ? 'duplicate' : 'acknowledged';
      if (result !== undefined && result.status !== 'queued') this.opts.transport.unexpected.push(`batch enqueue of ${spec.jobId}: ${JSON.stringify(result)}`);
      this.ledger.enqueued(spec.jobId, 'batch', status, span);
    });
    return answer.status === 200;
  }

  // -- consuming --------------------------------------------------------------------------------

  private action(): Action {
    if (this.draining) return 'finish';
    const r = this.opts.random();
    return r < 0.76 ? 'finish' : r < 0.9 ? 'fail' : 'abandon';
  }

  private failBody(): Record<string, unknown> {
    const { random } = this.opts;
    return { error: `soak: handler failed «${Math.floor(random() * 1000)}»`, ...(random() < 0.3 ? { retry_in_ms: Math.floor(random() * 300) } : {}) };
  }

  private async consume(name: string, queueType: string, style: 'single' | 'chain' | 'batch'): Promise<void> {
    let held: Delivered[] = [];
    while (this.consuming) {
      try {
        if (held.length === 0) held = await this.dequeue(name, queueType, style === 'batch' ? 8 : 1);
        if (held.length === 0) continue;
        held = style === 'batch' ? await this.handleBatch(name, queueType, held) : await this.handleOne(name, queueType, held[0] as Delivered, style === 'chain');
      } catch (error) {
        // A bug of the soak itself: keep it visible, and keep consuming.
        this.opts.transport.unexpected.push(`${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        held = [];
        await sleep(100);
      }
    }
  }

  private async dequeue(consumer: string, queueType: string, count: number): Promise<Delivered[]> {
    const query = count > 1 ? `?count=${count}&wait=1000` : '?wait=1000';
    const via = count > 1 ? 'dequeue count' : 'dequeue wait';
    const { answer, span } = await this.call('dequeue', 'GET', `/dequeue/${queueType}/${query}`);
    if (answer.status !== 200) {
      if (answer.status !== 404) await sleep(100);
      return [];
    }
    const jobs = jobsIn(answer.body, count > 1 ? 'jobs' : undefined);
    for (const job of jobs) this.ledger.delivered(job, consumer, via, span);
    return jobs;
  }

  /** One job: finish, fail or abandon it; with `chain` the finish or fail asks for the next job. Returns that next job. */
  private async handleOne(consumer: string, queueType: string, job: Delivered, chain: boolean): Promise<Delivered[]> {
    const path = `${queueType}/${job.queue_id}/${job.job_id}/${chain ? '?next=1&wait=1000' : ''}`;
    switch (this.action()) {
      case 'abandon':
        await this.abandon(consumer, queueType, job);
        return [];
      case 'finish': {
        const via = chain ? 'finish next' : 'finish';
        const { answer, span } = await this.call('finish', 'POST', `/finish/${path}`);
        const status = answer.status === 200 ? 'acknowledged' : answer.status === 404 ? 'not-active' : 'unknown';
        this.ledger.finished(job.job_id, consumer, via, job.attempt, status, span);
        return this.deliverNext(answer, consumer, via, span);
      }
      case 'fail': {
        const via = chain ? 'fail next' : 'fail';
        const { answer, span } = await this.call('fail', 'POST', `/fail/${path}`, this.failBody());
        this.recordFail(job, consumer, via, answer, span);
        return this.deliverNext(answer, consumer, via, span);
      }
    }
  }

  private deliverNext(answer: Answer, consumer: string, via: string, span: Span): Delivered[] {
    if (answer.status !== 200) return [];
    const next = jobsIn(answer.body, 'next');
    for (const job of next) this.ledger.delivered(job, consumer, via, span);
    return next;
  }

  private recordFail(job: Delivered, consumer: string, via: string, answer: Answer, span: Span): void {
    if (answer.status === 200) {
      const body = answer.body as { outcome: 'retry' | 'dead'; run_at_ms?: number };
      this.ledger.failed(job.job_id, consumer, via, job.attempt, body.outcome, span, body.run_at_ms);
    } else {
      this.ledger.failed(job.job_id, consumer, via, job.attempt, answer.status === 404 ? 'not-active' : 'unknown', span);
    }
  }

  /** Leaves the job to expire, reading its lease back so the audit knows exactly when it ends. */
  private async abandon(consumer: string, queueType: string, job: Delivered): Promise<void> {
    this.ledger.abandoned(job.job_id, consumer, job.attempt);
    const { answer } = await this.call('job', 'GET', `/job/${queueType}/${job.queue_id}/${job.job_id}/`);
    if (answer.status !== 200) return;
    const state = answer.body as { state: string; attempts: number; expires_at_ms?: number };
    if (state.state === 'active' && state.attempts === job.attempt && state.expires_at_ms !== undefined) {
      this.ledger.leaseSeen(job.job_id, job.attempt, state.expires_at_ms);
    }
  }

  /** A batch: fails one by one, abandons, then one batch finish that (mostly) asks for the next batch. */
  private async handleBatch(consumer: string, queueType: string, jobs: Delivered[]): Promise<Delivered[]> {
    const finishing: Delivered[] = [];
    for (const job of jobs) {
      const action = this.action();
      if (action === 'finish') finishing.push(job);
      else if (action === 'abandon') await this.abandon(consumer, queueType, job);
      else {
        const { answer, span } = await this.call('fail', 'POST', `/fail/${queueType}/${job.queue_id}/${job.job_id}/`, this.failBody());
        this.recordFail(job, consumer, 'fail', answer, span);
      }
    }
    if (finishing.length === 0) return [];
    const withNext = this.opts.random() < 0.7;
    const via = withNext ? 'finish batch count' : 'finish batch';
    const body = { jobs: finishing.map((j) => ({ queue_id: j.queue_id, job_id: j.job_id })) };
    const { answer, span } = await this.call('finish batch', 'POST', `/finish/${queueType}/${withNext ? '?count=8&wait=1000' : ''}`, body);
    const results = answer.status === 200 ? (answer.body as { results: { status: string }[] }).results : [];
    finishing.forEach((job, i) => {
      const result = results[i]?.status;
      const status = result === 'success' ? 'acknowledged' : result === 'failure' ? 'not-active' : 'unknown';
      this.ledger.finished(job.job_id, consumer, via, job.attempt, status, span);
    });
    if (answer.status !== 200) return [];
    const next = jobsIn(answer.body, 'jobs');
    for (const job of next) this.ledger.delivered(job, consumer, via, span);
    return next;
  }
}

/** Every dead letter of the types, all pages, into the ledger; false when a page could not be read (the next round reads again). */
export async function readDeadLetters(transport: Transport, ledger: JobLedger, queueTypes: readonly string[]): Promise<boolean> {
  for (const queueType of queueTypes) {
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '?limit=1000' : `?limit=1000&cursor=${encodeURIComponent(cursor)}`;
      const { answer } = await transport.call('dead', 'GET', `/dead/${queueType}/${query}`);
      if (answer.status !== 200) return false;
      const page = answer.body as { jobs: DeadLetter[]; next_cursor: string | null };
      for (const entry of page.jobs) ledger.deadLetter(entry);
      cursor = page.next_cursor;
    } while (cursor !== null);
  }
  return true;
}

/** What GET /job/ says of each job now ('gone' for a 404), into the ledger. */
export async function probeJobs(transport: Transport, ledger: JobLedger, jobIds: readonly string[]): Promise<void> {
  for (const id of jobIds) {
    const spec = ledger.spec(id);
    if (spec === undefined) continue;
    const { answer } = await transport.call('job', 'GET', `/job/${spec.queueType}/${spec.queueId}/${id}/`);
    if (answer.status === 404) ledger.probed(id, 'gone');
    else if (answer.status === 200) ledger.probed(id, JSON.stringify(answer.body));
  }
}

/**
 * Waits until every job the ledger requires is settled (finished, or found in the dead letters,
 * or gone after a finish whose answer was lost), or the deadline passes; returns the unsettled ones.
 */
export async function settle(transport: Transport, ledger: JobLedger, queueTypes: readonly string[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let unsettled = ledger.unsettled();
    if (unsettled.length === 0) return [];
    await readDeadLetters(transport, ledger, queueTypes);
    await probeJobs(transport, ledger, ledger.finishUnknown(ledger.unsettled()));
    unsettled = ledger.unsettled();
    if (unsettled.length === 0 || Date.now() >= deadline) return unsettled;
    await sleep(300);
  }
}
