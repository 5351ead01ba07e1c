// Main-thread side of the load generator: autocannon runs in its own long-lived worker thread.

import type { LoadResult, LoadSpec } from './load-types.js';
import { TaskWorker } from './task-worker.js';

export type { LoadResult, LoadSpec } from './load-types.js';

export const CONNECTIONS = 50;

export class LoadRunner {
  private readonly worker = new TaskWorker<LoadSpec, LoadResult>(new URL('./load-worker.ts', import.meta.url));

  run(spec: LoadSpec): Promise<LoadResult> {
    // A run by amount may take longer than durationSec (its amount is sized from an estimate).
    const limitMs = (spec.durationSec * (spec.amount === undefined ? 1 : 5) + spec.warmupSec) * 1000 + 30000;
    return this.worker.run(spec, limitMs, `load run ${spec.profile.kind} on ${spec.url}`);
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
