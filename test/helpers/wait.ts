// Polling instead of fixed sleeps: tests wait exactly as long as the condition needs.

import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** What is awaited, for the timeout message ("Redis on port 1234 to answer PING"). */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
}

type Falsy = undefined | false | null | 0 | '';

/**
 * Calls `probe` until it returns a truthy value and returns that value. A probe that throws
 * counts as "not yet" (servers refuse connections while starting); the last error is put in
 * the timeout message so a failure says why.
 */
export async function waitFor<T>(
  probe: () => Promise<T | Falsy> | T | Falsy,
  { what, timeoutMs = 10_000, intervalMs = 50 }: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const reason = lastError === undefined ? '' : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${reason}`);
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

/** Resolves like `promise`, or rejects naming `what` after `timeoutMs`: a hang becomes a clear error. */
export async function withDeadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
