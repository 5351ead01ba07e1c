// GET /dequeue/ (type `default`) and GET /dequeue/<queue_type>/, with `wait` (long-poll, SPEC 5.1)
// and `count` (batch, SPEC 5.2) or without: one handler, one validation, one reply builder. Without
// `count` the reply is the original's single-job shape.
import type { DequeuedJob } from '../../engine/engine.js';
import * as valid from '../../engine/validation.js';
import { integerParam } from '../query.js';
import { failure } from '../reply.js';
import type { Reply, RouteDeps, RouteInput } from '../types.js';

// Payloads are spliced in as the JSON text they were stored as: no parse and re-serialise per job.
/** A handed-out job's fields as JSON (without braces): the one place they are written, for every route that hands out jobs. */
export function jobFields(job: DequeuedJob): string {
  const fields =
    `"queue_id":${JSON.stringify(job.queueId)},"job_id":${JSON.stringify(job.jobId)},"payload":${job.payloadJson},` +
    `"requeues_remaining":${job.requeuesRemaining},"current_queue_length":${job.queueLength},"attempt":${job.attempt}`;
  // Only a job enqueued with a trace context has these (SPEC 5.16); the others' replies are unchanged.
  const { trace } = job;
  if (trace === undefined) return fields;
  const state = trace.tracestate === undefined ? '' : `,"tracestate":${JSON.stringify(trace.tracestate)}`;
  return `${fields},"traceparent":"${trace.traceparent}"${state}`;
}

/** The original's single-job body, or with `count` the batch body; 404 when no job came. */
function dequeueReply(jobs: readonly DequeuedJob[], batchShape: boolean): Reply {
  const [first] = jobs;
  if (first === undefined) return failure(404);
  const body = batchShape
    ? `{"status":"success","jobs":[${jobs.map((job) => `{${jobFields(job)}}`).join(',')}]}`
    : `{"status":"success",${jobFields(first)}}`;
  return { status: 200, body };
}

/** Jobs handed out after the route's own call found none: waits up to waitMs for them (long-poll). */
export function waitForJobs(queueType: string, count: number, waitMs: number, input: RouteInput, deps: RouteDeps): Promise<DequeuedJob[]> {
  return waitMs > 0 ? deps.room.wait({ queueType, count, waitMs, signal: input.clientGone() }) : Promise.resolve([]);
}

/** The jobs of one dequeue request: one script call, or a wait in the waiting room. */
async function dequeueJobs(
  queueType: string,
  params: { count?: number; waitMs?: number },
  input: RouteInput,
  deps: RouteDeps,
): Promise<DequeuedJob[]> {
  if (params.waitMs !== undefined && params.waitMs > 0) {
    return deps.room.wait({ queueType, count: params.count ?? 1, waitMs: params.waitMs, signal: input.clientGone() });
  }
  if (params.count === undefined) {
    // One job: the single-job script, which costs Redis less than the batch script with count 1.
    const result = await deps.engine.dequeue(queueType);
    return result.kind === 'job' ? [result] : [];
  }
  return (await deps.engine.batch.take(queueType, params.count)).jobs;
}

/** `wait` (0 to max_wait_ms) and `count` (1 to max_batch); the original's plain dequeue parses nothing. */
function dequeueParams(queryString: string, deps: RouteDeps): { waitMs?: number; count?: number } {
  if (queryString === '') return {};
  const query = new URLSearchParams(queryString);
  return {
    waitMs: integerParam(query, 'wait', 0, deps.limits.maxWaitMs),
    count: integerParam(query, 'count', 1, deps.limits.maxBatch),
  };
}

export async function dequeue(input: RouteInput, deps: RouteDeps): Promise<Reply> {
  const queueType = valid.identifier('queue_type', input.params.queue_type ?? 'default');
  const params = dequeueParams(input.query, deps);
  const jobs = await dequeueJobs(queueType, params, input, deps);
  input.span?.handedOut(queueType, jobs);
  if (jobs.length > 0) {
    deps.onJobEvent?.('dequeued', queueType, jobs.length);
    if (params.count !== undefined) deps.onBatchSize?.('dequeue', queueType, jobs.length);
  }
  const reply = dequeueReply(jobs, params.count !== undefined);
  // A waiter answered by the shutdown: its connection must not stay open and hold the close up.
  return params.waitMs !== undefined && params.waitMs > 0 && deps.room.closed ? { ...reply, headers: { connection: 'close' } } : reply;
}
