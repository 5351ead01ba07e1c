import { failure } from '../reply.js';
import type { Reply, RouteInput, RouteDeps } from '../types.js';
import { dequeueParams, dequeueWaitOrCount } from './dequeue-wait.js';

/** GET /dequeue/ (type `default`) and GET /dequeue/:queue_type/; with `wait` or `count` see dequeue-wait.ts. */
export async function dequeue(input: RouteInput, deps: RouteDeps): Promise<Reply> {
  const { engine, onJobEvent } = deps;
  if (input.query !== '') {
    const params = dequeueParams(input.query, deps.waitBatch);
    if (params.count !== undefined || (params.waitMs ?? 0) > 0) return dequeueWaitOrCount(input, params, deps);
  }
  const queueType = input.params.queue_type ?? 'default';
  const result = await engine.dequeue(queueType);
  if (result.kind === 'empty') return failure(404);
  onJobEvent?.('dequeued', queueType);
  // The payload is spliced in as the JSON text it was stored as: no parse and re-serialise per job.
  const body =
    `{"status":"success","queue_id":${JSON.stringify(result.queueId)},"job_id":${JSON.stringify(result.jobId)},` +
    `"payload":${result.payloadJson},"requeues_remaining":${result.requeuesRemaining},` +
    `"current_queue_length":${result.queueLength}}`;
  return { status: 200, body };
}
