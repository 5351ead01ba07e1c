// The "next" part of finish and fail (SPEC 5.15): `?next=1&wait=<ms>` on a single finish or fail,
// `?count=<n>&wait=<ms>` on a batch finish. Parsed once here; the jobs are written by dequeue.ts's
// jobFields, as every route that hands out jobs writes them.
import type { DequeuedJob } from '../../engine/engine.js';
import { ValidationError } from '../../errors.js';
import { integerParam } from '../query.js';
import type { Reply, RouteDeps, RouteInput } from '../types.js';
import { jobFields, waitForJobs } from './dequeue.js';

export interface NextParams {
  /** How many next jobs to hand out: 0 (the route's plain form), or 1 (`next=1`), or a batch's `count`. */
  count: number;
  waitMs: number;
}

/** `next` (0 or 1) or, for a batch, `count` (1 to max_batch), and `wait` (0 to max_wait_ms; only with them). */
export function nextParams(input: RouteInput, deps: RouteDeps, batch: boolean): NextParams {
  if (input.query === '') return { count: 0, waitMs: 0 };
  const query = new URLSearchParams(input.query);
  const count = batch ? (integerParam(query, 'count', 1, deps.limits.maxBatch) ?? 0) : (integerParam(query, 'next', 0, 1) ?? 0);
  const waitMs = integerParam(query, 'wait', 0, deps.limits.maxWaitMs) ?? 0;
  if (waitMs > 0 && count === 0) {
    throw new ValidationError('wait', `\`wait\` hands out the next ${batch ? 'jobs' : 'job'} only with ${batch ? '`count`' : '`next=1`'}`);
  }
  return { count, waitMs };
}

/** The next jobs: those the script handed out, or else (when none was ready) those a wait brings. */
export async function nextJobs(
  queueType: string,
  handed: readonly DequeuedJob[],
  params: NextParams,
  input: RouteInput,
  deps: RouteDeps,
): Promise<DequeuedJob[]> {
  const jobs = handed.length > 0 ? [...handed] : await waitForJobs(queueType, params.count, params.waitMs, input, deps);
  input.span?.handedOut(queueType, jobs);
  if (jobs.length > 0) deps.onJobEvent?.('dequeued', queueType, jobs.length);
  return jobs;
}

/** `"next":{...}` or `"next":null`, for a finish or fail body. */
export function nextField(job: DequeuedJob | undefined): string {
  return `"next":${job === undefined ? 'null' : `{${jobFields(job)}}`}`;
}

/** `"jobs":[...]`, for a batch finish body. */
export function jobsField(jobs: readonly DequeuedJob[]): string {
  return `"jobs":[${jobs.map((job) => `{${jobFields(job)}}`).join(',')}]`;
}

/** A reply whose body is an object's JSON with extra fields spliced in (payloads stay the text they were stored as). */
export function withFields(status: number, body: Record<string, unknown>, ...fields: string[]): Reply {
  const json = JSON.stringify(body);
  return { status, body: fields.length === 0 ? json : `${json.slice(0, -1)},${fields.join(',')}}` };
}
