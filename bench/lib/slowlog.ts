// Redis SLOWLOG as a stopwatch for every command: reset and log everything, then read the longest.

import type { Redis } from 'ioredis';

export async function startSlowlog(redis: Redis): Promise<void> {
  await redis.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
  await redis.call('SLOWLOG', 'RESET');
}

export interface SlowlogSummary {
  /** Longest EVALSHA/EVAL/FCALL, in ms. */
  maxScriptMs: number;
  scriptCalls: number;
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
  const summary: SlowlogSummary = { maxScriptMs: 0, scriptCalls: 0, maxAnyMs: 0, maxAnyCommand: '' };
  if (!Array.isArray(entries)) return summary;
  for (const entry of entries) {
    if (!isEntry(entry)) continue;
    const ms = entry[2] / 1000;
    const command = String(entry[3][0] ?? '').toUpperCase();
    if (command === 'EVALSHA' || command === 'EVAL' || command === 'FCALL') {
      summary.scriptCalls += 1;
      summary.maxScriptMs = Math.max(summary.maxScriptMs, ms);
    }
    if (ms > summary.maxAnyMs) {
      summary.maxAnyMs = ms;
      summary.maxAnyCommand = command;
    }
  }
  return summary;
}
