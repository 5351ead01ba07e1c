// enqueue.lua and enqueue_batch.lua: KEYS/ARGV of a job's enqueue, and the checked replies.
import { typeKeys } from '../keys.js';
import { encodeTraceContext, type TraceContext } from '../trace-context.js';
import { int, list, oneOf } from './reply.js';
import { ScriptSet, type ScriptArg, type ScriptContext } from './runner.js';

export type EnqueueOutcome = 'queued' | 'duplicate' | 'rejected';

const OUTCOMES: readonly EnqueueOutcome[] = ['queued', 'duplicate', 'rejected'];

/** One job's enqueue, every field validated. */
export interface EnqueueJob {
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
  /** Retry n waits backoffMs x 2^(n-1), at most backoffMaxMs (SPEC 5.13); 0 or undefined: at once. */
  backoffMs?: number;
  backoffMaxMs?: number;
  /** At most this many of the queue's jobs active at once, unless pinned (SPEC 5.14); 0 or undefined: no limit. */
  maxActive?: number;
  /** The W3C trace context of its enqueue, handed back with the job (SPEC 5.16); undefined: none. */
  trace?: TraceContext;
}

export interface EnqueueReply {
  kind: EnqueueOutcome;
  /** Queued jobs of the queue before this call. */
  lengthBefore: number;
}

/** The 11 ARGV fields of a job, in the order both scripts read them. */
function jobArgs(job: EnqueueJob): ScriptArg[] {
  return [
    job.queueId,
    job.jobId,
    job.payloadJson,
    job.intervalMs,
    job.requeueLimit,
    job.maxQueuedLength ?? '',
    job.cost,
    job.delayMs ?? 0,
    // One field, empty for the many jobs without a back-off.
    job.backoffMs ? `${job.backoffMs}|${job.backoffMaxMs ?? 0}` : '',
    job.maxActive ?? '',
    encodeTraceContext(job.trace),
  ];
}

export class EnqueueScripts {
  private readonly scripts: ScriptSet<'enqueue' | 'enqueue_batch'>;

  constructor(private readonly context: ScriptContext) {
    this.scripts = new ScriptSet(context, ['enqueue', 'enqueue_batch']);
  }

  async enqueue(queueType: string, job: EnqueueJob): Promise<EnqueueReply> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const reply = list(
      'enqueue',
      await this.scripts.get('enqueue')([t.ready, t.queues, t.totals], jobArgs(job)),
      2,
    );
    return { kind: oneOf('enqueue', reply[0], OUTCOMES), lengthBefore: int('enqueue', reply[1]) };
  }

  /** One call: the caller keeps `jobs` small enough for a short script (BATCH_CHUNK). */
  async enqueueBatch(queueType: string, jobs: readonly EnqueueJob[]): Promise<EnqueueReply[]> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const reply = list(
      'enqueue_batch',
      await this.scripts.get('enqueue_batch')([t.ready, t.queues, t.totals], jobs.flatMap(jobArgs)),
      2 * jobs.length,
    );
    return jobs.map((_, i) => ({
      kind: oneOf('enqueue_batch', reply[2 * i], OUTCOMES),
      lengthBefore: int('enqueue_batch', reply[2 * i + 1]),
    }));
  }
}
