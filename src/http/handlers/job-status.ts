// GET /job/<queue_type>/<queue_id>/<job_id>/ (SPEC 5.4): where a job is now, with its attempts and
// last error (SPEC 5.13).
import type { JobStatus } from '../../engine/lifecycle.js';
import type { Reply, RouteDeps, RouteInput } from '../types.js';

function stateFields(status: JobStatus): Record<string, unknown> {
  switch (status.state) {
    case 'queued':
      return { state: 'queued', position: status.position, requeues_remaining: status.requeuesRemaining };
    case 'delayed':
      return { state: 'delayed', run_at_ms: status.runAtMs };
    case 'active':
      return { state: 'active', expires_at_ms: status.expiresAtMs, requeues_remaining: status.requeuesRemaining };
    case 'dead':
      return { state: 'dead', reason: status.reason, discarded_at_ms: status.discardedAtMs };
  }
}

export async function getJobStatus(input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  const status = await engine.lifecycle.jobStatus(input.params.queue_type, input.params.queue_id, input.params.job_id);
  if (status === undefined) return { status: 404, body: { status: 'failure' } };
  const lastError = status.lastError === undefined ? {} : { last_error: status.lastError };
  return { status: 200, body: { status: 'success', ...stateFields(status), attempts: status.attempts, ...lastError } };
}
