// Every error a request can meet, mapped to a status and a JSON body in this one place.
import { ValidationError, RedisUnavailableError } from '../errors.js';

export interface ErrorReply {
  status: number;
  body: { status: 'failure'; message: string };
}

/** A request problem the HTTP layer itself finds (bad JSON, body too large, wrong method...). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

// Redis replies that mean "Redis cannot serve now", not "the request is wrong".
const UNAVAILABLE_REPLY = /^(OOM|LOADING|READONLY|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|BUSY|NOREPLICAS)\b/;
// ioredis's own words for a connection that is down, closed or too slow.
const UNAVAILABLE_CLIENT =
  /(Stream isn't writeable|Connection is closed|Command timed out|Reached the max retries|None of startup nodes is available|Failed to refresh slots cache|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH)/;

export function isRedisUnavailable(error: unknown): boolean {
  if (error instanceof RedisUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  return UNAVAILABLE_REPLY.test(error.message) || UNAVAILABLE_CLIENT.test(error.message) || error.name === 'MaxRetriesPerRequestError';
}

// Redis at maxmemory with noeviction refuses a script before its first write, so nothing is half-written.
export const REDIS_OUT_OF_MEMORY = 'Redis refuses writes: it is out of memory (maxmemory reached); dequeue and finish still work';

// An ACL user limited to other keys or commands: the operator's to fix, logged once like an outage.
export const REDIS_NO_PERMISSION =
  'Redis refuses this ACL user the keys or commands needed (NOPERM): check [redis] username and key_prefix';

function failure(status: number, message: string): ErrorReply {
  return { status, body: { status: 'failure', message } };
}

/** Maps an error to its reply; `internal` is true when it is our fault and must be logged. */
export function errorReply(error: unknown): ErrorReply & { internal: boolean } {
  if (error instanceof ValidationError) return { ...failure(400, error.message), internal: false };
  if (error instanceof HttpError) return { ...failure(error.status, error.message), internal: false };
  if (error instanceof RedisUnavailableError) return { ...failure(503, error.message), internal: false };
  if (error instanceof Error && /^OOM\b/.test(error.message)) return { ...failure(503, REDIS_OUT_OF_MEMORY), internal: false };
  if (error instanceof Error && /^NOPERM\b/.test(error.message)) return { ...failure(503, REDIS_NO_PERMISSION), internal: false };
  if (isRedisUnavailable(error)) return { ...failure(503, 'Redis is unavailable, try again shortly'), internal: false };
  return { ...failure(500, 'internal error'), internal: true };
}
