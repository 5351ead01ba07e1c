// The original's JSON metrics routes (Prometheus text is GET /metrics, served by express).
import type { Reply, RouteInput, RouteDeps } from '../types.js';

/** GET /metrics/ */
export async function globalMetrics(_input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  const m = await engine.reads.globalMetrics();
  return {
    status: 200,
    body: { status: 'success', queue_types: m.queueTypes, enqueue_counts: m.enqueueCounts, dequeue_counts: m.dequeueCounts },
  };
}

/** GET /metrics/:queue_type/ */
export async function typeMetrics(input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  return { status: 200, body: { status: 'success', queue_ids: await engine.reads.queueIds(input.params.queue_type) } };
}

/** GET /metrics/:queue_type/:queue_id/ */
export async function queueMetrics(input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  const m = await engine.reads.queueMetrics(input.params.queue_type, input.params.queue_id);
  return {
    status: 200,
    body: { status: 'success', queue_length: m.queueLength, enqueue_counts: m.enqueueCounts, dequeue_counts: m.dequeueCounts },
  };
}
