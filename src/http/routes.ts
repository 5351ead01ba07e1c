// The SharQ REST API: each handler parses the request, calls the engine and maps the result to a
// status and body. No Redis access here.
import type { QueueEngine } from '../engine/engine.js';
import { globalMetrics, queueIds, queueMetrics } from '../engine/reads.js';
import { RedisUnavailableError, ValidationError } from '../errors.js';
import { jsonObjectBody, type JsonObject } from './body.js';
import { enqueueBatch, finishBatch } from './handlers/batch.js';
import { dequeueParams, dequeueWaitOrCount } from './handlers/dequeue-wait.js';
import type { WaitBatchDeps } from './handlers/wait-batch-deps.js';

export type JobEvent = 'enqueued' | 'dequeued' | 'finished' | 'rejected' | 'duplicate';

export interface RouteDeps {
  engine: QueueEngine;
  /** Counts job events per queue type (Prometheus counters). */
  onJobEvent?: (event: JobEvent, queueType: string) => void;
  /** Long-poll and batches (SPEC 5.1, 5.2). */
  waitBatch: WaitBatchDeps;
}

/** What a handler gets of a request: the path parameters and, for routes with a body, its bytes. */
export interface RouteInput {
  params: Record<string, string>;
  body?: Buffer;
  /** The query string (only routes that read one look at it). */
  query?: URLSearchParams;
  /** Aborted when the client goes away before its reply (long-poll waiters leave the line). */
  signal?: AbortSignal;
}

export interface Reply {
  status: number;
  /** An object is serialised; a string is sent as is (already JSON). */
  body: unknown;
}

export type Method = 'GET' | 'POST' | 'DELETE';

export interface Route {
  method: Method;
  /** Express path template; also the `route` label of the HTTP metrics. */
  path: string;
  /** Whether the handler reads a body (those routes get the raw body parser). */
  hasBody: boolean;
  /** A GET that changes state (dequeue): HEAD must not run it (express runs GET handlers for HEAD). */
  unsafe?: true;
  handle: (input: RouteInput, deps: RouteDeps) => Promise<Reply>;
}

const FAILURE = { status: 'failure' } as const;

function param(input: RouteInput, name: string): string {
  return input.params[name] ?? '';
}

/** max_queued_length may come at the top level or inside the payload, as the original reads it. */
function maxQueuedLength(body: JsonObject): unknown {
  if (body.max_queued_length !== undefined) return body.max_queued_length;
  const payload = body.payload;
  if (typeof payload === 'object' && payload !== null && !Array.isArray(payload)) {
    return (payload as JsonObject).max_queued_length;
  }
  return undefined;
}

async function enqueue(input: RouteInput, { engine, onJobEvent }: RouteDeps): Promise<Reply> {
  const body = jsonObjectBody(input.body);
  const queueType = param(input, 'queue_type');
  const result = await engine.enqueue({
    queueType,
    queueId: param(input, 'queue_id'),
    jobId: body.job_id as string,
    intervalMs: body.interval as number,
    payload: body.payload,
    requeueLimit: body.requeue_limit as number | undefined,
    maxQueuedLength: maxQueuedLength(body) as number | undefined,
    cost: body.cost as number | undefined,
  });
  switch (result.kind) {
    case 'queued':
      onJobEvent?.('enqueued', queueType);
      return { status: 201, body: { status: 'queued' } };
    case 'duplicate':
      // Still 201: a client retrying an enqueue whose reply it lost must see success.
      onJobEvent?.('duplicate', queueType);
      return {
        status: 201,
        body: { status: 'queued', duplicate: true, message: 'job_id is already queued or active in this queue' },
      };
    case 'rejected':
      onJobEvent?.('rejected', queueType);
      return {
        status: 429,
        body: { status: 'failure', message: 'max_queued_length reached', current_queue_length: result.queueLength },
      };
  }
}

async function dequeue(input: RouteInput, deps: RouteDeps): Promise<Reply> {
  const { engine, onJobEvent } = deps;
  const params = dequeueParams(input.query, deps.waitBatch);
  if (params.count !== undefined || (params.waitMs ?? 0) > 0) return dequeueWaitOrCount(input, params, deps);
  const queueType = input.params.queue_type === undefined ? 'default' : param(input, 'queue_type');
  const result = await engine.dequeue(queueType);
  if (result.kind === 'empty') return { status: 404, body: FAILURE };
  onJobEvent?.('dequeued', queueType);
  // The payload is spliced in as the JSON text it was stored as: no parse and re-serialise per job.
  const body =
    `{"status":"success","queue_id":${JSON.stringify(result.queueId)},"job_id":${JSON.stringify(result.jobId)},` +
    `"payload":${result.payloadJson},"requeues_remaining":${result.requeuesRemaining},` +
    `"current_queue_length":${result.queueLength}}`;
  return { status: 200, body };
}

async function finish(input: RouteInput, { engine, onJobEvent }: RouteDeps): Promise<Reply> {
  const queueType = param(input, 'queue_type');
  const finished = await engine.finish(queueType, param(input, 'queue_id'), param(input, 'job_id'));
  if (!finished) return { status: 404, body: FAILURE };
  onJobEvent?.('finished', queueType);
  return { status: 200, body: { status: 'success' } };
}

async function interval(input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  const body = jsonObjectBody(input.body);
  const updated = await engine.setInterval(param(input, 'queue_type'), param(input, 'queue_id'), body.interval as number);
  return updated ? { status: 200, body: { status: 'success' } } : { status: 404, body: FAILURE };
}

async function metrics(_input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  const m = await globalMetrics(engine);
  return {
    status: 200,
    body: { status: 'success', queue_types: m.queueTypes, enqueue_counts: m.enqueueCounts, dequeue_counts: m.dequeueCounts },
  };
}

async function typeMetrics(input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  return { status: 200, body: { status: 'success', queue_ids: await queueIds(engine, param(input, 'queue_type')) } };
}

async function queueMetricsRoute(input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  const m = await queueMetrics(engine, param(input, 'queue_type'), param(input, 'queue_id'));
  return {
    status: 200,
    body: { status: 'success', queue_length: m.queueLength, enqueue_counts: m.enqueueCounts, dequeue_counts: m.dequeueCounts },
  };
}

async function deleteQueue(input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  const body = jsonObjectBody(input.body, { optional: true });
  // Absent means false; null is a wrong type like any other non-boolean (as for the other fields).
  const purgeAll = body.purge_all === undefined ? false : body.purge_all;
  if (typeof purgeAll !== 'boolean') {
    throw new ValidationError('purge_all', '`purge_all` has an invalid value: expected true or false');
  }
  const removed = await engine.clearQueue(param(input, 'queue_type'), param(input, 'queue_id'), purgeAll);
  // The original's capitalised statuses and messages, kept for clients that compare them.
  if (removed.queuedRemoved === 0 && removed.activeRemoved === 0) {
    return { status: 200, body: { status: 'Failure', message: 'No queued calls found' } };
  }
  const message = purgeAll
    ? 'Successfully removed all queued calls and purged related resources'
    : 'Successfully removed all queued calls';
  return { status: 200, body: { status: 'Success', message } };
}

async function deepStatus(_input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  try {
    await engine.health();
  } catch (error) {
    throw new RedisUnavailableError(`Redis is unavailable: ${(error as Error).message}`, { cause: error });
  }
  return { status: 200, body: { status: 'success' } };
}

async function index(): Promise<Reply> {
  return { status: 200, body: { message: 'Hello, SharQ!' } };
}

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/', hasBody: false, handle: index },
  { method: 'POST', path: '/enqueue/:queue_type/', hasBody: true, handle: enqueueBatch },
  { method: 'POST', path: '/enqueue/:queue_type/:queue_id/', hasBody: true, handle: enqueue },
  { method: 'GET', path: '/dequeue/', hasBody: false, unsafe: true, handle: dequeue },
  { method: 'GET', path: '/dequeue/:queue_type/', hasBody: false, unsafe: true, handle: dequeue },
  { method: 'POST', path: '/finish/:queue_type/', hasBody: true, handle: finishBatch },
  { method: 'POST', path: '/finish/:queue_type/:queue_id/:job_id/', hasBody: false, handle: finish },
  { method: 'POST', path: '/interval/:queue_type/:queue_id/', hasBody: true, handle: interval },
  { method: 'GET', path: '/metrics/', hasBody: false, handle: metrics },
  { method: 'GET', path: '/metrics/:queue_type/', hasBody: false, handle: typeMetrics },
  { method: 'GET', path: '/metrics/:queue_type/:queue_id/', hasBody: false, handle: queueMetricsRoute },
  { method: 'DELETE', path: '/deletequeue/:queue_type/:queue_id/', hasBody: true, handle: deleteQueue },
  { method: 'GET', path: '/deepstatus/', hasBody: false, handle: deepStatus },
];
