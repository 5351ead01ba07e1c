// GET /dequeue/<queue_type>/ with `wait` (long-poll, SPEC 5.1) and/or `count` (batch, SPEC 5.2).
// Without either the original single-job route serves the request; without `count` the reply is
// the original's single-job shape.
import type { DequeuedJob } from '../../engine/engine.js';
import * as valid from '../../engine/validation.js';
import { integerParam } from '../query.js';
import { failure } from '../reply.js';
import type { Reply, RouteDeps, RouteInput } from '../types.js';

export interface DequeueParams {
  waitMs?: number;
  count?: number;
}

/** `wait` (0 to max_wait_ms) and `count` (1 to max_batch); a bad one is a 400 naming it. */
export function dequeueParams(queryString: string, limits: { maxWaitMs: number; maxBatch: number }): DequeueParams {
  const query = new URLSearchParams(queryString);
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
  const waits = params.waitMs !== undefined && params.waitMs > 0;
  const jobs = waits
    ? await room.wait({ queueType, count, waitMs: params.waitMs as number, signal: input.clientGone() })
    : (await batch.dequeue(queueType, count)).jobs;
  let reply: Reply;
  if (jobs.length === 0) {
    reply = failure(404);
  } else {
    for (let i = 0; i < jobs.length; i++) deps.onJobEvent?.('dequeued', queueType);
    if (params.count !== undefined) onBatchSize?.('dequeue', queueType, jobs.length);
    // Without `count`, the original's single-job shape.
    reply = params.count === undefined ? singleJobReply(jobs[0] as DequeuedJob) : jobsReply(jobs);
  }
  // A waiter answered by the shutdown: its connection must not stay open and hold the close up.
  return waits && room.closed ? { ...reply, headers: { connection: 'close' } } : reply;
}
