// The public JSON API of sharq-server, as the console uses it. Every request carries the bearer
// token once one was given; a 401 asks for it (once, shared by all requests waiting on it) and
// keeps it in sessionStorage: this browser tab only.
import type { components } from '../../src/client/openapi-types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Asks the user for a token; `problem` says why the last one failed. Rejects when they cancel. */
export type TokenPrompt = (problem?: string) => Promise<string>;

const TOKEN_KEY = 'sharq-console-token';
let prompt: TokenPrompt = () => Promise.reject(new ApiError(401, 'A bearer token is needed'));
let pending: Promise<string> | undefined;

export function setTokenPrompt(ask: TokenPrompt): void {
  prompt = ask;
}

function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

function askToken(problem?: string): Promise<string> {
  pending ??= prompt(problem).then(
    (token) => {
      sessionStorage.setItem(TOKEN_KEY, token);
      pending = undefined;
      return token;
    },
    (error: unknown) => {
      pending = undefined;
      throw error instanceof ApiError ? error : new ApiError(401, 'A bearer token is needed to use this server');
    },
  );
  return pending;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  for (;;) {
    const token = storedToken();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status === 401) {
      if (pending !== undefined) await pending;
      else if (storedToken() === token) {
        // This token was refused (unless another request stored a newer one meanwhile: then retry).
        sessionStorage.removeItem(TOKEN_KEY);
        await askToken(token === null ? undefined : 'The server refused this token (401). Check it and try again.');
      }
      continue;
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApiError(res.status, `${method} ${path}: the server answered ${res.status} without JSON`);
    }
    if (!res.ok) {
      const message = typeof json === 'object' && json !== null && 'message' in json ? String(json.message) : res.statusText;
      throw new ApiError(res.status, `${method} ${path}: ${res.status} ${message}`);
    }
    return json as T;
  }
}

const seg = encodeURIComponent;

function query(params: Record<string, string | number | undefined>): string {
  const pairs = Object.entries(params).filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== '');
  return pairs.length === 0 ? '' : `?${new URLSearchParams(pairs.map(([k, v]) => [k, String(v)])).toString()}`;
}

// The wire types come from the OpenAPI document (src/client/openapi-types.ts, generated from
// openapi.json), so the console cannot drift from the contract. Type-only: nothing is bundled.
type Schemas = components['schemas'];
export type CountsByMinute = Schemas['CountsByMinute'];
export type GlobalMetrics = Schemas['GlobalMetrics'];
export type QueuePage = Schemas['Queues'];
export type TypeTotals = NonNullable<QueuePage['totals']>;
export type QueueSummary = Schemas['QueueSummary'];
export type JobPage = Schemas['Jobs'];
export type WaitingJob = Schemas['WaitingJob'];
export type DeadPage = Schemas['DeadJobs'];
export type DeadLetter = Schemas['DeadJob'];
export type TypeLimits = Schemas['TypeLimitFields'];
export type QueueLimits = Schemas['QueueLimits'];

/** The flow-control route of a type, or of one of its queues. */
function flowPath(verb: 'pause' | 'resume' | 'limits', type: string, queueId?: string): string {
  return `/${verb}/${seg(type)}/${queueId === undefined ? '' : `${seg(queueId)}/`}`;
}

export const api = {
  metrics: () => request<GlobalMetrics>('GET', '/metrics/'),
  queues: (type: string, page: { cursor?: string; limit?: number; prefix?: string } = {}) =>
    request<QueuePage>('GET', `/queues/${seg(type)}/${query(page)}`),
  jobs: (type: string, queueId: string, page: { offset?: number; limit?: number } = {}) =>
    request<JobPage>('GET', `/jobs/${seg(type)}/${seg(queueId)}/${query(page)}`),
  setInterval: (type: string, queueId: string, intervalMs: number) =>
    request<Schemas['Success']>('POST', `/interval/${seg(type)}/${seg(queueId)}/`, { interval: intervalMs }),
  deleteQueue: (type: string, queueId: string, purgeAll: boolean) =>
    request<Schemas['DeleteQueueReply']>('DELETE', `/deletequeue/${seg(type)}/${seg(queueId)}/`, { purge_all: purgeAll }),
  dead: (type: string, page: { cursor?: string; limit?: number } = {}) => request<DeadPage>('GET', `/dead/${seg(type)}/${query(page)}`),
  replay: (type: string, which: { all: true } | { jobs: { queue_id: string; job_id: string }[] }) =>
    request<Schemas['Replayed']>('POST', `/dead/${seg(type)}/replay/`, which),
  deleteDead: (type: string) => request<Schemas['DeletedDead']>('DELETE', `/dead/${seg(type)}/`),
  pause: (type: string, queueId?: string) => request<Schemas['Paused']>('POST', flowPath('pause', type, queueId)),
  resume: (type: string, queueId?: string) => request<Schemas['Success']>('POST', flowPath('resume', type, queueId)),
  typeLimits: (type: string) => request<Schemas['TypeLimits']>('GET', flowPath('limits', type)),
  queueLimits: (type: string, queueId: string) => request<QueueLimits>('GET', flowPath('limits', type, queueId)),
};
