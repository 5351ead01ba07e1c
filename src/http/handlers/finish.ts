import { failure } from '../reply.js';
import type { Reply, RouteInput, RouteDeps } from '../types.js';

/** POST /finish/:queue_type/:queue_id/:job_id/ */
export async function finish(input: RouteInput, { engine, onJobEvent }: RouteDeps): Promise<Reply> {
  const { queue_type: queueType, queue_id: queueId, job_id: jobId } = input.params;
  if (!(await engine.finish(queueType, queueId, jobId))) return failure(404);
  onJobEvent?.('finished', String(queueType));
  return { status: 200, body: { status: 'success' } };
}
