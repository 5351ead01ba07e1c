// A ledger of acknowledged job ids for fault tests: producers record every enqueue the server
// acknowledged (201), consumers record every job they got; after a fault, every acknowledged job
// must come out (at least once: a requeue after a lost reply may deliver twice).

import { request } from './fetch.js';

export interface LedgerOptions {
  /** Servers to spread requests over (several instances sharing one Redis), round robin. */
  urls: string[];
  queueTypes: string[];
  /** Extra headers (e.g. Authorization). */
  headers?: Record<string, string>;
}

export class Ledger {
  /** Job ids the server answered 201 for. */
  readonly acknowledged = new Set<string>();
  /** Job ids some dequeue handed out. */
  readonly delivered = new Set<string>();
  /** Deliveries beyond the first, per job id. */
  redeliveries = 0;
  /** Every status seen, with counts ('error' for a connection that failed). */
  readonly statuses = new Map<string, number>();
  /** The first few messages of requests that failed without a status ('error'), to say why. */
  readonly errors: string[] = [];
  private counter = 0;
  private turn = 0;

  constructor(private readonly opts: LedgerOptions) {}

  private url(): string {
    return this.opts.urls[this.turn++ % this.opts.urls.length] as string;
  }

  private failed(error: unknown): void {
    if (this.errors.length < 5) this.errors.push(error instanceof Error ? error.message : String(error));
    this.count('error');
  }

  private count(status: string): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }

  /** Statuses seen and the first errors, for an assertion's message. */
  report(): string {
    return JSON.stringify({ statuses: [...this.statuses], errors: this.errors });
  }

  /** Statuses other than the allowed ones (e.g. a 500 or a hung connection). */
  unexpectedStatuses(allowed: readonly string[]): string[] {
    return [...this.statuses.keys()].filter((s) => !allowed.includes(s));
  }

  /** One enqueue of a new job id; records it when acknowledged. Returns the status. */
  async enqueueOne(producer: number): Promise<string> {
    const n = this.counter++;
    const queueType = this.opts.queueTypes[n % this.opts.queueTypes.length] as string;
    const jobId = `p${producer}-${n}`;
    let status: string;
    try {
      const res = await request(`${this.url()}/enqueue/${queueType}/q${n % 5}/`, {
        body: { job_id: jobId, interval: 0, payload: { n } },
        headers: this.opts.headers,
      });
      status = String(res.status);
      if (res.status === 201) this.acknowledged.add(jobId);
    } catch (error) {
      this.failed(error);
      return 'error';
    }
    this.count(status);
    return status;
  }

  /** `producers` loops enqueueing until stop() is called; resolves when they have stopped. */
  produce(producers: number, pauseMs = 0): { stop: () => Promise<void> } {
    let running = true;
    const loops = Array.from({ length: producers }, async (_, p) => {
      while (running) {
        const status = await this.enqueueOne(p);
        // Back off a little on failures so an outage is not a busy loop.
        const pause = status === '201' ? pauseMs : 50;
        if (pause > 0) await new Promise((r) => setTimeout(r, pause));
      }
    });
    return {
      stop: async () => {
        running = false;
        await Promise.all(loops);
      },
    };
  }

  /** One dequeue of `queueType`, finishing what it gets; true when a job came out. */
  async takeOne(queueType: string, finish = true): Promise<boolean> {
    let res;
    try {
      res = await request(`${this.url()}/dequeue/${queueType}/`, { headers: this.opts.headers });
    } catch (error) {
      this.failed(error);
      return false;
    }
    this.count(String(res.status));
    if (res.status !== 200) return false;
    const job = res.body as { job_id: string; queue_id: string };
    if (this.delivered.has(job.job_id)) this.redeliveries++;
    this.delivered.add(job.job_id);
    if (finish) {
      try {
        const done = await request(`${this.url()}/finish/${queueType}/${job.queue_id}/${job.job_id}/`, {
          method: 'POST',
          headers: this.opts.headers,
        });
        this.count(String(done.status));
      } catch (error) {
        this.failed(error);
      }
    }
    return true;
  }

  /** Acknowledged jobs no dequeue has handed out yet. */
  missing(): string[] {
    return [...this.acknowledged].filter((id) => !this.delivered.has(id));
  }

  /** `consumers` loops dequeueing (and finishing) every type without back-off until stop(). */
  consume(consumers: number): { stop: () => Promise<void> } {
    let running = true;
    const loops = Array.from({ length: consumers }, async (_, c) => {
      for (let i = c; running; i++) {
        await this.takeOne(this.opts.queueTypes[i % this.opts.queueTypes.length] as string);
      }
    });
    return {
      stop: async () => {
        running = false;
        await Promise.all(loops);
      },
    };
  }

  /** Dequeues and finishes every type until every acknowledged job came out or the deadline passes. */
  async drain(timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.missing().length > 0 && Date.now() < deadline) {
      let got = false;
      for (const queueType of this.opts.queueTypes) {
        while (await this.takeOne(queueType)) got = true;
      }
      // Nothing ready: jobs may be active (expiring) or waiting for the requeue pass.
      if (!got) await new Promise((r) => setTimeout(r, 200));
    }
    return this.missing();
  }
}
