// The typed boundary to the Lua scripts: one method per script builds its KEYS (from keys.ts) and
// ARGV and decodes its reply into a named type, so no caller ever sees a tuple.
import { queueKeys, typeKeys } from './keys.js';
import type { ReplicaAck } from './replica-ack.js';
import { ScriptSet, type CommandObserver, type RedisClient, type ScriptCall } from './scripts.js';

export type EnqueueOutcome = 'queued' | 'duplicate' | 'rejected';

export interface EnqueueCall {
  queueType: string;
  queueId: string;
  jobId: string;
  payloadJson: string;
  intervalMs: number;
  requeueLimit: number;
  /** undefined: no limit. */
  maxQueuedLength?: number;
  /** Intervals of the queue's rate limit the job's dequeue spends (SPEC 5.3). */
  cost: number;
  /** 0 or undefined: queued now; otherwise delayed this long (SPEC 5.6). */
  delayMs?: number;
}

export interface EnqueueReply {
  kind: EnqueueOutcome;
  /** Queued jobs of the queue before this call. */
  lengthBefore: number;
}

export interface DequeuedJob {
  kind: 'job';
  queueId: string;
  jobId: string;
  /** The payload as the JSON text it was enqueued with. */
  payloadJson: string;
  /** -1: requeued forever. */
  requeuesRemaining: number;
  /** Jobs still queued in the queue after this one. */
  queueLength: number;
}

export interface NoJobReady {
  kind: 'empty';
  /** Redis time (ms) when the next queue of the type becomes ready; undefined when none is queued. */
  nextReadyAtMs?: number;
}

export type DequeueResult = DequeuedJob | NoJobReady;

export interface ClearStep {
  queuedRemoved: number;
  activeRemoved: number;
  done: boolean;
  /** HSCAN cursor for the next step. */
  cursor: string;
}

export interface RequeueStep {
  requeued: number;
  discarded: number;
  /** The batch was full: call again. */
  more: boolean;
  /** Redis time the call took, in µs. */
  tookUs: number;
}

export class ReplyShapeError extends Error {
  constructor(script: string, reply: unknown) {
    super(`script ${script} replied ${JSON.stringify(reply)}: not the shape its header documents`);
    this.name = 'ReplyShapeError';
  }
}

export function list(script: string, reply: unknown, length: number): unknown[] {
  if (!Array.isArray(reply) || reply.length < length) throw new ReplyShapeError(script, reply);
  return reply;
}

export function int(script: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ReplyShapeError(script, value);
  return value;
}

export function text(script: string, value: unknown): string {
  if (typeof value !== 'string') throw new ReplyShapeError(script, value);
  return value;
}

const SCRIPT_NAMES = ['enqueue', 'dequeue', 'finish', 'interval', 'clear_queue', 'requeue', 'lock_renew', 'lock_release'] as const;

const ENQUEUE_OUTCOMES: readonly string[] = ['queued', 'duplicate', 'rejected'];

/** Every script of lua/, registered once on one connection, behind typed methods. */
export class ScriptCommands {
  private readonly scripts: ScriptSet<(typeof SCRIPT_NAMES)[number]>;

  constructor(
    redis: RedisClient,
    private readonly keyPrefix: string,
    observe?: CommandObserver,
    replicaAck?: ReplicaAck,
  ) {
    this.scripts = new ScriptSet(redis, SCRIPT_NAMES, observe, replicaAck);
  }

  private script(name: (typeof SCRIPT_NAMES)[number]): ScriptCall {
    return this.scripts.get(name);
  }

  async enqueue(c: EnqueueCall): Promise<EnqueueReply> {
    const t = typeKeys(this.keyPrefix, c.queueType);
    const q = queueKeys(this.keyPrefix, c.queueType, c.queueId);
    const reply = list(
      'enqueue',
      await this.script('enqueue')(
        [t.ready, t.queues, t.totals, q.queue, q.jobs, q.idle],
        [c.queueId, c.jobId, c.payloadJson, c.intervalMs, c.requeueLimit, c.maxQueuedLength ?? '', c.cost, c.delayMs ?? 0],
      ),
      2,
    );
    const kind = text('enqueue', reply[0]);
    if (!ENQUEUE_OUTCOMES.includes(kind)) throw new ReplyShapeError('enqueue', reply);
    return { kind: kind as EnqueueOutcome, lengthBefore: int('enqueue', reply[1]) };
  }

  async dequeue(queueType: string, jobExpireIntervalMs: number): Promise<DequeueResult> {
    const t = typeKeys(this.keyPrefix, queueType);
    const reply = list(
      'dequeue',
      await this.script('dequeue')([t.ready, t.active, t.queues, t.totals], [jobExpireIntervalMs]),
      2,
    );
    if (reply[0] === 0) {
      const nextReadyUs = int('dequeue', reply[1]);
      return nextReadyUs < 0 ? { kind: 'empty' } : { kind: 'empty', nextReadyAtMs: Math.ceil(nextReadyUs / 1000) };
    }
    list('dequeue', reply, 6);
    return {
      kind: 'job',
      queueId: text('dequeue', reply[1]),
      jobId: text('dequeue', reply[2]),
      payloadJson: text('dequeue', reply[3]),
      requeuesRemaining: int('dequeue', reply[4]),
      queueLength: int('dequeue', reply[5]),
    };
  }

  async finish(queueType: string, queueId: string, jobId: string, idleQueueTtlMs: number): Promise<boolean> {
    const t = typeKeys(this.keyPrefix, queueType);
    const q = queueKeys(this.keyPrefix, queueType, queueId);
    const reply = await this.script('finish')([t.active, t.queues, q.queue, q.jobs, q.idle], [queueId, jobId, idleQueueTtlMs]);
    return int('finish', reply) === 1;
  }

  async interval(queueType: string, queueId: string, intervalMs: number): Promise<boolean> {
    const t = typeKeys(this.keyPrefix, queueType);
    const q = queueKeys(this.keyPrefix, queueType, queueId);
    return int('interval', await this.script('interval')([t.ready, t.queues, q.idle], [queueId, intervalMs])) === 1;
  }

  async clearQueueStep(
    queueType: string,
    queueId: string,
    step: { batch: number; purgeAll: boolean; cursor: string; idleQueueTtlMs: number },
  ): Promise<ClearStep> {
    const t = typeKeys(this.keyPrefix, queueType);
    const q = queueKeys(this.keyPrefix, queueType, queueId);
    const reply = list(
      'clear_queue',
      await this.script('clear_queue')(
        [t.ready, t.active, t.queues, t.totals, q.queue, q.jobs, q.idle],
        [queueId, step.batch, step.purgeAll ? '1' : '0', step.cursor, step.idleQueueTtlMs],
      ),
      4,
    );
    return {
      queuedRemoved: int('clear_queue', reply[0]),
      activeRemoved: int('clear_queue', reply[1]),
      done: int('clear_queue', reply[2]) === 1,
      cursor: text('clear_queue', reply[3]),
    };
  }

  async requeueStep(
    queueType: string,
    step: { batch: number; deadLetterLimit: number; idleQueueTtlMs: number },
  ): Promise<RequeueStep> {
    const t = typeKeys(this.keyPrefix, queueType);
    const reply = list(
      'requeue',
      await this.script('requeue')(
        [t.active, t.ready, t.queues, t.totals, t.deadIndex],
        [step.batch, step.deadLetterLimit, step.idleQueueTtlMs],
      ),
      4,
    );
    return {
      requeued: int('requeue', reply[0]),
      discarded: int('requeue', reply[1]),
      more: int('requeue', reply[2]) === 1,
      tookUs: int('requeue', reply[3]),
    };
  }

  /** Extends a lock's TTL if the holder still holds it. */
  async lockRenew(key: string, holderId: string, ttlMs: number): Promise<boolean> {
    return int('lock_renew', await this.script('lock_renew')([key], [holderId, ttlMs])) === 1;
  }

  /** Deletes a lock if the holder holds it. */
  async lockRelease(key: string, holderId: string): Promise<boolean> {
    return int('lock_release', await this.script('lock_release')([key], [holderId])) === 1;
  }
}
