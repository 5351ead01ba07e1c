// touch.lua, job_status.lua and promote.lua: a job's lease, where a job is, due delayed jobs.
import { queueKeys, typeKeys } from '../keys.js';
import { ReplyShapeError, int, list, score, text } from './reply.js';
import { ScriptSet, type ScriptContext } from './runner.js';

export type JobStatusReply =
  | { state: 'active'; expiresUs: number; record: string }
  | { state: 'delayed'; dueUs: number; record: string }
  | { state: 'queued'; position?: number; record: string }
  | { state: 'dead'; entry: string }
  | { state: 'none' };

export interface PromoteReply {
  promoted: number;
  /** The batch was full: call again. */
  more: boolean;
  /** Earliest due time (us) of a delayed job of the type; undefined when none. */
  nextDueUs?: number;
  nowUs: number;
}

export class LifecycleScripts {
  private readonly scripts: ScriptSet<'touch' | 'job_status' | 'promote'>;

  constructor(private readonly context: ScriptContext) {
    this.scripts = new ScriptSet(context, ['touch', 'job_status', 'promote']);
  }

  /** The new expiry (us), or undefined when the job is not active. */
  async touch(queueType: string, queueId: string, jobId: string, extendMs: number): Promise<number | undefined> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const expiresUs = int('touch', await this.scripts.get('touch')([t.active], [queueId, jobId, extendMs]));
    return expiresUs < 0 ? undefined : expiresUs;
  }

  async jobStatus(queueType: string, queueId: string, jobId: string, positionLimit: number): Promise<JobStatusReply> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const q = queueKeys(this.context.keyPrefix, queueType, queueId);
    const reply = list(
      'job_status',
      await this.scripts.get('job_status')([t.active, t.delayed, q.jobs, q.queue, t.deadJobs], [queueId, jobId, positionLimit]),
      1,
    );
    switch (reply[0]) {
      case 'none':
        return { state: 'none' };
      case 'dead':
        return { state: 'dead', entry: text('job_status', reply[1]) };
      case 'active':
        return { state: 'active', expiresUs: score('job_status', reply[1]), record: text('job_status', reply[2]) };
      case 'delayed':
        return { state: 'delayed', dueUs: score('job_status', reply[1]), record: text('job_status', reply[2]) };
      case 'queued': {
        const position = int('job_status', reply[1]);
        const record = text('job_status', reply[2]);
        return position >= 0 ? { state: 'queued', position, record } : { state: 'queued', record };
      }
      default:
        throw new ReplyShapeError('job_status', reply);
    }
  }

  async promote(queueType: string, batch: number): Promise<PromoteReply> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const reply = list('promote', await this.scripts.get('promote')([t.delayed], [batch]), 4);
    const nextDueUs = int('promote', reply[2]);
    return {
      promoted: int('promote', reply[0]),
      more: int('promote', reply[1]) === 1,
      ...(nextDueUs < 0 ? {} : { nextDueUs }),
      nowUs: int('promote', reply[3]),
    };
  }
}
