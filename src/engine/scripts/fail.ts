// fail.lua: end an active job's lease because its handler failed; retry it or dead-letter it.
import { typeKeys } from '../keys.js';
import { int, list, oneOf } from './reply.js';
import { ScriptSet, type ScriptContext } from './runner.js';
import type { TypeLimit } from '../../interfaces.js';
import { dequeuedJob, JOB_FIELDS, refusedBy, type DequeuedJob } from './dequeue.js';
import type { JobRef } from './finish.js';

export interface FailCall {
  /** '' for none: the job keeps its earlier error. */
  error: string;
  /** undefined: the job's back-off decides. */
  retryInMs?: number;
  /** 0: no hold. */
  holdQueueMs: number;
  deadLetterLimit: number;
  idleQueueTtlMs: number;
}

export type FailReply = { outcome: 'retry'; runAtUs: number } | { outcome: 'dead' } | { outcome: 'none' };

const OUTCOMES = ['retry', 'dead', 'none'] as const;

export class FailScripts {
  private readonly scripts: ScriptSet<'fail' | 'fail_next'>;

  constructor(private readonly context: ScriptContext) {
    this.scripts = new ScriptSet(context, ['fail', 'fail_next']);
  }

  private keysAndArgs(queueType: string, job: JobRef, call: FailCall): [string[], (string | number)[]] {
    const t = typeKeys(this.context.keyPrefix, queueType);
    return [
      [t.active, t.ready, t.queues, t.totals, t.deadIndex],
      [job.queueId, job.jobId, call.error, call.retryInMs ?? '', call.holdQueueMs, call.deadLetterLimit, call.idleQueueTtlMs],
    ];
  }

  async fail(queueType: string, job: JobRef, call: FailCall): Promise<FailReply> {
    const [keys, args] = this.keysAndArgs(queueType, job, call);
    const reply = list('fail', await this.scripts.get('fail')(keys, args), 1);
    const outcome = oneOf('fail', reply[0], OUTCOMES);
    if (outcome !== 'retry') return { outcome };
    return { outcome, runAtUs: int('fail', list('fail', reply, 2)[1]) };
  }

  /** fail() and then, unless the job was not active, dequeue's next job of the type (null: none ready). */
  async failNext(
    queueType: string,
    job: JobRef,
    call: FailCall,
    expireMs: number,
  ): Promise<FailReply & { next?: DequeuedJob | null; refusedBy?: TypeLimit }> {
    const [keys, args] = this.keysAndArgs(queueType, job, call);
    const reply = list('fail_next', await this.scripts.get('fail_next')(keys, [...args, expireMs]), 1);
    const outcome = oneOf('fail_next', reply[0], OUTCOMES);
    if (outcome === 'none') return { outcome };
    list('fail_next', reply, 3);
    const handed = int('fail_next', reply[2]) === 1;
    const next = handed ? dequeuedJob('fail_next', list('fail_next', reply, 3 + JOB_FIELDS), 3) : null;
    const refused = handed ? undefined : refusedBy(this.context, queueType, 'fail_next', list('fail_next', reply, 4)[3]);
    const extra = { next, ...(refused && { refusedBy: refused }) };
    return outcome === 'retry' ? { outcome, runAtUs: int('fail_next', reply[1]), ...extra } : { outcome, ...extra };
  }
}
