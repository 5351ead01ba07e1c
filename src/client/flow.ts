// Flow control (pause, resume, limits) on the wire: which route a call on a type or on one of its
// queues takes, and the request bodies in snake_case. SharqClient's methods stay one-liners over these.
import type { OperationId } from './routes.js';
import type { FlowTarget, QueueLimitsInput, TypeLimitsInput } from './types.js';
import type { RequestBody } from './wire.js';

export interface FlowRoute {
  operation: OperationId;
  params: Record<string, string>;
}

/** The type's route, or the queue's when the target names a queue. */
export function flowRoute(target: FlowTarget, onType: OperationId, onQueue: OperationId): FlowRoute {
  return target.queueId === undefined
    ? { operation: onType, params: { queue_type: target.queueType } }
    : { operation: onQueue, params: { queue_type: target.queueType, queue_id: target.queueId } };
}

/** Undefined fields are left out by JSON.stringify (unchanged); null goes out as null (removed). */
export function typeLimitsWire(input: TypeLimitsInput): RequestBody<'/limits/{queue_type}/', 'post'> {
  return { max_active: input.maxActive, rate_per_s: input.ratePerS, burst: input.burst };
}

export function queueLimitsWire(input: QueueLimitsInput): RequestBody<'/limits/{queue_type}/{queue_id}/', 'post'> {
  return { interval: input.interval, max_active: input.maxActive };
}
