// POST /fail/<queue_type>/<queue_id>/<job_id>/ body (optional) {"error"?, "retry_in_ms"?, "hold_queue_ms"?}
// (SPEC 5.13): the lease ends now; the job is retried or dead-lettered in the same atomic step. With
// `?next=1&wait=<ms>` (SPEC 5.15) the next job of the type comes in the same script call.
import type { FailResult } from '../../engine/engine.js';
import { jsonObjectBody } from '../body.js';
import { failure } from '../reply.js';
import type { Reply, RouteDeps, RouteInput } from '../types.js';
import { nextField, nextJobs, nextParams, withFields } from './next.js';

function outcomeBody(result: FailResult): Record<string, unknown> {
  return result.outcome === 'dead'
    ? { status: 'success', outcome: 'dead' }
    : { status: 'success', outcome: 'retry', run_at_ms: result.runAtMs };
}

export async function fail(input: RouteInput, deps: RouteDeps): Promise<Reply> {
  const body = jsonObjectBody(input.body, { optional: true });
  const queueType = input.params.queue_type ?? '';
  const params = nextParams(input, deps, false);
  const request = { error: body.error, retryInMs: body.retry_in_ms, holdQueueMs: body.hold_queue_ms };
  const { queue_id: queueId, job_id: jobId } = input.params;
  if (params.count === 0) {
    const result = await deps.engine.fail(queueType, queueId, jobId, request);
    if (result === undefined) return failure(404);
    countFail(deps, queueType, result);
    return { status: 200, body: outcomeBody(result) };
  }
  const result = await deps.engine.failNext(queueType, queueId, jobId, request);
  if (result === undefined) return failure(404);
  countFail(deps, queueType, result);
  const [next] = await nextJobs(queueType, result.next === null ? [] : [result.next], params, input, deps);
  return withFields(200, outcomeBody(result), nextField(next));
}

function countFail(deps: RouteDeps, queueType: string, result: FailResult): void {
  deps.onJobEvent?.('failed', queueType);
  deps.onJobEvent?.(result.outcome === 'dead' ? 'fail_dead' : 'fail_retried', queueType);
}
