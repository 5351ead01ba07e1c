import { failure } from '../reply.js';
import type { Reply, RouteInput, RouteDeps } from '../types.js';

/** GET /dequeue/ (type `default`) and GET /dequeue/:queue_type/ */
export async function dequeue(input: RouteInput, { engine, onJobEvent }: RouteDeps): Promise<Reply> {
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
