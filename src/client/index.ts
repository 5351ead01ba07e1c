// sharq-server/client: the typed HTTP client and the worker helper. Node's own fetch only.
export { SharqClient, type SharqClientOptions } from './client.js';
export type { ObservedReply } from './transport.js';
export { JobFailure, runWorker, type WorkerEvent, type WorkerJob, type WorkerOptions, type WorkerSummary } from './worker.js';
export {
  SharqError,
  SharqNotFoundError,
  SharqProtocolError,
  SharqQueueFullError,
  SharqTimeoutError,
  SharqUnauthorizedError,
  SharqUnavailableError,
  SharqValidationError,
} from './errors.js';
export type * from './types.js';
export type { components as OpenApiComponents, paths as OpenApiPaths } from './openapi-types.js';
