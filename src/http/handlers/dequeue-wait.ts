// GET /dequeue/<queue_type>/ with `wait` (long-poll, SPEC 5.1) and/or `count` (batch, SPEC 5.2).
// Without either the original single-job route serves the request; without `count` the reply is
// the original's single-job shape.
import type { DequeuedJob } from '../../engine/engine.js';
import * as valid from '../../engine/validation.js';
import { integerParam } from '../query.js';
import type { Reply, RouteDeps, RouteInput } from '../routes.js';

const NOT_FOUND: Reply = { status: 404, body: { status: 'failure' } };

export interface DequeueParams {
  waitMs?: number;
  count?: number;
}

/** `wait` (0 to max_wait_ms) and `count` (1 to max_batch); a bad one is a 400 naming it. */
export function dequeueParams(query: URLSearchParams | undefined, limits: { maxWaitMs: number; maxBatch: number }): DequeueParams {
  if (!query || query.size === 0) return {};
  return {
    waitMs: integerParam(query, 'wait', 0, limits.maxWaitMs),
    count: integerParam(query, 'count', 1, limits.maxBatch),
  };
}

// Payloads are spliced in as the JSON text they were stored as: no parse and re-serialise per job.
function jobFields(job: DequeuedJob): string {
  return (
    `"queue_id":${JSON.stringify(job.queueId)},"job_id":${JSON.stringify(job.jobId)},"payload":${job.payloadJson},` +
    `"requeues_remaining":${job.requeuesRemaining},"current_queue_length":${job.queueLength}`
  );
}

export function singleJobReply(job: DequeuedJob): Reply {
  return { status: 200, body: `{"status":"success",${jobFields(job)}}` };
}

export function jobsReply(jobs: readonly DequeuedJob[]): Reply {
  return { status: 200, body: `{"status":"success","jobs":[${jobs.map((job) => `{${jobFields(job)}}`).join(',')}]}` };
}

/** Serves a dequeue that has `wait` or `count`. */
export async function dequeueWaitOrCount(
  input: RouteInput,
  params: DequeueParams,
  deps: RouteDeps,
): Promise<Reply> {
  const { batch, room, onBatchSize } = deps.waitBatch;
  const queueType = valid.identifier('queue_type', input.params.queue_type ?? 'default');
  const count = params.count ?? 1;
  let jobs: DequeuedJob[];
  if (params.waitMs !== undefined && params.waitMs > 0) {
    jobs = await room.wait({ queueType, count, waitMs: params.waitMs, signal: input.signal ?? new AbortController().signal });
  } else {
    jobs = (await batch.dequeue(queueType, count)).jobs;
  }
  if (jobs.length === 0) return NOT_FOUND;
  for (let i = 0; i < jobs.length; i++) deps.onJobEvent?.('dequeued', queueType);
  if (params.count === undefined) return singleJobReply(jobs[0] as DequeuedJob);
  onBatchSize?.('dequeue', queueType, jobs.length);
  return jobsReply(jobs);
}
