// fail.lua: end an active job's lease because its handler failed; retry it or dead-letter it.
import { queueKeys, typeKeys } from '../keys.js';
import { int, list, oneOf } from './reply.js';
import { ScriptSet, type ScriptContext } from './runner.js';
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

export class FailScripts {
  private readonly scripts: ScriptSet<'fail'>;

  constructor(private readonly context: ScriptContext) {
    this.scripts = new ScriptSet(context, ['fail']);
  }

  async fail(queueType: string, job: JobRef, call: FailCall): Promise<FailReply> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const q = queueKeys(this.context.keyPrefix, queueType, job.queueId);
    const reply = list(
      'fail',
      await this.scripts.get('fail')(
        [t.active, t.ready, t.queues, t.totals, t.deadIndex, q.queue, q.jobs, q.idle],
        [job.queueId, job.jobId, call.error, call.retryInMs ?? '', call.holdQueueMs, call.deadLetterLimit, call.idleQueueTtlMs],
      ),
      1,
    );
    const outcome = oneOf('fail', reply[0], ['retry', 'dead', 'none'] as const);
    if (outcome !== 'retry') return { outcome };
    return { outcome, runAtUs: int('fail', list('fail', reply, 2)[1]) };
  }
}
