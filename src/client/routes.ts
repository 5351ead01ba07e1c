// The route of every client call, keyed by the document's operationId. The path must be a path of
// openapi.json (a type error otherwise); test/client/client-routes.test.ts checks method and coverage.
import type { HttpMethod } from './transport.js';
import type { RouteTemplate } from './wire.js';

export interface ClientRoute {
  method: HttpMethod;
  path: RouteTemplate;
}

export const CLIENT_ROUTES = {
  hello: { method: 'GET', path: '/' },
  enqueue: { method: 'POST', path: '/enqueue/{queue_type}/{queue_id}/' },
  enqueueBatch: { method: 'POST', path: '/enqueue/{queue_type}/' },
  dequeueDefault: { method: 'GET', path: '/dequeue/' },
  dequeue: { method: 'GET', path: '/dequeue/{queue_type}/' },
  finish: { method: 'POST', path: '/finish/{queue_type}/{queue_id}/{job_id}/' },
  finishBatch: { method: 'POST', path: '/finish/{queue_type}/' },
  touch: { method: 'POST', path: '/touch/{queue_type}/{queue_id}/{job_id}/' },
  fail: { method: 'POST', path: '/fail/{queue_type}/{queue_id}/{job_id}/' },
  jobStatus: { method: 'GET', path: '/job/{queue_type}/{queue_id}/{job_id}/' },
  setInterval: { method: 'POST', path: '/interval/{queue_type}/{queue_id}/' },
  deleteQueue: { method: 'DELETE', path: '/deletequeue/{queue_type}/{queue_id}/' },
  queues: { method: 'GET', path: '/queues/{queue_type}/' },
  jobs: { method: 'GET', path: '/jobs/{queue_type}/{queue_id}/' },
  deadLetters: { method: 'GET', path: '/dead/{queue_type}/' },
  deleteDeadLetters: { method: 'DELETE', path: '/dead/{queue_type}/' },
  replayDeadLetters: { method: 'POST', path: '/dead/{queue_type}/replay/' },
  metrics: { method: 'GET', path: '/metrics/' },
  typeMetrics: { method: 'GET', path: '/metrics/{queue_type}/' },
  queueMetrics: { method: 'GET', path: '/metrics/{queue_type}/{queue_id}/' },
  pauseType: { method: 'POST', path: '/pause/{queue_type}/' },
  pauseQueue: { method: 'POST', path: '/pause/{queue_type}/{queue_id}/' },
  resumeType: { method: 'POST', path: '/resume/{queue_type}/' },
  resumeQueue: { method: 'POST', path: '/resume/{queue_type}/{queue_id}/' },
  getTypeLimits: { method: 'GET', path: '/limits/{queue_type}/' },
  getQueueLimits: { method: 'GET', path: '/limits/{queue_type}/{queue_id}/' },
  setTypeLimits: { method: 'POST', path: '/limits/{queue_type}/' },
  setQueueLimits: { method: 'POST', path: '/limits/{queue_type}/{queue_id}/' },
  deepStatus: { method: 'GET', path: '/deepstatus/' },
  prometheus: { method: 'GET', path: '/metrics' },
  openapi: { method: 'GET', path: '/openapi.json' },
} as const satisfies Record<string, ClientRoute>;

export type OperationId = keyof typeof CLIENT_ROUTES;

/** The route's path with its {parameters} filled in, each encoded. */
export function routePath(operation: OperationId, params: Record<string, string> = {}): string {
  return CLIENT_ROUTES[operation].path.replace(/\{([a-z_]+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`${operation}: missing ${name}`);
    return encodeURIComponent(value);
  });
}
