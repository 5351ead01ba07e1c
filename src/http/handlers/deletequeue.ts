import { ValidationError } from '../../errors.js';
import { jsonObjectBody } from '../body.js';
import type { Reply, RouteInput, RouteDeps } from '../types.js';

/** DELETE /deletequeue/:queue_type/:queue_id/ body {"purge_all"?: bool} */
export async function deleteQueue(input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  const body = jsonObjectBody(input.body, { optional: true });
  // Absent means false; null is a wrong type like any other non-boolean (as for the other fields).
  const purgeAll = body.purge_all === undefined ? false : body.purge_all;
  if (typeof purgeAll !== 'boolean') {
    throw new ValidationError('purge_all', '`purge_all` has an invalid value: expected true or false');
  }
  const removed = await engine.clearQueue(input.params.queue_type, input.params.queue_id, purgeAll);
  // The original's capitalised statuses and messages, kept for clients that compare them.
  if (removed.queuedRemoved === 0 && removed.activeRemoved === 0) {
    return { status: 200, body: { status: 'Failure', message: 'No queued calls found' } };
  }
  const message = purgeAll
    ? 'Successfully removed all queued calls and purged related resources'
    : 'Successfully removed all queued calls';
  return { status: 200, body: { status: 'Success', message } };
}
