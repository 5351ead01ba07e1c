// POST /fail/<queue_type>/<queue_id>/<job_id>/ body (optional) {"error"?, "retry_in_ms"?, "hold_queue_ms"?}
// (SPEC 5.13): the lease ends now; the job is retried or dead-lettered in the same atomic step.
import { jsonObjectBody } from '../body.js';
import { failure } from '../reply.js';
import type { Reply, RouteDeps, RouteInput } from '../types.js';

export async function fail(input: RouteInput, { engine, onJobEvent }: RouteDeps): Promise<Reply> {
  const body = jsonObjectBody(input.body, { optional: true });
  const queueType = input.params.queue_type ?? '';
  const result = await engine.fail(queueType, input.params.queue_id, input.params.job_id, {
    error: body.error,
    retryInMs: body.retry_in_ms,
    holdQueueMs: body.hold_queue_ms,
  });
  if (result === undefined) return failure(404);
  onJobEvent?.('failed', queueType);
  if (result.outcome === 'dead') {
    onJobEvent?.('fail_dead', queueType);
    return { status: 200, body: { status: 'success', outcome: 'dead' } };
  }
  onJobEvent?.('fail_retried', queueType);
  return { status: 200, body: { status: 'success', outcome: 'retry', run_at_ms: result.runAtMs } };
}
