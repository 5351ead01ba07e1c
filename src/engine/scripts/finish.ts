// finish.lua, finish_batch.lua, and their forms that hand out the next jobs in the same call
// (finish_next.lua, finish_batch_next.lua, SPEC 5.15): acknowledge active jobs, and the checked replies.
import { typeKeys } from '../keys.js';
import type { TypeLimit } from '../../interfaces.js';
import { batchReply, dequeuedJob, JOB_FIELDS, refusedBy, type DequeueBatchReply, type DequeuedJob } from './dequeue.js';
import { int, list } from './reply.js';
import { ScriptSet, type ScriptContext } from './runner.js';

export interface JobRef {
  queueId: string;
  jobId: string;
}

/**
 * A finish that hands out the next job: undefined when the job was not active (nothing handed out);
 * refusedBy: the type's limit that held back a ready queue (SPEC 5.14).
 */
export type FinishNextReply = { next: DequeuedJob | null; refusedBy?: TypeLimit } | undefined;

type FinishScript = 'finish' | 'finish_batch' | 'finish_next' | 'finish_batch_next';

export class FinishScripts {
  private readonly scripts: ScriptSet<FinishScript>;

  constructor(private readonly context: ScriptContext) {
    this.scripts = new ScriptSet(context, ['finish', 'finish_batch', 'finish_next', 'finish_batch_next']);
  }

  /** true: the job was active and is finished now; false: it was not active. */
  async finish(queueType: string, job: JobRef, idleQueueTtlMs: number): Promise<boolean> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const reply = await this.scripts.get('finish')(
      [t.active, t.queues],
      [job.queueId, job.jobId, idleQueueTtlMs],
    );
    return int('finish', reply) === 1;
  }

  /** finish() and then, when it finished the job, dequeue's next job of the type (null: none ready). */
  async finishNext(queueType: string, job: JobRef, idleQueueTtlMs: number, expireMs: number): Promise<FinishNextReply> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const reply = list(
      'finish_next',
      await this.scripts.get('finish_next')(
        [t.ready, t.active, t.queues, t.totals],
        [job.queueId, job.jobId, idleQueueTtlMs, expireMs],
      ),
      1,
    );
    if (int('finish_next', reply[0]) === 0) return undefined;
    if (int('finish_next', list('finish_next', reply, 2)[1]) === 0) {
      const refused = refusedBy(this.context, queueType, 'finish_next', list('finish_next', reply, 3)[2]);
      return refused ? { next: null, refusedBy: refused } : { next: null };
    }
    return { next: dequeuedJob('finish_next', list('finish_next', reply, 2 + JOB_FIELDS), 2) };
  }

  /** One call, one answer per job in order; the caller keeps `jobs` small (BATCH_CHUNK). */
  async finishBatch(queueType: string, jobs: readonly JobRef[], idleQueueTtlMs: number): Promise<boolean[]> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const reply = list(
      'finish_batch',
      await this.scripts.get('finish_batch')(
        [t.active, t.queues],
        [idleQueueTtlMs, ...jobs.flatMap((job) => [job.queueId, job.jobId])],
      ),
      jobs.length,
    );
    return jobs.map((_, i) => int('finish_batch', reply[i]) === 1);
  }

  /**
   * finishBatch() and then up to `count` jobs handed out as dequeue_batch would, in one call; the
   * caller keeps `jobs` and `count` small (BATCH_CHUNK).
   */
  async finishBatchNext(
    queueType: string,
    jobs: readonly JobRef[],
    idleQueueTtlMs: number,
    expireMs: number,
    count: number,
  ): Promise<{ finished: boolean[] } & DequeueBatchReply> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const reply = list(
      'finish_batch_next',
      await this.scripts.get('finish_batch_next')(
        [t.ready, t.active, t.queues, t.totals],
        [idleQueueTtlMs, expireMs, count, ...jobs.flatMap((job) => [job.queueId, job.jobId])],
      ),
      jobs.length + 2,
    );
    const finished = jobs.map((_, i) => int('finish_batch_next', reply[i]) === 1);
    return { finished, ...batchReply(this.context, queueType, 'finish_batch_next', reply, jobs.length, count) };
  }
}
