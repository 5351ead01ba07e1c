// Small clients for the long-poll and batch tests: a waiting dequeue that can be abandoned, and
// the waiting-requests gauge of an instance (what the tests wait on instead of sleeping).

import { parseExposition, sumOf } from './prometheus.js';
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

/** sharq_long_poll_waiting_requests of the instance (summed over its workers) for a type. */
export async function waitingRequests(server: ServerHandle, queueType: string): Promise<number> {
  const res = await server.api.get(`/metrics`);
  return sumOf(parseExposition(res.text).samples, 'sharq_long_poll_waiting_requests', { queue_type: queueType });
}

export async function metricSum(server: ServerHandle, name: string, labels: Record<string, string>): Promise<number> {
  const res = await server.api.get(`/metrics`);
  return sumOf(parseExposition(res.text).samples, name, labels);
}
