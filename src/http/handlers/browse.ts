// The console's paged read routes (SPEC 5.12), usable by scripts as well.
import * as valid from '../../engine/validation.js';
import type { Reply, RouteDeps, RouteInput } from '../types.js';
import { typeLimitsFields } from './flow.js';

/** The first value of a query parameter, undefined when absent. */
function queryValue(input: RouteInput, name: string): string | undefined {
  return new URLSearchParams(input.query).get(name) ?? undefined;
}

/** GET /queues/:queue_type/?cursor&limit&prefix */
export async function queues(input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  const type = valid.identifier('queue_type', input.params.queue_type);
  const page = await engine.browse.queuePage(type, {
    cursor: queryValue(input, 'cursor'),
    limit: queryValue(input, 'limit'),
    prefix: queryValue(input, 'prefix'),
  });
  const [totals, limits] = await Promise.all([engine.reads.typeGauges(type), engine.flow.typeLimits(type)]);
  return {
    status: 200,
    body: {
      status: 'success',
      queues: page.queues,
      next_cursor: page.nextCursor,
      totals: { queued: totals.queued, active: totals.active, ready_queues: totals.readyQueues, queues: totals.queues },
      limits: typeLimitsFields(limits),
    },
  };
}

/** GET /jobs/:queue_type/:queue_id/?offset&limit */
export async function jobs(input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  const page = await engine.browse.jobPage(input.params.queue_type, input.params.queue_id, {
    offset: queryValue(input, 'offset'),
    limit: queryValue(input, 'limit'),
  });
  return {
    status: 200,
    body: {
      status: 'success',
      jobs: page.jobs,
      total: page.total,
      interval: page.intervalMs,
      active: page.active,
    },
  };
}
