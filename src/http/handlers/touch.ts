// POST /touch/<queue_type>/<queue_id>/<job_id>/ body {"extend_ms"?} (SPEC 5.5): extend a lease.
import { jsonObjectBody } from '../body.js';
import type { Reply, RouteDeps, RouteInput } from '../types.js';

export async function touchJob(input: RouteInput, { engine, onJobEvent }: RouteDeps): Promise<Reply> {
  const body = jsonObjectBody(input.body, { optional: true });
  const queueType = input.params.queue_type;
  const expiresAtMs = await engine.lifecycle.touch(queueType, input.params.queue_id, input.params.job_id, body.extend_ms);
  if (expiresAtMs === undefined) return { status: 404, body: { status: 'failure' } };
  onJobEvent?.('touched', String(queueType));
  return { status: 200, body: { status: 'success', expires_at_ms: expiresAtMs } };
}
