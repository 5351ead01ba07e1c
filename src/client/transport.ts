// One HTTP exchange with the server over Node's own fetch (undici: pooled keep-alive connections),
// with a timeout, the bearer token, and retries only for calls the caller marked safe to repeat.
import {
  SharqError,
  SharqNotFoundError,
  SharqProtocolError,
  SharqQueueFullError,
  SharqTimeoutError,
  SharqUnauthorizedError,
  SharqUnavailableError,
  SharqValidationError,
  type ErrorDetails,
} from './errors.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface TransportOptions {
  /** Base URL of the server, e.g. http://127.0.0.1:8080 */
  url: string;
  /** Sent as `Authorization: Bearer <token>` (needed when the server sets auth_tokens). */
  token?: string;
  /** Per-request deadline; a long-poll gets its `wait` on top. Default 10000. */
  timeoutMs?: number;
  /** Extra attempts of a retry-safe call after a 503, a connection error or a timeout. Default 2. */
  retries?: number;
  /** First pause between attempts; doubles each time, with jitter. Default 200. */
  retryDelayMs?: number;
  /** Told of every reply (for logging, metrics, or checking replies against openapi.json in tests). */
  onReply?: (reply: ObservedReply) => void;
}

export interface ObservedReply {
  method: HttpMethod;
  /** Path and query string as sent. */
  path: string;
  status: number;
  body: unknown;
  headers: Headers;
}

export interface HttpCall {
  method: HttpMethod;
  /** Path with its parameters already encoded. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Statuses the caller handles itself; any other becomes a typed error. */
  expect: readonly number[];
  /** Whether repeating the request after an unclear outcome is harmless (idempotent). */
  retrySafe: boolean;
  /** Added to the timeout (a long-poll's wait). */
  extraTimeoutMs?: number;
  signal?: AbortSignal;
  /** Sent beside the client's own (a trace context). */
  headers?: Record<string, string>;
}

export interface HttpReply {
  status: number;
  /** Parsed JSON, or the text when the reply is not JSON. */
  body: unknown;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_RETRIES = 2;
const DEFAULT_RETRY_DELAY_MS = 200;

export class Transport {
  private readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly onReply: TransportOptions['onReply'];

  constructor(options: TransportOptions) {
    this.baseUrl = options.url.replace(/\/+$/, '');
    this.headers = { accept: 'application/json' };
    if (options.token !== undefined) this.headers.authorization = `Bearer ${options.token}`;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retries = options.retries ?? DEFAULT_RETRIES;
    this.retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    this.onReply = options.onReply;
  }

  async call(call: HttpCall): Promise<HttpReply> {
    for (let attempt = 0; ; attempt++) {
      try {
        const reply = await this.once(call);
        if (call.expect.includes(reply.status)) return reply;
        throw errorFor(reply, `${call.method} ${call.path}`);
      } catch (error) {
        const retry = call.retrySafe && attempt < this.retries && error instanceof SharqUnavailableError;
        if (!retry) throw error;
        await pause(backoffMs(this.retryDelayMs, attempt), call.signal);
      }
    }
  }

  private async once(call: HttpCall): Promise<HttpReply> {
    const url = new URL(this.baseUrl + call.path);
    for (const [key, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const timeout = AbortSignal.timeout(this.timeoutMs + (call.extraTimeoutMs ?? 0));
    const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
    const headers = { ...this.headers, ...call.headers, ...(call.body === undefined ? {} : { 'content-type': 'application/json' }) };
    const request = `${call.method} ${call.path}`;
    let text: string;
    let status: number;
    let replyHeaders: Headers;
    try {
      const res = await fetch(url, {
        method: call.method,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal,
      });
      status = res.status;
      replyHeaders = res.headers;
      text = await res.text();
    } catch (error) {
      if (call.signal?.aborted) throw call.signal.reason;
      if (timeout.aborted) throw new SharqTimeoutError(`${request}: no reply within ${this.timeoutMs} ms`, { request, cause: error });
      throw new SharqUnavailableError(`${request}: ${connectionProblem(error)}`, { request, cause: error });
    }
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Prometheus text, or a proxy's HTML page: kept as text.
    }
    this.onReply?.({ method: call.method, path: url.pathname + url.search, status, body, headers: replyHeaders });
    return { status, body };
  }
}

function connectionProblem(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

function messageOf(body: unknown, fallback: string): string {
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : fallback;
}

/** The typed error for a reply the caller did not expect. */
export function errorFor(reply: HttpReply, request: string): SharqError {
  const details: ErrorDetails = { status: reply.status, body: reply.body, request };
  const message = `${request}: ${reply.status} ${messageOf(reply.body, 'unexpected reply')}`;
  switch (reply.status) {
    case 400:
    case 413:
    case 415:
      return new SharqValidationError(message, details);
    case 401:
      return new SharqUnauthorizedError(message, details);
    case 404:
      return new SharqNotFoundError(message, details);
    case 429: {
      const length = (reply.body as { current_queue_length?: unknown } | null)?.current_queue_length;
      return new SharqQueueFullError(message, typeof length === 'number' ? length : -1, details);
    }
    case 503:
      return new SharqUnavailableError(message, details);
    default:
      return new SharqProtocolError(message, details);
  }
}

/** Exponential back-off with full jitter between half and all of the step. */
export function backoffMs(baseMs: number, attempt: number, maxMs = 30_000): number {
  const step = Math.min(maxMs, baseMs * 2 ** attempt);
  return step / 2 + Math.random() * (step / 2);
}

/** Waits ms, or rejects with the signal's reason as soon as it aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
