import { jsonObjectBody, maxQueuedLengthOf } from '../body.js';
import type { Reply, RouteInput, RouteDeps } from '../types.js';

/** POST /enqueue/:queue_type/:queue_id/ */
export async function enqueue(input: RouteInput, { engine, onJobEvent }: RouteDeps): Promise<Reply> {
  const body = jsonObjectBody(input.body);
  const queueType = input.params.queue_type;
  const limit = maxQueuedLengthOf(body);
  const result = await engine.enqueue({
    queueType,
    queueId: input.params.queue_id,
    jobId: body.job_id,
    intervalMs: body.interval,
    payload: body.payload,
    requeueLimit: body.requeue_limit,
    maxQueuedLength: limit,
    cost: body.cost,
    delayMs: body.delay_ms,
    backoffMs: body.backoff_ms,
    backoffMaxMs: body.backoff_max_ms,
    maxActive: body.max_active,
    // W3C Trace Context (SPEC 5.16): kept with the job when valid, ignored otherwise.
    traceparent: input.header('traceparent'),
    tracestate: input.header('tracestate'),
  });
  // As the original: the length before this enqueue is told whenever a limit was asked for.
  const length = limit === undefined ? {} : { current_queue_length: result.lengthBefore };
  switch (result.kind) {
    case 'queued':
      onJobEvent?.('enqueued', String(queueType));
      return { status: 201, body: { status: 'queued', ...length } };
    case 'duplicate':
      // Still 201: a client retrying an enqueue whose reply it lost must see success.
      onJobEvent?.('duplicate', String(queueType));
      return {
        status: 201,
        body: { status: 'queued', duplicate: true, message: 'job_id is already queued, delayed or active in this queue', ...length },
      };
    case 'rejected':
      onJobEvent?.('rejected', String(queueType));
      return {
        status: 429,
        body: { status: 'failure', message: 'max_queued_length reached', current_queue_length: result.lengthBefore },
      };
  }
}
