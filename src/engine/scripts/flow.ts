// pause.lua, resume.lua and limits.lua: flow control per queue and per type (SPEC 5.14).
import { queueKeys, typeKeys } from '../keys.js';
import { int } from './reply.js';
import { ScriptSet, type ScriptContext } from './runner.js';

/** A type-wide limit to set: a value, null to remove it, undefined to keep it. */
export interface TypeLimitsChange {
  maxActive?: number | null;
  ratePerS?: number | null;
  burst?: number | null;
}

/** A queue's limits to set (each pinned): undefined keeps it; maxActive 0 is no limit. */
export interface QueueLimitsChange {
  intervalMs?: number;
  maxActive?: number;
}

function typeArg(value: number | null | undefined): string {
  return value === undefined ? '' : value === null ? 'none' : String(value);
}

export class FlowScripts {
  private readonly scripts: ScriptSet<'pause' | 'resume' | 'limits'>;

  constructor(private readonly context: ScriptContext) {
    this.scripts = new ScriptSet(context, ['pause', 'resume', 'limits']);
  }

  private keys(queueType: string): string[] {
    const t = typeKeys(this.context.keyPrefix, queueType);
    return [t.ready, t.queues, t.limits, t.paused];
  }

  /** Pauses a queue ('' : the whole type) for forMs, or until resumed; the pause's end (us), or -1. */
  async pause(queueType: string, queueId: string, forMs: number | undefined): Promise<number> {
    return int('pause', await this.scripts.get('pause')(this.keys(queueType), [queueId, forMs ?? '']));
  }

  async resume(queueType: string, queueId: string, idleQueueTtlMs: number): Promise<void> {
    int('resume', await this.scripts.get('resume')(this.keys(queueType), [queueId, idleQueueTtlMs]));
  }

  /** false when the queue is neither live nor idle. */
  async setQueueLimits(queueType: string, queueId: string, change: QueueLimitsChange): Promise<boolean> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const q = queueKeys(this.context.keyPrefix, queueType, queueId);
    const reply = await this.scripts.get('limits')(
      [t.ready, t.queues, t.limits, q.idle],
      [queueId, change.intervalMs ?? '', change.maxActive ?? ''],
    );
    return int('limits', reply) === 1;
  }

  async setTypeLimits(queueType: string, change: TypeLimitsChange): Promise<void> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const reply = await this.scripts.get('limits')(
      [t.ready, t.queues, t.limits, t.active],
      ['', typeArg(change.maxActive), typeArg(change.ratePerS), typeArg(change.burst)],
    );
    int('limits', reply);
  }
}
