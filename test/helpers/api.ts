// What the end-to-end files of the SharQ API share: one Redis and one CLI per file, the client,
// and the assertions every route's answers are held to.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import type { HttpClient, HttpResponse } from './http.js';
import { startRedis, type RedisServerHandle } from './redis.js';
import { startServer, type ServerHandle, type StartServerOptions } from './server.js';

export type Json = Record<string, unknown>;

export const JOB = { job_id: 'job-1', interval: 0, payload: { hello: 'world' } };

export interface ApiServer {
  readonly redis: RedisServerHandle;
  readonly server: ServerHandle;
  readonly api: HttpClient;
}

/**
 * A real Redis and the real CLI (2 workers by default) for the tests of one file: started in
 * before(), stopped in after(). Tests keep apart by using queue types of their own.
 */
export function serverForFile(options: Omit<StartServerOptions, 'redisPort'> = {}): ApiServer {
  let started: ApiServer | undefined;
  before(async () => {
    const redis = await startRedis();
    const server = await startServer({ workers: 2, ...options, redisPort: redis.port });
    started = { redis, server, api: server.api };
  });
  after(async () => {
    await started?.server.stop();
    await started?.redis.stop();
  });
  const get = (): ApiServer => {
    if (started === undefined) throw new Error('the server of this file is not started (used outside a test?)');
    return started;
  };
  // Stable handles, usable at the top of a file: they reach the started server when called.
  const api: HttpClient = {
    get baseUrl() {
      return get().api.baseUrl;
    },
    request: (method, path, body, options) => get().api.request(method, path, body, options),
    get: (path) => get().api.get(path),
    post: (path, body) => get().api.post(path, body),
    delete: (path, body) => get().api.delete(path, body),
    close: () => started?.api.close(),
  };
  return {
    get redis() {
      return get().redis;
    },
    get server() {
      return get().server;
    },
    api,
  };
}

export function asObject(value: unknown): Json {
  assert.equal(typeof value, 'object', `expected an object, got ${JSON.stringify(value)}`);
  assert.ok(value !== null && !Array.isArray(value));
  return value as Json;
}

export function enqueue(api: HttpClient, type: string, id: string, job: Json): Promise<HttpResponse> {
  return api.post(`/enqueue/${type}/${id}/`, job);
}

/** The queue's length by GET /metrics/<type>/<id>/. */
export async function queueLength(api: HttpClient, type: string, id: string): Promise<number> {
  const res = await api.get(`/metrics/${type}/${id}/`);
  assert.equal(res.status, 200, res.text);
  const length = asObject(res.body).queue_length;
  assert.equal(typeof length, 'number');
  return length as number;
}

export function assertJson(res: HttpResponse): void {
  assert.match(String(res.headers['content-type']), /^application\/json/, `content-type of ${res.text}`);
}

export function assertNoInternals(text: string): void {
  assert.doesNotMatch(text, /\bat [\w.<>]+ \(|\n\s+at /, `stack frame in ${text}`);
  assert.doesNotMatch(text, /\/work\/|node_modules|\/dist\/|\.[jt]s:\d+/, `file path in ${text}`);
}

/** An error reply: JSON, status failure, a message (naming `field` when given), and nothing of our internals. */
export function assertCleanError(res: HttpResponse, status: number, field?: string): Json {
  assert.equal(res.status, status, res.text);
  assertJson(res);
  assertNoInternals(res.text);
  const body = asObject(JSON.parse(res.text));
  assert.equal(body.status, 'failure', res.text);
  if (status !== 404 || 'message' in body) assert.equal(typeof body.message, 'string', res.text);
  if (field !== undefined) assert.ok(String(body.message).includes(field), `message should name ${field}: ${res.text}`);
  return body;
}
