// A ledger of every job a test sent and of everything that happened to it as the clients saw it
// (enqueues, deliveries, finishes, fails, dead letters), and an audit of it: every job the server
// acknowledged is settled (finished once, or dead-lettered by its requeue limit), no job is handed
// out again while a lease given out for it may still run, payloads come back unchanged. A problem
// names the job and prints its whole history.
//
// Times are this process's Date.now(); the server decides on Redis's TIME, the same system clock
// here. A request's server-side moment is only known to lie between its sentAt and its recvAt, so
// every bound below is taken on the side that cannot blame the server wrongly.
import { isDeepStrictEqual } from 'node:util';

/** What was sent: the job as its enqueue described it. */
export interface JobSpec {
  queueType: string;
  queueId: string;
  jobId: string;
  payload: unknown;
  /** -1: requeued forever. */
  requeueLimit: number;
  delayMs: number;
  backoffMs: number;
  backoffMaxMs: number;
}

/** When a request left and when its reply (or its failure) came back. */
export interface Span {
  sentAt: number;
  recvAt: number;
}

/** A job as a dequeue-like reply handed it out. */
export interface Delivered {
  queue_id: string;
  job_id: string;
  payload: unknown;
  requeues_remaining: number;
  attempt: number;
}

/** A dead letter as GET /dead/ lists it. */
export interface DeadLetter {
  queue_id: string;
  job_id: string;
  reason: string;
  discarded_at_ms: number;
  requeue_limit: number;
  attempts: number;
  payload: unknown;
}

/** 'unknown': no reply, or a 503 (the script may have run before the answer was lost). */
export type EnqueueStatus = 'acknowledged' | 'duplicate' | 'unknown';
export type FinishStatus = 'acknowledged' | 'not-active' | 'unknown';
export type FailStatus = 'retry' | 'dead' | 'not-active' | 'unknown';

export type LedgerEvent =
  | ({ kind: 'enqueue'; via: string; status: EnqueueStatus } & Span)
  | ({ kind: 'deliver'; consumer: string; via: string; attempt: number; requeuesRemaining: number; payload: unknown; queueId: string } & Span)
  | { kind: 'lease'; attempt: number; expiresAtMs: number; at: number }
  | { kind: 'abandon'; consumer: string; attempt: number; at: number }
  | ({ kind: 'finish'; consumer: string; via: string; attempt: number; status: FinishStatus } & Span)
  | ({ kind: 'fail'; consumer: string; via: string; attempt: number; status: FailStatus; runAtMs?: number } & Span)
  | { kind: 'dead-letter'; reason: string; discardedAtMs: number; attempts: number; requeueLimit: number; payload: unknown; at: number }
  | { kind: 'probe'; state: string; at: number };

type EventOf<K extends LedgerEvent['kind']> = Extract<LedgerEvent, { kind: K }>;

interface JobEntry {
  spec: JobSpec;
  events: LedgerEvent[];
}

export interface Violation {
  jobId: string;
  problem: string;
  history: string;
}

export interface LedgerCounts {
  /** Jobs whose enqueue the server acknowledged. */
  acknowledged: number;
  /** Jobs sent without an answer (or with a 503): they may or may not exist. */
  unacknowledged: number;
  deliveries: number;
  /** Deliveries by the route that handed them out. */
  deliveriesVia: Record<string, number>;
  /** Jobs with an acknowledged finish. */
  finished: number;
  /** Acknowledged fails: retried or sent to the dead letters. */
  failed: number;
  retried: number;
  /** Deliveries ended by neither an acknowledged finish nor an acknowledged fail: left to expire. */
  expired: number;
  /** Of those, the ones the consumers left on purpose. */
  abandoned: number;
  dead: number;
  deadByFail: number;
  deadByExpiry: number;
}

export interface AuditOptions {
  /** The servers' job_expire_interval. */
  expireMs: number;
  /** Slack for rounding between Redis's microseconds and this process's milliseconds. */
  marginMs: number;
}

/** Retry n's back-off after a lease ended (lua/include/common.lua backoff_ms). */
function backoffWait(spec: JobSpec, retry: number): number {
  if (spec.backoffMs === 0) return 0;
  return retry > 60 ? spec.backoffMaxMs : Math.min(spec.backoffMs * 2 ** (retry - 1), spec.backoffMaxMs);
}

function of<K extends LedgerEvent['kind']>(entry: JobEntry, kind: K): EventOf<K>[] {
  return entry.events.filter((e): e is EventOf<K> => e.kind === kind);
}

export class JobLedger {
  private readonly jobs = new Map<string, JobEntry>();
  /** Deliveries of job ids this ledger never sent. */
  private readonly strangers: string[] = [];
  private readonly t0 = Date.now();

  /** A job about to be sent; its id must be new (a retried enqueue could revive a finished job). */
  sending(spec: JobSpec): void {
    if (this.jobs.has(spec.jobId)) throw new Error(`job id ${spec.jobId} sent twice`);
    this.jobs.set(spec.jobId, { spec, events: [] });
  }

  enqueued(jobId: string, via: string, status: EnqueueStatus, span: Span): void {
    this.add(jobId, { kind: 'enqueue', via, status, ...span });
  }

  delivered(job: Delivered, consumer: string, via: string, span: Span): void {
    if (!this.jobs.has(job.job_id)) {
      this.strangers.push(`${job.job_id} (to ${consumer} via ${via})`);
      return;
    }
    this.add(job.job_id, {
      kind: 'deliver',
      consumer,
      via,
      attempt: job.attempt,
      requeuesRemaining: job.requeues_remaining,
      payload: job.payload,
      queueId: job.queue_id,
      ...span,
    });
  }

  /** The lease's exact end, read back with GET /job/ while it ran. */
  leaseSeen(jobId: string, attempt: number, expiresAtMs: number): void {
    this.add(jobId, { kind: 'lease', attempt, expiresAtMs, at: Date.now() });
  }

  abandoned(jobId: string, consumer: string, attempt: number): void {
    this.add(jobId, { kind: 'abandon', consumer, attempt, at: Date.now() });
  }

  finished(jobId: string, consumer: string, via: string, attempt: number, status: FinishStatus, span: Span): void {
    this.add(jobId, { kind: 'finish', consumer, via, attempt, status, ...span });
  }

  failed(jobId: string, consumer: string, via: string, attempt: number, status: FailStatus, span: Span, runAtMs?: number): void {
    this.add(jobId, { kind: 'fail', consumer, via, attempt, status, ...span, ...(runAtMs === undefined ? {} : { runAtMs }) });
  }

  /** A dead letter listed by GET /dead/; recorded once per job. */
  deadLetter(entry: DeadLetter): void {
    const job = this.jobs.get(entry.job_id);
    if (job === undefined || of(job, 'dead-letter').length > 0) return;
    this.add(entry.job_id, {
      kind: 'dead-letter',
      reason: entry.reason,
      discardedAtMs: entry.discarded_at_ms,
      attempts: entry.attempts,
      requeueLimit: entry.requeue_limit,
      payload: entry.payload,
      at: Date.now(),
    });
  }

  /** What GET /job/ said of the job ('gone' for a 404), for settling an unanswered finish and for the history. */
  probed(jobId: string, state: string): void {
    this.add(jobId, { kind: 'probe', state, at: Date.now() });
  }

  spec(jobId: string): JobSpec | undefined {
    return this.jobs.get(jobId)?.spec;
  }

  private add(jobId: string, event: LedgerEvent): void {
    const job = this.jobs.get(jobId);
    if (job === undefined) throw new Error(`ledger: no job ${jobId}`);
    job.events.push(event);
  }

  /** Jobs the audit holds the server to: acknowledged, or seen delivered (so they exist). */
  private required(entry: JobEntry): boolean {
    return entry.events.some(
      (e) => (e.kind === 'enqueue' && e.status !== 'unknown') || e.kind === 'deliver' || e.kind === 'dead-letter',
    );
  }

  private settled(entry: JobEntry): boolean {
    if (entry.events.some((e) => (e.kind === 'finish' && e.status === 'acknowledged') || e.kind === 'dead-letter')) return true;
    // A finish whose answer was lost, and the job gone afterwards: it was finished.
    const unanswered = of(entry, 'finish').filter((e) => e.status === 'unknown');
    const lastUnanswered = Math.max(...unanswered.map((e) => e.recvAt));
    return unanswered.length > 0 && of(entry, 'probe').some((p) => p.state === 'gone' && p.at > lastUnanswered);
  }

  /** Required jobs not settled yet. */
  unsettled(): string[] {
    return [...this.jobs.values()].filter((j) => this.required(j) && !this.settled(j)).map((j) => j.spec.jobId);
  }

  /** Of `unsettled()`, the ones a lost finish answer may have settled (worth a GET /job/). */
  finishUnknown(jobIds: readonly string[]): string[] {
    return jobIds.filter((id) => {
      const job = this.jobs.get(id);
      return job !== undefined && of(job, 'finish').some((e) => e.status === 'unknown');
    });
  }

  /** Acknowledged (or delivered) jobs not settled yet: what producers pace themselves by. */
  outstanding(): number {
    let n = 0;
    for (const job of this.jobs.values()) if (this.required(job) && !this.settled(job)) n++;
    return n;
  }

  /** A time as ms since the ledger began ("+1234"). */
  private stamp(ms: number): string {
    return `${ms >= this.t0 ? '+' : ''}${ms - this.t0}`;
  }

  /** Every event of the job, one a line, times in ms since the ledger began. */
  history(jobId: string): string {
    const job = this.jobs.get(jobId);
    if (job === undefined) return `${jobId}: never sent`;
    const { payload, ...spec } = job.spec;
    const lines = [`job ${jobId} ${JSON.stringify(spec)} payload ${JSON.stringify(payload).slice(0, 200)}`];
    for (const e of job.events) {
      const { kind, ...rest } = e;
      const fields = Object.entries(rest)
        .filter(([k]) => k !== 'payload')
        .map(([k, v]) => `${k}=${['sentAt', 'recvAt', 'at', 'expiresAtMs', 'runAtMs', 'discardedAtMs'].includes(k) ? this.stamp(v as number) : String(v)}`);
      lines.push(`  ${kind} ${fields.join(' ')}`);
    }
    return lines.join('\n');
  }

  counts(): LedgerCounts {
    const c: LedgerCounts = {
      acknowledged: 0, unacknowledged: 0, deliveries: 0, deliveriesVia: {}, finished: 0, failed: 0, retried: 0,
      expired: 0, abandoned: 0, dead: 0, deadByFail: 0, deadByExpiry: 0,
    };
    for (const job of this.jobs.values()) {
      const acked = of(job, 'enqueue').some((e) => e.status !== 'unknown');
      if (acked) c.acknowledged++;
      else if (of(job, 'enqueue').length > 0) c.unacknowledged++;
      const deliveries = of(job, 'deliver');
      c.deliveries += deliveries.length;
      for (const d of deliveries) c.deliveriesVia[d.via] = (c.deliveriesVia[d.via] ?? 0) + 1;
      if (of(job, 'finish').some((e) => e.status === 'acknowledged')) c.finished++;
      const fails = of(job, 'fail');
      c.failed += fails.filter((e) => e.status === 'retry' || e.status === 'dead').length;
      c.retried += fails.filter((e) => e.status === 'retry').length;
      c.abandoned += of(job, 'abandon').length;
      for (const d of deliveries) {
        const ended = job.events.some(
          (e) =>
            (e.kind === 'finish' && e.status === 'acknowledged' && e.attempt === d.attempt) ||
            (e.kind === 'fail' && (e.status === 'retry' || e.status === 'dead') && e.attempt === d.attempt),
        );
        if (!ended) c.expired++;
      }
      const dead = of(job, 'dead-letter')[0];
      if (dead !== undefined) {
        c.dead++;
        if (dead.reason === 'failed') c.deadByFail++;
        else c.deadByExpiry++;
      }
    }
    return c;
  }

  /** Every problem of every job; empty when the server kept every promise the ledger can check. */
  audit(options: AuditOptions): Violation[] {
    const violations: Violation[] = this.strangers.map((s) => ({ jobId: s, problem: 'handed out but never sent', history: '' }));
    for (const job of this.jobs.values()) {
      for (const problem of this.problems(job, options)) {
        violations.push({ jobId: job.spec.jobId, problem, history: this.history(job.spec.jobId) });
      }
    }
    return violations;
  }

  private problems(job: JobEntry, { expireMs, marginMs }: AuditOptions): string[] {
    const { spec } = job;
    const problems: string[] = [];
    const deliveries = of(job, 'deliver').sort((a, b) => a.attempt - b.attempt);
    const finishes = of(job, 'finish').filter((e) => e.status === 'acknowledged');
    const fails = of(job, 'fail');
    const dead = of(job, 'dead-letter')[0];
    // Infinity when no enqueue was recorded; then there is no delay to check against.
    const firstSent = Math.min(...of(job, 'enqueue').map((e) => e.sentAt));

    for (const d of deliveries) {
      if (!isDeepStrictEqual(d.payload, spec.payload)) problems.push(`attempt ${d.attempt}: payload changed to ${JSON.stringify(d.payload)}`);
      if (d.queueId !== spec.queueId) problems.push(`attempt ${d.attempt}: handed out from queue ${d.queueId}`);
      const remaining = spec.requeueLimit === -1 ? -1 : spec.requeueLimit - (d.attempt - 1);
      if (d.requeuesRemaining !== remaining) problems.push(`attempt ${d.attempt}: requeues_remaining ${d.requeuesRemaining}, expected ${remaining}`);
      if (remaining < -1 || (spec.requeueLimit >= 0 && remaining < 0)) problems.push(`attempt ${d.attempt}: past its requeue limit ${spec.requeueLimit}`);
      if (Number.isFinite(firstSent) && d.recvAt < firstSent + spec.delayMs - marginMs) problems.push(`attempt ${d.attempt}: handed out before its delay of ${spec.delayMs} ms ran out`);
    }
    for (let i = 1; i < deliveries.length; i++) {
      const [prev, next] = [deliveries[i - 1] as EventOf<'deliver'>, deliveries[i] as EventOf<'deliver'>];
      if (prev.attempt === next.attempt) problems.push(`attempt ${next.attempt} handed out twice (to ${prev.consumer} and ${next.consumer})`);
    }
    // Each later attempt starts only once every earlier lease has ended (and its retry's wait passed).
    for (const d of deliveries) {
      for (const e of deliveries) {
        if (e.attempt <= d.attempt) continue;
        const endsNoEarlierThan = this.leaseEndBound(job, d, e, expireMs);
        if (e.recvAt < endsNoEarlierThan - marginMs) {
          problems.push(
            `attempt ${e.attempt} handed out at ${this.stamp(e.recvAt)} while attempt ${d.attempt}'s lease ran ` +
              `(until ${this.stamp(endsNoEarlierThan)} at the earliest)`,
          );
        }
      }
    }

    if (finishes.length > 1) problems.push(`finished ${finishes.length} times`);
    for (const f of finishes) {
      for (const e of deliveries) {
        if (e.sentAt > f.recvAt + marginMs) problems.push(`attempt ${e.attempt} handed out after the job was finished`);
      }
    }

    const failedDead = fails.filter((f) => f.status === 'dead');
    if (dead === undefined) {
      if (failedDead.length > 0) problems.push('a fail answered "dead" but the job is not in the dead letters');
    } else {
      if (spec.requeueLimit === -1) problems.push('dead-lettered although requeued forever (requeue_limit -1)');
      if (finishes.length > 0) problems.push('both finished and dead-lettered');
      if (dead.requeueLimit !== spec.requeueLimit) problems.push(`dead letter says requeue_limit ${dead.requeueLimit}`);
      if (spec.requeueLimit >= 0 && dead.attempts !== spec.requeueLimit + 1) {
        problems.push(`dead-lettered after ${dead.attempts} attempts; its limit allows ${spec.requeueLimit + 1}`);
      }
      if (!isDeepStrictEqual(dead.payload, spec.payload)) problems.push(`dead letter's payload changed to ${JSON.stringify(dead.payload)}`);
      const failUnknown = fails.some((f) => f.status === 'unknown');
      if (failedDead.length > 0 && dead.reason !== 'failed') problems.push(`failed to death, but the dead letter's reason is ${dead.reason}`);
      if (failedDead.length === 0 && !failUnknown && dead.reason !== 'requeue_limit_reached') {
        problems.push(`never failed to death, but the dead letter's reason is ${dead.reason}`);
      }
      for (const e of deliveries) {
        if (e.attempt > dead.attempts || e.sentAt > dead.discardedAtMs + marginMs) problems.push(`attempt ${e.attempt} handed out after it was dead-lettered`);
      }
    }

    if (this.required(job) && !this.settled(job)) problems.push('neither finished nor dead-lettered: lost');
    return problems;
  }

  /**
   * The earliest moment the lease of delivery `d` can have ended and a later attempt `e` become
   * due: its expiry (read back exactly, or counted from when the dequeue was sent) plus the retry's
   * back-off, or a fail that may have ended it (any fail of the job running between `d`'s request
   * and `e`'s reply: a late fail of an earlier holder ends the current lease too, as the API has no
   * lease token).
   */
  private leaseEndBound(job: JobEntry, d: EventOf<'deliver'>, e: EventOf<'deliver'>, expireMs: number): number {
    const seen = of(job, 'lease').find((l) => l.attempt === d.attempt);
    const expiry = seen?.expiresAtMs ?? d.sentAt + expireMs;
    let bound = expiry + backoffWait(job.spec, d.attempt);
    for (const f of of(job, 'fail')) {
      if (f.status === 'not-active' || f.recvAt < d.sentAt || f.sentAt > e.recvAt) continue;
      bound = Math.min(bound, f.status === 'retry' && f.runAtMs !== undefined ? f.runAtMs : f.sentAt);
    }
    return bound;
  }
}
