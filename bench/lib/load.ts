// The load generator: autocannon in its own long-lived worker thread (load-worker.ts), and what
// the main thread asks it for and gets back.

import { TaskWorker } from './task-worker.js';

export const CONNECTIONS = 50;

/** The same GET, again and again. */
export interface StaticProfile {
  kind: 'static';
  path: string;
}

/** POST /enqueue/ with a fresh job id each time, round-robin over `queues` queue ids. */
export interface EnqueueProfile {
  kind: 'enqueue';
  queueType: string;
  queues: number;
  idPrefix: string;
  intervalMs: number;
}

/** POST /finish/ of prepared active jobs, each once (run it with amount = jobs.length). */
export interface FinishProfile {
  kind: 'finish';
  queueType: string;
  /** [queue_id, job_id] pairs. */
  jobs: Array<[string, string]>;
}

/** Each connection loops enqueue -> dequeue -> finish (of the job the dequeue returned). */
export interface CycleProfile {
  kind: 'cycle';
  queueType: string;
  /** Spread over this many queue types, named queueType + 0..n-1 (default 1: queueType itself). */
  queueTypes?: number;
  queues: number;
  idPrefix: string;
}

/**
 * Each connection loops enqueue -> dequeue -> fail (retry at once, back at the front) -> dequeue ->
 * finish: a job that fails once and then succeeds (SPEC 5.13), next to the plain cycle.
 */
export interface FailCycleProfile {
  kind: 'fail-cycle';
  queueType: string;
  queues: number;
  idPrefix: string;
}

/**
 * Each connection loops enqueue -> finish-and-next (`?next=1`, SPEC 5.15) of the job it holds, which
 * hands it the next one: two requests per job. A connection that holds none (the start of a chain,
 * or a finish that found nothing next) dequeues instead; a chain of 50 jobs ends with a plain finish.
 */
export interface NextCycleProfile {
  kind: 'next-cycle';
  queueType: string;
  queues: number;
  idPrefix: string;
}

export type Profile = StaticProfile | EnqueueProfile | FinishProfile | CycleProfile | FailCycleProfile | NextCycleProfile;

export interface LoadSpec {
  url: string;
  connections: number;
  durationSec: number;
  /** A run of the same profile before the measured one, not recorded (JIT, connection set-up). */
  warmupSec: number;
  /** When set, the run makes exactly this many requests however long that takes (durationSec is ignored). */
  amount?: number;
  profile: Profile;
}

export interface LoadResult {
  requests: number;
  elapsedSec: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses by status code. */
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Completed cycles (the finish of a cycle answered 200; next-cycle: each finish is one job). */
  cycles: number;
}

export class LoadRunner {
  private readonly worker = new TaskWorker<LoadSpec, LoadResult>(new URL('./load-worker.ts', import.meta.url));

  run(spec: LoadSpec): Promise<LoadResult> {
    // A run by amount may take longer than durationSec (its amount is sized from an estimate).
    const limitMs = (spec.durationSec * (spec.amount === undefined ? 1 : 5) + spec.warmupSec) * 1000 + 30000;
    return this.worker.run(spec, limitMs, `load run ${spec.profile.kind} on ${spec.url}`);
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
