// The typed boundary to the lifecycle scripts (lua/touch.lua, job_status.lua, promote.lua,
// dead_*.lua), as src/engine/commands.ts is for the queue scripts: each method builds KEYS/ARGV from
// keys.ts and decodes the reply into a named type.
import { ReplyShapeError, int, list, text } from './commands.js';
import { queueKeys, typeKeys } from './keys.js';
import { ScriptSet, type CommandObserver, type RedisClient, type ScriptCall } from './scripts.js';
import type { ReplicaAck } from './replica-ack.js';

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

export interface DeadPageReply {
  /** [member "<qid>:<jid>", entry] newest first. */
  entries: [string, string][];
  /** undefined on the last page. */
  nextCursor?: string;
}

export interface ReplayReply {
  replayed: number;
  skipped: number;
  /** For "all": where the next call starts; undefined when done. */
  nextCursor?: string;
}

/** A score as Redis returns it (a string), as a number. */
function score(script: string, value: unknown): number {
  const n = Number(text(script, value));
  if (!Number.isFinite(n)) throw new ReplyShapeError(script, value);
  return n;
}

const SCRIPTS = ['touch', 'job_status', 'promote', 'dead_list', 'dead_replay', 'dead_delete', 'dead_migrate'] as const;

export class LifecycleCommands {
  private readonly scripts: ScriptSet<(typeof SCRIPTS)[number]>;

  constructor(
    redis: RedisClient,
    private readonly keyPrefix: string,
    observe?: CommandObserver,
    replicaAck?: ReplicaAck,
  ) {
    this.scripts = new ScriptSet(redis, SCRIPTS, observe, replicaAck);
  }

  private script(name: (typeof SCRIPTS)[number]): ScriptCall {
    return this.scripts.get(name);
  }

  /** The new expiry (us), or undefined when the job is not active. */
  async touch(queueType: string, queueId: string, jobId: string, extendMs: number): Promise<number | undefined> {
    const t = typeKeys(this.keyPrefix, queueType);
    const expiresUs = int('touch', await this.script('touch')([t.active], [queueId, jobId, extendMs]));
    return expiresUs < 0 ? undefined : expiresUs;
  }

  async jobStatus(queueType: string, queueId: string, jobId: string, positionLimit: number): Promise<JobStatusReply> {
    const t = typeKeys(this.keyPrefix, queueType);
    const q = queueKeys(this.keyPrefix, queueType, queueId);
    const reply = list(
      'job_status',
      await this.script('job_status')([t.active, t.delayed, q.jobs, q.queue, t.deadJobs], [queueId, jobId, positionLimit]),
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
    const t = typeKeys(this.keyPrefix, queueType);
    const reply = list('promote', await this.script('promote')([t.delayed], [batch]), 4);
    const nextDueUs = int('promote', reply[2]);
    return {
      promoted: int('promote', reply[0]),
      more: int('promote', reply[1]) === 1,
      ...(nextDueUs < 0 ? {} : { nextDueUs }),
      nowUs: int('promote', reply[3]),
    };
  }

  async deadList(queueType: string, cursor: string, limit: number): Promise<DeadPageReply> {
    const t = typeKeys(this.keyPrefix, queueType);
    const reply = list('dead_list', await this.script('dead_list')([t.deadIndex, t.deadJobs], [cursor, limit]), 1);
    const entries: [string, string][] = [];
    for (let i = 1; i + 1 < reply.length; i += 2) entries.push([text('dead_list', reply[i]), text('dead_list', reply[i + 1])]);
    const next = text('dead_list', reply[0]);
    return next === '' ? { entries } : { entries, nextCursor: next };
  }

  /** Replays the named dead letters ("<qid>:<jid>"), or with `all` the oldest `batch` after `cursor`. */
  async deadReplay(queueType: string, what: { members: string[] } | { all: { cursor: string; batch: number } }): Promise<ReplayReply> {
    const t = typeKeys(this.keyPrefix, queueType);
    const args = 'members' in what ? ['ids', ...what.members] : ['all', what.all.cursor, what.all.batch];
    const reply = list('dead_replay', await this.script('dead_replay')([t.deadIndex], args), 3);
    const next = text('dead_replay', reply[2]);
    return {
      replayed: int('dead_replay', reply[0]),
      skipped: int('dead_replay', reply[1]),
      ...(next === '' ? {} : { nextCursor: next }),
    };
  }

  async deadDelete(queueType: string, batch: number): Promise<{ deleted: number; more: boolean }> {
    const t = typeKeys(this.keyPrefix, queueType);
    const reply = list('dead_delete', await this.script('dead_delete')([t.deadIndex, t.deadJobs], [batch]), 2);
    return { deleted: int('dead_delete', reply[0]), more: int('dead_delete', reply[1]) === 1 };
  }

  async deadMigrate(queueType: string, batch: number, deadLetterLimit: number): Promise<{ moved: number; left: number }> {
    const t = typeKeys(this.keyPrefix, queueType);
    const reply = list('dead_migrate', await this.script('dead_migrate')([t.dead, t.deadIndex], [batch, deadLetterLimit]), 2);
    return { moved: int('dead_migrate', reply[0]), left: int('dead_migrate', reply[1]) };
  }
}
