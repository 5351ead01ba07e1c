// Flow control (SPEC 5.14): pause and resume a queue or a type, and the limits of each: a queue's
// interval and max_active, a type's max_active and token bucket. The state lives in Redis in the
// type's slot (lua/include/flow.lua), so it holds across instances and restarts.
import { redisTimeMs } from '../redis/time.js';
import { pipelineValues } from '../redis/pipeline.js';
import type { EngineCore } from './core.js';
import { queueKeys, typeKeys } from './keys.js';
import { pausedAt, parseQueueMeta, type PauseState } from './queue-meta.js';
import { list, optionalText, ReplyShapeError } from './scripts/reply.js';
import * as valid from './validation.js';

export interface TypeLimits extends PauseState {
  maxActive: number | null;
  ratePerS: number | null;
  /** The bucket's size; null without a rate. */
  burst: number | null;
}

export interface QueueLimits extends PauseState {
  /** null: the queue is unknown (no job, not idle, not paused). */
  intervalMs: number | null;
  maxActive: number | null;
}

export interface TypeLimitsRequest {
  maxActive?: unknown;
  ratePerS?: unknown;
  burst?: unknown;
}

export interface QueueLimitsRequest {
  interval?: unknown;
  maxActive?: unknown;
}

function numberOrNull(script: string, value: unknown): number | null {
  const raw = optionalText(script, value);
  return raw === null || raw === '' ? null : Number(raw);
}

/**
 * max_active, rate_per_s and burst from the type's limits hash: its spec field
 * "<max_active>|<rate_per_s>|<burst>" (lua/include/flow.lua), or the fields of their own that versions
 * before the spec kept, until a dequeue rewrites them as one.
 */
function typeSpec(spec: unknown, oldFields: unknown[]): [number | null, number | null, number | null] {
  const text = optionalText('limits', spec);
  const parts = text === null ? oldFields : text.split('|');
  if (parts.length !== 3) throw new ReplyShapeError('limits', text);
  const [maxActive, ratePerS, burst] = parts.map((part) => numberOrNull('limits', part));
  return [maxActive ?? null, ratePerS ?? null, burst ?? null];
}

/** engine.flow */
export class FlowControl {
  constructor(private readonly core: EngineCore) {}

  /** Pauses a queue (queueId undefined: the whole type) for forMs, or until resumed; the pause's end (ms) or null. */
  async pause(queueType: unknown, queueId: unknown, forMs: unknown): Promise<number | null> {
    const type = valid.identifier('queue_type', queueType);
    const id = queueId === undefined ? '' : valid.identifier('queue_id', queueId);
    const duration = forMs === undefined ? undefined : valid.forMs(forMs);
    const untilUs = await this.core.scripts.flow.pause(type, id, duration);
    await this.core.types.register(type);
    return untilUs < 0 ? null : Math.ceil(untilUs / 1000);
  }

  async resume(queueType: unknown, queueId: unknown): Promise<void> {
    const type = valid.identifier('queue_type', queueType);
    const id = queueId === undefined ? '' : valid.identifier('queue_id', queueId);
    await this.core.scripts.flow.resume(type, id, this.core.options.idleQueueTtlMs);
  }

  /** Sets and pins a queue's interval and max_active (null: no limit); false when the queue is unknown. */
  async setQueueLimits(queueType: unknown, queueId: unknown, request: QueueLimitsRequest): Promise<boolean> {
    const type = valid.identifier('queue_type', queueType);
    const id = valid.identifier('queue_id', queueId);
    const intervalMs = request.interval === undefined ? undefined : valid.intervalMs(request.interval);
    const maxActive = valid.nullable(request.maxActive, valid.maxActive);
    return this.core.scripts.flow.setQueueLimits(type, id, { intervalMs, maxActive: maxActive === null ? 0 : maxActive });
  }

  async setTypeLimits(queueType: unknown, request: TypeLimitsRequest): Promise<void> {
    const type = valid.identifier('queue_type', queueType);
    const change = {
      maxActive: valid.nullable(request.maxActive, valid.maxActive),
      ratePerS: valid.nullable(request.ratePerS, valid.ratePerS),
      burst: valid.nullable(request.burst, valid.burst),
    };
    await this.core.scripts.flow.setTypeLimits(type, change);
    await this.core.types.register(type);
  }

  async typeLimits(queueType: unknown): Promise<TypeLimits> {
    const t = typeKeys(this.core.options.keyPrefix, valid.identifier('queue_type', queueType));
    const [nowMs, values] = await Promise.all([
      redisTimeMs(this.core.redis),
      this.core.redis.hmget(t.limits, 'paused', 'spec', 'max_active', 'rate_per_s', 'burst'),
    ]);
    const [pausedText, spec, ...oldFields] = list('limits', values, 5);
    const paused = numberOrNull('limits', pausedText);
    const [maxActive, ratePerS, burst] = typeSpec(spec, oldFields);
    return {
      maxActive: maxActive ?? null,
      ratePerS: ratePerS ?? null,
      burst: ratePerS == null ? null : (burst ?? ratePerS),
      // The type's pause is stored as a queue's is: read through the same rule.
      ...(paused == null ? { paused: false, pausedUntilMs: null } : pausedAt(paused, nowMs)),
    };
  }

  async queueLimits(queueType: unknown, queueId: unknown): Promise<QueueLimits> {
    const type = valid.identifier('queue_type', queueType);
    const id = valid.identifier('queue_id', queueId);
    const t = typeKeys(this.core.options.keyPrefix, type);
    const q = queueKeys(this.core.options.keyPrefix, type, id);
    const [nowMs, replies] = await Promise.all([
      redisTimeMs(this.core.redis),
      this.core.redis.pipeline().hget(t.queues, id).get(q.idle).exec(),
    ]);
    const [live, idle] = pipelineValues(replies).map((value) => optionalText('limits', value));
    const meta = live ?? idle;
    if (meta == null) return { intervalMs: null, maxActive: null, paused: false, pausedUntilMs: null };
    const { intervalMs, maxActive, paused, pausedUntilMs } = parseQueueMeta(meta, nowMs);
    return { intervalMs, maxActive, paused, pausedUntilMs };
  }
}
