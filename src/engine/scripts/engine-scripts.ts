// Every family of scripts the queue engine runs, registered on its connection when the engine is
// made (up front: see ScriptSet). The leader lock and migrations make only their own families.
import { DeadLetterScripts } from './dead-letters.js';
import { DequeueScripts } from './dequeue.js';
import { EnqueueScripts } from './enqueue.js';
import { FailScripts } from './fail.js';
import { FinishScripts } from './finish.js';
import { FlowScripts } from './flow.js';
import { LifecycleScripts } from './lifecycle.js';
import { QueueAdminScripts } from './queue-admin.js';
import { RequeueScripts } from './requeue.js';
import type { ScriptContext } from './runner.js';

export class EngineScripts {
  readonly enqueue: EnqueueScripts;
  readonly dequeue: DequeueScripts;
  readonly finish: FinishScripts;
  readonly fail: FailScripts;
  readonly queueAdmin: QueueAdminScripts;
  readonly requeue: RequeueScripts;
  readonly lifecycle: LifecycleScripts;
  readonly deadLetters: DeadLetterScripts;
  readonly flow: FlowScripts;

  constructor(context: ScriptContext) {
    this.enqueue = new EnqueueScripts(context);
    this.dequeue = new DequeueScripts(context);
    this.finish = new FinishScripts(context);
    this.fail = new FailScripts(context);
    this.queueAdmin = new QueueAdminScripts(context);
    this.requeue = new RequeueScripts(context);
    this.lifecycle = new LifecycleScripts(context);
    this.deadLetters = new DeadLetterScripts(context);
    this.flow = new FlowScripts(context);
  }
}
