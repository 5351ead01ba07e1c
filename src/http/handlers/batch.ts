// Batch enqueue and finish (SPEC 5.2): one result per job, in order. The envelope is checked
// before anything is written (a bad one is a 400 for the whole request); each job then succeeds
// or fails on its own.
import type { BatchEnqueueJob, BatchEnqueueResult, BatchFinishResult } from '../../engine/batch.js';
import { ValidationError } from '../../errors.js';
import { isJsonObject as isObject, jsonObjectBody, maxQueuedLengthOf } from '../body.js';
import type { Reply, RouteDeps, RouteInput } from '../types.js';
import { jobsField, nextJobs, nextParams, withFields } from './next.js';

/** The `jobs` array of the body: 1 to max_batch entries, else a 400 for the whole request. */
function jobsOf(input: RouteInput, maxBatch: number): unknown[] {
  const jobs = jsonObjectBody(input.body).jobs;
  if (!Array.isArray(jobs) || jobs.length === 0 || jobs.length > maxBatch) {
    const got = Array.isArray(jobs) ? `${jobs.length} jobs` : jobs === undefined ? 'nothing' : typeof jobs;
    throw new ValidationError('jobs', `\`jobs\` has an invalid value: expected an array of 1-${maxBatch} jobs, got ${got}`);
  }
  return jobs;
}

const NOT_AN_OBJECT = { kind: 'invalid', field: 'jobs', message: 'each job must be a JSON object' } as const;

function enqueueResultJson(result: BatchEnqueueResult): object {
  switch (result.kind) {
    case 'queued':
      return { status: 'queued' };
    case 'duplicate':
      return { status: 'queued', duplicate: true };
    case 'rejected':
      return { status: 'failure', code: 429, message: 'max_queued_length reached', current_queue_length: result.lengthBefore };
    case 'invalid':
      return { status: 'failure', code: 400, message: result.message };
  }
}

export async function enqueueBatch(input: RouteInput, deps: RouteDeps): Promise<Reply> {
  const queueType = input.params.queue_type ?? '';
  const jobs = jobsOf(input, deps.limits.maxBatch);
  const wellFormed: { index: number; job: BatchEnqueueJob }[] = [];
  const results: BatchEnqueueResult[] = jobs.map((job, index) => {
    if (!isObject(job)) return NOT_AN_OBJECT;
    wellFormed.push({
      index,
      job: {
        queueId: job.queue_id,
        jobId: job.job_id,
        intervalMs: job.interval,
        payload: job.payload,
        requeueLimit: job.requeue_limit,
        maxQueuedLength: maxQueuedLengthOf(job),
        cost: job.cost,
        delayMs: job.delay_ms,
        backoffMs: job.backoff_ms,
        backoffMaxMs: job.backoff_max_ms,
        maxActive: job.max_active,
        traceparent: job.traceparent,
        tracestate: job.tracestate,
      },
    });
    return NOT_AN_OBJECT;
  });
  // A job's own valid traceparent wins over the request's headers (SPEC 5.16).
  const requestTrace = { traceparent: input.header('traceparent'), tracestate: input.header('tracestate') };
  const outcome = await deps.engine.batch.enqueue(queueType, wellFormed.map((w) => w.job), requestTrace);
  outcome.forEach((result, i) => {
    const w = wellFormed[i];
    if (w) results[w.index] = result;
  });
  deps.onBatchSize?.('enqueue', queueType, jobs.length);
  for (const result of results) {
    if (result.kind === 'queued') deps.onJobEvent?.('enqueued', queueType);
    else if (result.kind === 'duplicate') deps.onJobEvent?.('duplicate', queueType);
    else if (result.kind === 'rejected') deps.onJobEvent?.('rejected', queueType);
  }
  return { status: 200, body: { status: 'success', results: results.map(enqueueResultJson) } };
}

function finishResultJson(result: BatchFinishResult): object {
  if (result === true) return { status: 'success' };
  if (result === false) return { status: 'failure' };
  return { status: 'failure', message: result.message };
}

/** POST /finish/<type>/, with `?count=<n>&wait=<ms>` (SPEC 5.15): the next jobs come in the same call. */
export async function finishBatch(input: RouteInput, deps: RouteDeps): Promise<Reply> {
  const queueType = input.params.queue_type ?? '';
  const params = nextParams(input, deps, true);
  const jobs = jobsOf(input, deps.limits.maxBatch);
  const done = await deps.engine.batch.finishAndTake(
    queueType,
    jobs.map((job) => (isObject(job) ? { queueId: job.queue_id, jobId: job.job_id } : { queueId: undefined, jobId: undefined })),
    params.count,
  );
  deps.onBatchSize?.('finish', queueType, jobs.length);
  for (const result of done.results) if (result === true) deps.onJobEvent?.('finished', queueType);
  const body = { status: 'success', results: done.results.map(finishResultJson) };
  if (params.count === 0) return { status: 200, body };
  const next = await nextJobs(queueType, done.jobs, params, input, deps);
  if (next.length > 0) deps.onBatchSize?.('dequeue', queueType, next.length);
  return withFields(200, body, jobsField(next));
}
