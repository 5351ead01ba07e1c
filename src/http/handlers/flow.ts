// Flow control (SPEC 5.14): POST /pause/ and /resume/ of a type or a queue, and the limits of each
// (POST to set, GET to read back). Every body is checked for unknown fields: a misspelt limit must
// be an error, not a limit silently left unset.
import type { QueueLimits, TypeLimits } from '../../engine/engine.js';
import { HttpError } from '../../errors.js';
import { jsonObjectBody, type JsonObject } from '../body.js';
import { failure } from '../reply.js';
import type { Reply, RouteDeps, RouteInput } from '../types.js';

function onlyFields(body: JsonObject, allowed: readonly string[]): JsonObject {
  const unknown = Object.keys(body).filter((field) => !allowed.includes(field));
  if (unknown.length > 0) {
    throw new HttpError(400, `unknown field \`${unknown[0]}\`: expected ${allowed.map((f) => `\`${f}\``).join(', ')}`);
  }
  return body;
}

/** A type's limits as every reply shows them (GET and POST /limits/, and GET /queues/). */
export function typeLimitsFields(limits: TypeLimits): Record<string, unknown> {
  return {
    max_active: limits.maxActive,
    rate_per_s: limits.ratePerS,
    burst: limits.burst,
    paused: limits.paused,
    paused_until_ms: limits.pausedUntilMs,
  };
}

function queueLimitsBody(limits: QueueLimits): Record<string, unknown> {
  return {
    status: 'success',
    interval: limits.intervalMs,
    max_active: limits.maxActive,
    paused: limits.paused,
    paused_until_ms: limits.pausedUntilMs,
  };
}

/** POST /pause/:queue_type/ and /pause/:queue_type/:queue_id/ body (optional) {"for_ms"?} */
export async function pause(input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  const body = onlyFields(jsonObjectBody(input.body, { optional: true }), ['for_ms']);
  const until = await engine.flow.pause(input.params.queue_type, input.params.queue_id, body.for_ms);
  return { status: 200, body: { status: 'success', paused_until_ms: until } };
}

/** POST /resume/:queue_type/ and /resume/:queue_type/:queue_id/ */
export async function resume(input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  await engine.flow.resume(input.params.queue_type, input.params.queue_id);
  return { status: 200, body: { status: 'success' } };
}

/** GET /limits/:queue_type/ and /limits/:queue_type/:queue_id/ */
export async function getLimits(input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  const { queue_type: queueType, queue_id: queueId } = input.params;
  if (queueId === undefined) return { status: 200, body: { status: 'success', ...typeLimitsFields(await engine.flow.typeLimits(queueType)) } };
  return { status: 200, body: queueLimitsBody(await engine.flow.queueLimits(queueType, queueId)) };
}

/** POST /limits/:queue_type/ {"max_active"?, "rate_per_s"?, "burst"?} and /limits/:queue_type/:queue_id/ {"interval"?, "max_active"?} */
export async function setLimits(input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  const { queue_type: queueType, queue_id: queueId } = input.params;
  if (queueId === undefined) {
    const body = onlyFields(jsonObjectBody(input.body), ['max_active', 'rate_per_s', 'burst']);
    await engine.flow.setTypeLimits(queueType, { maxActive: body.max_active, ratePerS: body.rate_per_s, burst: body.burst });
    return { status: 200, body: { status: 'success', ...typeLimitsFields(await engine.flow.typeLimits(queueType)) } };
  }
  const body = onlyFields(jsonObjectBody(input.body), ['interval', 'max_active']);
  const updated = await engine.flow.setQueueLimits(queueType, queueId, { interval: body.interval, maxActive: body.max_active });
  if (!updated) return failure(404, 'queue not found: it has no queued, active or delayed job and is not paused');
  return { status: 200, body: queueLimitsBody(await engine.flow.queueLimits(queueType, queueId)) };
}
