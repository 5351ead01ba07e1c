// Main-thread handle of the pinger thread (one thread for the whole bench).

import type { PingerRequest, PingerResult } from './pinger-worker.js';
import { TaskWorker } from './task-worker.js';

export type { PingerResult };

const worker = new TaskWorker<PingerRequest, PingerResult>(new URL('./pinger-worker.ts', import.meta.url));

export interface Pinger {
  stop(): Promise<PingerResult>;
}

export async function startPinger(redisPort: number): Promise<Pinger> {
  await worker.run({ command: 'start', port: redisPort }, 10000, 'pinger start');
  return { stop: () => worker.run({ command: 'stop' }, 10000, 'pinger stop') };
}
