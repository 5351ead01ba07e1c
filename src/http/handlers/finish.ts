// POST /finish/:queue_type/:queue_id/:job_id/, with `?next=1&wait=<ms>` (SPEC 5.15): finish the job
// and hand out the next job of the type in the same script call; a finish that fails hands out nothing.
import { failure } from '../reply.js';
import type { Reply, RouteInput, RouteDeps } from '../types.js';
import { nextField, nextJobs, nextParams, withFields } from './next.js';

export async function finish(input: RouteInput, deps: RouteDeps): Promise<Reply> {
  const { queue_type: queueType = '', queue_id: queueId, job_id: jobId } = input.params;
  const params = nextParams(input, deps, false);
  if (params.count === 0) {
    if (!(await deps.engine.finish(queueType, queueId, jobId))) return failure(404);
    deps.onJobEvent?.('finished', queueType);
    return { status: 200, body: { status: 'success' } };
  }
  const finished = await deps.engine.finishNext(queueType, queueId, jobId);
  if (finished === undefined) return failure(404);
  deps.onJobEvent?.('finished', queueType);
  const [next] = await nextJobs(queueType, finished.next === null ? [] : [finished.next], params, input, deps);
  return withFields(200, { status: 'success' }, nextField(next));
}
