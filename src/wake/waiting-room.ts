// Long-poll dequeue (SPEC 5.1): requests that wait for a job of their queue type. Per type and
// process there is one line of waiters (oldest first), one drain loop that takes jobs for the head
// of the line, and one timer for the type's next ready time. A drain starts on a wake message
// (an enqueue, requeue or interval change anywhere), on that timer, or when a request joins; it
// takes jobs for one waiter at a time and stops at the first empty answer, so one available job
// wakes one waiter and no waiter polls Redis on its own.
import type { DequeuedJob } from '../engine/scripts/dequeue.js';

export interface TakeResult {
  jobs: DequeuedJob[];
  /** ms until the type's next queue is ready (Redis clock); undefined: none queued. */
  nextReadyInMs?: number;
}

export interface WaitingRoomOptions {
  /** Dequeues up to `count` jobs of the type (one script call; never waits). */
  take: (queueType: string, count: number) => Promise<TakeResult>;
  /** Resolves once wake messages of the type reach wake(). */
  subscribe: (queueType: string) => Promise<void>;
  /** Told when the number of waiting requests of a type changes by `delta`. */
  onWaiting?: (queueType: string, delta: number) => void;
  /** Told when a waiting request is answered with jobs (woken) or with none (its wait ran out). */
  onAnswered?: (queueType: string, outcome: 'woken' | 'timeout') => void;
  /** Told of an error of a take that had no request to answer (it is retried by the next wake). */
  onError?: (error: unknown) => void;
}

export interface WaitRequest {
  queueType: string;
  count: number;
  waitMs: number;
  /** Aborted when the client goes away: the request leaves the line and takes no job. */
  signal: AbortSignal;
}

interface Waiter {
  count: number;
  signal: AbortSignal;
  settle: (result: DequeuedJob[] | Error) => void;
}

interface TypeLine {
  waiters: Waiter[];
  draining: boolean;
  /** A wake-up came while draining: drain once more when done. */
  again: boolean;
  timer?: NodeJS.Timeout;
  timerAt: number;
  /** Wake messages received; a request that looked and found nothing checks none came meanwhile. */
  wakes: number;
}

/** Retry delay after a failed take (Redis away): the line is tried again without a wake message. */
const RETRY_AFTER_ERROR_MS = 500;

export class WaitingRoom {
  private readonly lines = new Map<string, TypeLine>();
  private closedFlag = false;

  constructor(private readonly options: WaitingRoomOptions) {}

  /** True once close() ran (shutdown). */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Waiters of a type in this process (for tests and metrics). */
  waiting(queueType: string): number {
    return this.lines.get(queueType)?.waiters.length ?? 0;
  }

  /**
   * Jobs (1 to count) as soon as one is available within waitMs; [] when the wait runs out, the
   * server is closing, or the client went away.
   */
  async wait(request: WaitRequest): Promise<DequeuedJob[]> {
    const { queueType, count, signal } = request;
    if (this.closedFlag || signal.aborted) return [];
    await this.options.subscribe(queueType);
    const line = this.line(queueType);
    // Whether jobs may have come since the line last looked (then the newcomer must not sleep).
    let lookAgain = line.draining;
    if (line.waiters.length === 0 && !line.draining) {
      // Alone in line: try at once, without queueing (the common case of a busy type).
      const wakes = line.wakes;
      const first = await this.options.take(queueType, count);
      if (first.jobs.length > 0) return first.jobs;
      this.schedule(queueType, line, first.nextReadyInMs);
      lookAgain = line.wakes !== wakes;
    }
    if (this.closedFlag || signal.aborted || request.waitMs <= 0) return [];

    return new Promise<DequeuedJob[]>((resolve, reject) => {
      const waiter: Waiter = {
        count,
        signal,
        settle: (result) => {
          clearTimeout(timeout);
          signal.removeEventListener('abort', leave);
          this.remove(queueType, line, waiter);
          if (result instanceof Error) reject(result);
          else resolve(result);
        },
      };
      const timeout = setTimeout(() => {
        this.options.onAnswered?.(queueType, 'timeout');
        waiter.settle([]);
      }, request.waitMs);
      const leave = (): void => waiter.settle([]);
      signal.addEventListener('abort', leave, { once: true });
      line.waiters.push(waiter);
      this.options.onWaiting?.(queueType, 1);
      if (lookAgain) void this.drain(queueType, line);
    });
  }

  /** A wake message: a queue of the type is ready in delayMs. */
  wake(queueType: string, delayMs: number): void {
    const line = this.lines.get(queueType);
    if (!line) return;
    line.wakes += 1;
    if (line.waiters.length === 0) return;
    if (delayMs <= 0) void this.drain(queueType, line);
    else this.schedule(queueType, line, delayMs);
  }

  /** Wake-ups may have been missed (the subscription was down): look again for every waiter. */
  wakeAll(): void {
    for (const [queueType, line] of this.lines) if (line.waiters.length > 0) void this.drain(queueType, line);
  }

  /** Shutdown: every waiting request is answered now (with no job), and new ones do not wait. */
  close(): void {
    this.closedFlag = true;
    for (const line of this.lines.values()) {
      clearTimeout(line.timer);
      for (const waiter of [...line.waiters]) waiter.settle([]);
    }
  }

  private line(queueType: string): TypeLine {
    let line = this.lines.get(queueType);
    if (!line) {
      line = { waiters: [], draining: false, again: false, timerAt: Infinity, wakes: 0 };
      this.lines.set(queueType, line);
    }
    return line;
  }

  private remove(queueType: string, line: TypeLine, waiter: Waiter): void {
    const at = line.waiters.indexOf(waiter);
    if (at < 0) return;
    line.waiters.splice(at, 1);
    this.options.onWaiting?.(queueType, -1);
    if (line.waiters.length === 0) {
      clearTimeout(line.timer);
      line.timer = undefined;
      line.timerAt = Infinity;
    }
  }

  /** One timer per type, for the earliest ready time known; a later one never replaces it. */
  private schedule(queueType: string, line: TypeLine, delayMs: number | undefined): void {
    if (delayMs === undefined) return;
    // +1 ms: the timer must not fire before the queue is ready on Redis's clock.
    const at = Date.now() + delayMs + 1;
    if (line.timer && line.timerAt <= at) return;
    clearTimeout(line.timer);
    line.timerAt = at;
    line.timer = setTimeout(() => {
      line.timer = undefined;
      line.timerAt = Infinity;
      void this.drain(queueType, line);
    }, delayMs + 1);
  }

  private async drain(queueType: string, line: TypeLine): Promise<void> {
    if (line.draining) {
      line.again = true;
      return;
    }
    line.draining = true;
    try {
      do {
        line.again = false;
        await this.serveLine(queueType, line);
      } while (line.again && line.waiters.length > 0 && !this.closedFlag);
    } finally {
      line.draining = false;
    }
  }

  /** Takes jobs for the head of the line until an answer comes back empty. */
  private async serveLine(queueType: string, line: TypeLine): Promise<void> {
    while (!this.closedFlag) {
      const head = line.waiters.find((w) => !w.signal.aborted);
      if (!head) return;
      let result: TakeResult;
      try {
        result = await this.options.take(queueType, head.count);
      } catch (error) {
        // The head gets the error (503); the others wait for the next wake or the retry.
        head.settle(error instanceof Error ? error : new Error(String(error)));
        this.options.onError?.(error);
        this.schedule(queueType, line, RETRY_AFTER_ERROR_MS);
        return;
      }
      if (result.jobs.length === 0) {
        this.schedule(queueType, line, result.nextReadyInMs);
        return;
      }
      this.handOut(queueType, line, result.jobs);
    }
  }

  /**
   * Gives the jobs to the oldest waiters still connected (the head may have left during the
   * take). Jobs nobody is left to take stay active and come back through the requeue.
   */
  private handOut(queueType: string, line: TypeLine, jobs: DequeuedJob[]): void {
    let rest = jobs;
    while (rest.length > 0) {
      const waiter = line.waiters.find((w) => !w.signal.aborted);
      if (!waiter) return;
      const mine = rest.slice(0, waiter.count);
      rest = rest.slice(waiter.count);
      this.options.onAnswered?.(queueType, 'woken');
      waiter.settle(mine);
    }
  }
}
