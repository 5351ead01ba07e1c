// Small clients for the long-poll and batch tests: a waiting dequeue that can be abandoned, and
// the waiting-requests gauge of an instance (what the tests wait on instead of sleeping).

import type { ServerHandle } from './server.js';

export interface Waiter {
  /** Resolves with the reply (status, parsed body) and how long the request took. */
  reply: Promise<{ status: number; body: Record<string, unknown>; elapsedMs: number }>;
  /** Closes the connection before the reply (a client giving up). */
  abandon(): void;
}

export function longPoll(server: ServerHandle, path: string): Waiter {
  const controller = new AbortController();
  const started = Date.now();
  const reply = fetch(`${server.url}${path}`, { signal: controller.signal }).then(async (res) => ({
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    elapsedMs: Date.now() - started,
  }));
  // An abandoned waiter's rejection is expected; keep it from counting as unhandled.
  reply.catch(() => undefined);
  return { reply, abandon: () => controller.abort() };
}

/**
 * Sum of one metric's samples whose labels include `labels`, read from the instance's /metrics.
 * Only the lines of that metric are read, so an odd value of an unrelated metric does not matter.
 */
export async function metricSum(server: ServerHandle, name: string, labels: Record<string, string>): Promise<number> {
  const res = await server.api.get('/metrics');
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = 0;
  for (const line of res.text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    if (!wanted.every((label) => (match[2] ?? '').includes(label))) continue;
    sum += Number(match[3]);
  }
  return sum;
}

/** sharq_long_poll_waiting_requests of the instance (summed over its workers) for a type. */
export function waitingRequests(server: ServerHandle, queueType: string): Promise<number> {
  return metricSum(server, 'sharq_long_poll_waiting_requests', { queue_type: queueType });
}
