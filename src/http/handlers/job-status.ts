// GET /job/<queue_type>/<queue_id>/<job_id>/ (SPEC 5.4): where a job is now.
import type { Reply, RouteDeps, RouteInput } from '../types.js';

export async function getJobStatus(input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  const status = await engine.lifecycle.jobStatus(input.params.queue_type, input.params.queue_id, input.params.job_id);
  if (status === undefined) return { status: 404, body: { status: 'failure' } };
  switch (status.state) {
    case 'queued':
      return {
        status: 200,
        body: { status: 'success', state: 'queued', position: status.position, requeues_remaining: status.requeuesRemaining },
      };
    case 'delayed':
      return { status: 200, body: { status: 'success', state: 'delayed', run_at_ms: status.runAtMs } };
    case 'active':
      return {
        status: 200,
        body: { status: 'success', state: 'active', expires_at_ms: status.expiresAtMs, requeues_remaining: status.requeuesRemaining },
      };
    case 'dead':
      return {
        status: 200,
        body: { status: 'success', state: 'dead', reason: status.reason, discarded_at_ms: status.discardedAtMs },
      };
  }
}
