import { jsonObjectBody } from '../body.js';
import { failure } from '../reply.js';
import type { Reply, RouteInput, RouteDeps } from '../types.js';

/** POST /interval/:queue_type/:queue_id/ */
export async function interval(input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  const body = jsonObjectBody(input.body);
  const updated = await engine.setInterval(input.params.queue_type, input.params.queue_id, body.interval);
  return updated ? { status: 200, body: { status: 'success' } } : failure(404);
}
