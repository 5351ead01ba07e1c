// POST /touch/<queue_type>/<queue_id>/<job_id>/ body {"extend_ms"?} (SPEC 5.5): extend a lease.
import { touch } from '../../engine/lifecycle.js';
import { jsonObjectBody } from '../body.js';
import { FAILURE, param, type HandlerDeps, type HandlerInput, type HandlerReply } from './lifecycle-types.js';

export async function touchJob(input: HandlerInput, { engine, onJobEvent }: HandlerDeps): Promise<HandlerReply> {
  const body = jsonObjectBody(input.body, { optional: true });
  const queueType = param(input, 'queue_type');
  const expiresAtMs = await touch(engine, queueType, param(input, 'queue_id'), param(input, 'job_id'), body.extend_ms as number | undefined);
  if (expiresAtMs === undefined) return { status: 404, body: FAILURE };
  onJobEvent?.('touched', queueType);
  return { status: 200, body: { status: 'success', expires_at_ms: expiresAtMs } };
}
