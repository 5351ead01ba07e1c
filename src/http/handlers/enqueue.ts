import { jsonObjectBody, type JsonObject } from '../body.js';
import type { Reply, RouteInput, RouteDeps } from '../types.js';

/** max_queued_length may come at the top level or inside the payload, as the original reads it. */
function maxQueuedLength(body: JsonObject): unknown {
  if (body.max_queued_length !== undefined) return body.max_queued_length;
  const payload = body.payload;
  if (typeof payload === 'object' && payload !== null && !Array.isArray(payload)) {
    return (payload as JsonObject).max_queued_length;
  }
  return undefined;
}

/** POST /enqueue/:queue_type/:queue_id/ */
export async function enqueue(input: RouteInput, { engine, onJobEvent }: RouteDeps): Promise<Reply> {
  const body = jsonObjectBody(input.body);
  const queueType = input.params.queue_type;
  const limit = maxQueuedLength(body);
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
