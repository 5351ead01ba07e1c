// finish.lua and finish_batch.lua: acknowledge active jobs, and the checked replies.
import { queueKeys, typeKeys } from '../keys.js';
import { int, list } from './reply.js';
import { ScriptSet, type ScriptContext } from './runner.js';

export interface JobRef {
  queueId: string;
  jobId: string;
}

export class FinishScripts {
  private readonly scripts: ScriptSet<'finish' | 'finish_batch'>;

  constructor(private readonly context: ScriptContext) {
    this.scripts = new ScriptSet(context, ['finish', 'finish_batch']);
  }

  /** true: the job was active and is finished now; false: it was not active. */
  async finish(queueType: string, job: JobRef, idleQueueTtlMs: number): Promise<boolean> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const q = queueKeys(this.context.keyPrefix, queueType, job.queueId);
    const reply = await this.scripts.get('finish')(
      [t.active, t.queues, q.queue, q.jobs, q.idle],
      [job.queueId, job.jobId, idleQueueTtlMs],
    );
    return int('finish', reply) === 1;
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
}
