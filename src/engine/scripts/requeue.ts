// requeue.lua: one bounded step of bringing a type's expired jobs back (or to the dead letters).
import { typeKeys } from '../keys.js';
import { int, list } from './reply.js';
import { ScriptSet, type ScriptContext } from './runner.js';

export interface RequeueStep {
  requeued: number;
  discarded: number;
  /** The batch was full: call again. */
  more: boolean;
  /** Redis time the call took, in µs. */
  tookUs: number;
}

export class RequeueScripts {
  private readonly scripts: ScriptSet<'requeue'>;

  constructor(private readonly context: ScriptContext) {
    this.scripts = new ScriptSet(context, ['requeue']);
  }

  async requeueStep(
    queueType: string,
    step: { batch: number; deadLetterLimit: number; idleQueueTtlMs: number },
  ): Promise<RequeueStep> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const reply = list(
      'requeue',
      await this.scripts.get('requeue')(
        [t.active, t.ready, t.queues, t.totals, t.deadIndex],
        [step.batch, step.deadLetterLimit, step.idleQueueTtlMs],
      ),
      4,
    );
    return {
      requeued: int('requeue', reply[0]),
      discarded: int('requeue', reply[1]),
      more: int('requeue', reply[2]) === 1,
      tookUs: int('requeue', reply[3]),
    };
  }
}
