// What shows a long blocking call in Redis during the requeue storm: SLOWLOG as a stopwatch for
// every command, and a thread PINGing Redis every 1 ms (pinger-worker.ts).

import type { Redis } from 'ioredis';

import type { PingerRequest, PingerResult } from './pinger-worker.js';
import { TaskWorker } from './task-worker.js';

export type { PingerResult };

const pingerThread = new TaskWorker<PingerRequest, PingerResult>(new URL('./pinger-worker.ts', import.meta.url));

export interface Pinger {
  stop(): Promise<PingerResult>;
}

/** Starts PINGing (one thread for the whole bench); stop() returns the round trips seen. */
export async function startPinger(redisPort: number): Promise<Pinger> {
  await pingerThread.run({ command: 'start', port: redisPort }, 10000, 'pinger start');
  return { stop: () => pingerThread.run({ command: 'stop' }, 10000, 'pinger stop') };
}

/** Logs every command from now on (threshold 0), after a reset. */
export async function startSlowlog(redis: Redis): Promise<void> {
  await redis.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
  await redis.call('SLOWLOG', 'RESET');
}

export interface SlowlogSummary {
  /** Longest EVALSHA/EVAL/FCALL, in ms. */
  maxScriptMs: number;
  scriptCalls: number;
  /** Sum of every script call's time, in ms. */
  totalScriptMs: number;
  /** Longest command of any kind, in ms, and its name. */
  maxAnyMs: number;
  maxAnyCommand: string;
}

function isEntry(value: unknown): value is [number, number, number, unknown[]] {
  return Array.isArray(value) && typeof value[2] === 'number' && Array.isArray(value[3]);
}

/** Reads every entry since startSlowlog, then restores Redis's default threshold. */
export async function stopSlowlog(redis: Redis): Promise<SlowlogSummary> {
  await redis.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
  const entries = (await redis.call('SLOWLOG', 'GET', '-1')) as unknown;
  await redis.call('SLOWLOG', 'RESET');
  const summary: SlowlogSummary = { maxScriptMs: 0, scriptCalls: 0, totalScriptMs: 0, maxAnyMs: 0, maxAnyCommand: '' };
  if (!Array.isArray(entries)) return summary;
  for (const entry of entries) {
    if (!isEntry(entry)) continue;
    const ms = entry[2] / 1000;
    const command = String(entry[3][0] ?? '').toUpperCase();
    if (command === 'EVALSHA' || command === 'EVAL' || command === 'FCALL') {
      summary.scriptCalls += 1;
      summary.totalScriptMs += ms;
      summary.maxScriptMs = Math.max(summary.maxScriptMs, ms);
    }
    if (ms > summary.maxAnyMs) {
      summary.maxAnyMs = ms;
      summary.maxAnyCommand = command;
    }
  }
  return summary;
}
