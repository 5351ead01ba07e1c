// interval.lua and clear_queue.lua: change one queue's interval, delete its jobs in steps.
import { queueKeys, typeKeys } from '../keys.js';
import { int, list, text } from './reply.js';
import { ScriptSet, type ScriptContext } from './runner.js';

export interface ClearStep {
  queuedRemoved: number;
  activeRemoved: number;
  done: boolean;
  /** HSCAN cursor for the next step. */
  cursor: string;
}

export class QueueAdminScripts {
  private readonly scripts: ScriptSet<'interval' | 'clear_queue'>;

  constructor(private readonly context: ScriptContext) {
    this.scripts = new ScriptSet(context, ['interval', 'clear_queue']);
  }

  /** Sets and pins the interval; false when the queue is neither live nor idle. */
  async interval(queueType: string, queueId: string, intervalMs: number): Promise<boolean> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const q = queueKeys(this.context.keyPrefix, queueType, queueId);
    return int('interval', await this.scripts.get('interval')([t.ready, t.queues, q.idle], [queueId, intervalMs])) === 1;
  }

  async clearQueueStep(
    queueType: string,
    queueId: string,
    step: { batch: number; purgeAll: boolean; cursor: string; idleQueueTtlMs: number },
  ): Promise<ClearStep> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const q = queueKeys(this.context.keyPrefix, queueType, queueId);
    const reply = list(
      'clear_queue',
      await this.scripts.get('clear_queue')(
        [t.ready, t.active, t.queues, t.totals, q.queue, q.jobs, q.idle],
        [queueId, step.batch, step.purgeAll ? '1' : '0', step.cursor, step.idleQueueTtlMs],
      ),
      4,
    );
    return {
      queuedRemoved: int('clear_queue', reply[0]),
      activeRemoved: int('clear_queue', reply[1]),
      done: int('clear_queue', reply[2]) === 1,
      cursor: text('clear_queue', reply[3]),
    };
  }
}
