// Writes every answer the server gives and maps every error to its status, for the workers'
// listener, the express app and the primary's metrics port alike.
import type { ServerResponse } from 'node:http';
import { HttpError, RedisUnavailableError, ValidationError } from '../errors.js';
import { isRedisUnavailable } from '../redis/client.js';
import type { Reply } from './types.js';

const JSON_TYPE = 'application/json; charset=utf-8';

export function failure(status: number, message?: string): Reply {
  return { status, body: message === undefined ? { status: 'failure' } : { status: 'failure', message } };
}

/** Headers go through setHeader (not writeHead's argument) so the access log can read them back. */
export function writeReply(res: ServerResponse, reply: Reply): void {
  if (reply.headers) for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
  if (reply.body === undefined) {
    res.setHeader('content-length', 0);
    res.writeHead(reply.status).end();
    return;
  }
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.setHeader('content-type', JSON_TYPE);
  res.setHeader('content-length', Buffer.byteLength(text));
  res.writeHead(reply.status).end(text);
}

// Redis at maxmemory with noeviction refuses a script before its first write, so nothing is half-written.
const REDIS_OUT_OF_MEMORY = 'Redis refuses writes: it is out of memory (maxmemory reached); dequeue and finish still work';
// An ACL user limited to other keys or commands: the operator's to fix, logged once like an outage.
const REDIS_NO_PERMISSION =
  'Redis refuses this ACL user the keys or commands needed (NOPERM): check [redis] username and key_prefix';

/** An error's reply; `internal` is true when it is our fault and must be logged. */
export function errorReply(error: unknown): Reply & { internal: boolean } {
  if (error instanceof ValidationError) return { ...failure(400, error.message), internal: false };
  if (error instanceof HttpError) return { ...failure(error.status, error.message), internal: false };
  if (error instanceof RedisUnavailableError) return { ...failure(503, error.message), internal: false };
  if (error instanceof Error && /^OOM\b/.test(error.message)) return { ...failure(503, REDIS_OUT_OF_MEMORY), internal: false };
  if (error instanceof Error && /^NOPERM\b/.test(error.message)) return { ...failure(503, REDIS_NO_PERMISSION), internal: false };
  if (isRedisUnavailable(error)) return { ...failure(503, 'Redis is unavailable, try again shortly'), internal: false };
  return { ...failure(500, 'internal error'), internal: true };
}
