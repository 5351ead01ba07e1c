// dequeue.lua and dequeue_batch.lua: hand out jobs of a type, and the checked replies. A single
// dequeue keeps its own script: the batch script with count 1 costs Redis 3-6% more CPU per call
// (measured side by side, 2026-12-07).
import { TYPE_LIMITS, type TypeLimit } from '../../interfaces.js';
import { typeKeys } from '../keys.js';
import { decodeTraceContext, type TraceContext } from '../trace-context.js';
import { ReplyShapeError, int, list, oneOf, text } from './reply.js';
import { ScriptSet, type ScriptContext } from './runner.js';

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
  /** This delivery's number: 1 for the first (SPEC 5.13). */
  attempt: number;
  /** The W3C trace context its enqueue kept (SPEC 5.16); undefined: none. */
  trace?: TraceContext;
}

export interface NoJobReady {
  kind: 'empty';
  /**
   * Redis time (ms) when the next queue of the type becomes ready, or when the limit that refused it
   * lifts; undefined when none is queued, or when a resume or a freed slot will wake waiters.
   */
  nextReadyAtMs?: number;
  /** The type's limit that held back a ready queue (SPEC 5.14). */
  refusedBy?: TypeLimit;
}

export type DequeueResult = DequeuedJob | NoJobReady;

export interface DequeueBatchReply {
  jobs: DequeuedJob[];
  /**
   * When fewer jobs came out than asked: ms until the type's next queue is ready on Redis's clock
   * (0: now), or until the limit that stopped the call lifts; undefined when no job of the type is
   * queued, when a resume or a freed slot will wake waiters, or when every job asked for came out.
   */
  nextReadyInMs?: number;
  /** The type's limit that stopped the call while a queue was ready (SPEC 5.14). */
  refusedBy?: TypeLimit;
}

/**
 * A script's `refused` field: '' or the type's limit (lua/include/flow.lua), told to the context's
 * onRefused: every script that hands out jobs decodes it here, so each refusal is counted once.
 */
export function refusedBy(context: ScriptContext, queueType: string, script: string, value: unknown): TypeLimit | undefined {
  if (value === '') return undefined;
  const limit = oneOf(script, value, TYPE_LIMITS);
  context.onRefused?.(queueType, limit);
  return limit;
}

/** Fields per job in every reply that hands out jobs (dequeue, and finish/fail with next). */
export const JOB_FIELDS = 7;

/** The job whose JOB_FIELDS fields start at reply[at]. */
export function dequeuedJob(script: string, reply: unknown[], at: number): DequeuedJob {
  const job: DequeuedJob = {
    kind: 'job',
    queueId: text(script, reply[at]),
    jobId: text(script, reply[at + 1]),
    payloadJson: text(script, reply[at + 2]),
    requeuesRemaining: int(script, reply[at + 3]),
    queueLength: int(script, reply[at + 4]),
    attempt: int(script, reply[at + 5]),
  };
  const trace = decodeTraceContext(text(script, reply[at + 6]));
  if (trace !== undefined) job.trace = trace;
  return job;
}

export class DequeueScripts {
  private readonly scripts: ScriptSet<'dequeue' | 'dequeue_batch'>;

  constructor(private readonly context: ScriptContext) {
    this.scripts = new ScriptSet(context, ['dequeue', 'dequeue_batch']);
  }

  private keys(queueType: string): string[] {
    const t = typeKeys(this.context.keyPrefix, queueType);
    return [t.ready, t.active, t.queues, t.totals];
  }

  async dequeue(queueType: string, expireMs: number): Promise<DequeueResult> {
    const reply = list('dequeue', await this.scripts.get('dequeue')(this.keys(queueType), [expireMs]), 2);
    if (reply[0] === 0) {
      const nextReadyUs = int('dequeue', reply[1]);
      const refused = refusedBy(this.context, queueType, 'dequeue', list('dequeue', reply, 3)[2]);
      return {
        kind: 'empty',
        ...(nextReadyUs >= 0 && { nextReadyAtMs: Math.ceil(nextReadyUs / 1000) }),
        ...(refused && { refusedBy: refused }),
      };
    }
    return dequeuedJob('dequeue', list('dequeue', reply, 1 + JOB_FIELDS), 1);
  }

  /** One call of at most `count` jobs: the caller keeps it small enough for a short script (BATCH_CHUNK). */
  async dequeueBatch(queueType: string, expireMs: number, count: number): Promise<DequeueBatchReply> {
    const reply = list('dequeue_batch', await this.scripts.get('dequeue_batch')(this.keys(queueType), [expireMs, count]), 2);
    return batchReply(this.context, queueType, 'dequeue_batch', reply, 0, count);
  }
}

/**
 * The jobs of a batch reply: next_ready_ms and refused at reply[at] and reply[at + 1], then JOB_FIELDS
 * fields per job (dequeue_batch.lua, finish_batch_next.lua).
 */
export function batchReply(
  context: ScriptContext,
  queueType: string,
  script: string,
  reply: unknown[],
  at: number,
  count: number,
): DequeueBatchReply {
  const first = at + 2;
  if (reply.length < first || (reply.length - first) % JOB_FIELDS !== 0) throw new ReplyShapeError(script, reply);
  const jobs: DequeuedJob[] = [];
  for (let i = first; i < reply.length; i += JOB_FIELDS) jobs.push(dequeuedJob(script, reply, i));
  const nextReadyMs = int(script, reply[at]);
  const refused = refusedBy(context, queueType, script, reply[at + 1]);
  return {
    jobs,
    ...(jobs.length < count && nextReadyMs >= 0 && { nextReadyInMs: nextReadyMs }),
    ...(refused && { refusedBy: refused }),
  };
}
