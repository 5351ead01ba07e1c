// migrate_step.lua, migrate_write.lua and migrate_remove.lua: moving a Python SharQ's jobs into this
// server's layout (src/migrate/). The old keys come from python-keys.ts, the new ones from keys.ts.
// Each script runs on its own Redis (the same one, the target, the source), so each has its class
// and a migration registers only those it uses.
import { oldKeyList, oldQueueKeys } from '../python-keys.js';
import { queueKeys, typeKeys } from '../keys.js';
import { ReplyShapeError, int, list, oneOf } from './reply.js';
import { ScriptSet, type ScriptArg, type ScriptContext } from './runner.js';

export type MigrateMode = 'queued' | 'active';

/** One queue of both layouts: the old prefix, the type and the queue (the new prefix is the context's). */
export interface MigrateQueue {
  oldPrefix: string;
  queueType: string;
  queueId: string;
}

export interface MigratedStep {
  moved: number;
  duplicates: number;
  missing: number;
  gone: number;
}

function newKeyList(keyPrefix: string, queueType: string, queueId: string): string[] {
  const t = typeKeys(keyPrefix, queueType);
  const q = queueKeys(keyPrefix, queueType, queueId);
  return [t.ready, t.queues, t.totals, q.queue, q.jobs, q.idle];
}

function oldKeys(queue: MigrateQueue): string[] {
  return oldKeyList(oldQueueKeys(queue.oldPrefix, queue.queueType, queue.queueId));
}

/** Old and new layout on one non-cluster Redis: a step moves its jobs atomically. */
export class MigrateStepScript {
  private readonly scripts: ScriptSet<'migrate_step'>;

  constructor(private readonly context: ScriptContext) {
    this.scripts = new ScriptSet(context, ['migrate_step']);
  }

  /** 'stale' when the old queue changed since its jobs were read. */
  async step(mode: MigrateMode, queue: MigrateQueue, defaultRequeueLimit: number, jobs: readonly { id: string; sha1: string; json: string }[]): Promise<MigratedStep | 'stale'> {
    const keys = [...oldKeys(queue), ...newKeyList(this.context.keyPrefix, queue.queueType, queue.queueId)];
    const args: ScriptArg[] = [mode, queue.queueType, queue.queueId, defaultRequeueLimit, jobs.length];
    for (const job of jobs) args.push(job.id, job.sha1, job.json);
    const reply = list('migrate_step', await this.scripts.get('migrate_step')(keys, args), 1);
    if (oneOf('migrate_step', reply[0], ['ok', 'stale'] as const) === 'stale') return 'stale';
    list('migrate_step', reply, 5);
    return {
      moved: int('migrate_step', reply[1]),
      duplicates: int('migrate_step', reply[2]),
      missing: int('migrate_step', reply[3]),
      gone: int('migrate_step', reply[4]),
    };
  }
}

/** First phase of a two-phase step, on the target: write the jobs and a journal naming them. */
export class MigrateWriteScript {
  private readonly scripts: ScriptSet<'migrate_write'>;

  constructor(private readonly context: ScriptContext) {
    this.scripts = new ScriptSet(context, ['migrate_write']);
  }

  /** 'pending' when the journal of an unfinished step exists (nothing was written). */
  async write(
    mode: MigrateMode,
    queue: { queueType: string; queueId: string },
    old: { intervalMs: number; lastUs: number },
    jobs: readonly { id: string; requeuesRemaining: string | number; json: string }[],
    idsWithoutPayload: readonly string[],
  ): Promise<{ moved: number; duplicates: number } | 'pending'> {
    const keys = [
      ...newKeyList(this.context.keyPrefix, queue.queueType, queue.queueId),
      queueKeys(this.context.keyPrefix, queue.queueType, queue.queueId).migrating,
    ];
    const args: ScriptArg[] = [mode, queue.queueId, old.intervalMs, old.lastUs, jobs.length];
    for (const job of jobs) args.push(job.id, job.requeuesRemaining, job.json);
    args.push(...idsWithoutPayload);
    const reply = list('migrate_write', await this.scripts.get('migrate_write')(keys, args), 1);
    if (oneOf('migrate_write', reply[0], ['ok', 'pending'] as const) === 'pending') return 'pending';
    list('migrate_write', reply, 3);
    return { moved: int('migrate_write', reply[1]), duplicates: int('migrate_write', reply[2]) };
  }
}

/** Second phase, on the source: delete the jobs the first phase wrote. Returns how many were found. */
export class MigrateRemoveScript {
  private readonly scripts: ScriptSet<'migrate_remove'>;

  constructor(context: Omit<ScriptContext, 'keyPrefix'>) {
    this.scripts = new ScriptSet(context, ['migrate_remove']);
  }

  async remove(mode: MigrateMode, queue: MigrateQueue, jobIds: readonly string[]): Promise<number> {
    const reply = await this.scripts.get('migrate_remove')(oldKeys(queue), [mode, queue.queueType, queue.queueId, ...jobIds]);
    if (typeof reply !== 'number') throw new ReplyShapeError('migrate_remove', reply);
    return reply;
  }
}
