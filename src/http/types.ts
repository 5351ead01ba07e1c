// The shapes every part of the request path shares: what a handler gets, what it returns, and
// what a route in the table says about itself.
import type { QueueEngine } from '../engine/engine.js';
import type { BatchOperation, JobEvent } from '../interfaces.js';
import type { JobSpan } from '../tracing/request-tracer.js';
import type { WaitingRoom } from '../wake/waiting-room.js';

/** What a handler's dependencies are; handlers never touch Redis themselves. */
export interface RouteDeps {
  engine: QueueEngine;
  /** Requests waiting for a job (long-poll, SPEC 5.1). */
  room: WaitingRoom;
  /** `[sharq-server] max_wait_ms`: the longest `wait`; `max_batch`: the most jobs per batch and the largest `count`. */
  limits: { maxWaitMs: number; maxBatch: number };
  /** Counts job events per queue type (Prometheus counters); count defaults to 1. */
  onJobEvent?: (event: JobEvent, queueType: string, count?: number) => void;
  /** Told the number of jobs of every batch request (Prometheus histogram). */
  onBatchSize?: (operation: BatchOperation, queueType: string, jobs: number) => void;
}

/** What a handler gets of a request. */
export interface RouteInput {
  /** Path parameters, already %-decoded. */
  params: Record<string, string>;
  /** The query string without its '?', '' when absent. */
  query: string;
  /** The body's bytes, for routes that read one. */
  body?: Buffer;
  /** Aborted when the client goes away before its answer is written (made on first use). */
  clientGone(): AbortSignal;
  /** A request header (lower-case name); node reads the headers only when a handler asks. */
  header(name: string): string | undefined;
  /** The request's span when tracing is on (SPEC 5.16): told the jobs the request hands out. */
  span?: JobSpan;
}

export interface Reply {
  status: number;
  /** An object is serialised; a string is sent as is (already JSON); undefined sends no body. */
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (input: RouteInput, deps: RouteDeps) => Promise<Reply>;

export type Method = 'GET' | 'POST' | 'DELETE';

export interface Route {
  method: Method;
  /** Path template (`:name` parameters, a trailing `*` for a subtree); the `route` metrics label. */
  path: string;
  /** Who answers: a handler called straight from node:http, or 'express' (operational routes, src/http/app.ts). */
  serve: Handler | 'express';
  /** The handler reads a body (read and size-checked before it runs). */
  body?: true;
  /** A GET that changes state (dequeue): HEAD does not run it. */
  unsafe?: true;
  /** Answered without a token when auth_tokens is set. */
  public?: true;
}
