// The one HTTP client of the end-to-end tests (and of the bench's own loops). Every response
// passes the observers registered with onResponse() first: the single place where a check of all
// answers (an OpenAPI response validator) plugs in.

import http from 'node:http';

export interface HttpResponse {
  status: number;
  /** Lower-case names, as node:http gives them. */
  headers: http.IncomingHttpHeaders;
  /** The body as text. */
  text: string;
  /** The body parsed as JSON, or the text when it is not JSON (Prometheus text, empty). */
  body: unknown;
}

export interface HttpExchange {
  method: string;
  /** Path and query as sent. */
  path: string;
  requestHeaders: Record<string, string>;
  requestBody: string | Buffer | undefined;
  response: HttpResponse;
}

/** Sees every response; throwing fails the request (and so the test that made it). */
export type ResponseObserver = (exchange: HttpExchange) => void;

const observers = new Set<ResponseObserver>();

/** Registers an observer of every response of every client; returns its removal. */
export function onResponse(observer: ResponseObserver): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

let observing = true;

/**
 * Turns the observers off (and on again): the bench does while it drives an older build with
 * `--baseline`, whose replies answer that build's contract, not this tree's openapi.json.
 */
export function observeResponses(on: boolean): void {
  observing = on;
}

export interface RequestOptions {
  /** Sent as is instead of JSON.stringify(body). */
  rawBody?: string | Buffer;
  /**
   * Exactly the headers to send (Content-Length aside). Without it a request with a body says
   * `content-type: application/json`.
   */
  headers?: Record<string, string>;
  /** Follow a 307/308 redirect with the same method and body. */
  follow?: boolean;
  timeoutMs?: number;
}

export interface HttpClient {
  readonly baseUrl: string;
  /** `body` is sent as JSON; see RequestOptions for a raw body and exact headers. */
  request(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<HttpResponse>;
  get(path: string): Promise<HttpResponse>;
  post(path: string, body?: unknown): Promise<HttpResponse>;
  delete(path: string, body?: unknown): Promise<HttpResponse>;
  /** Closes kept-alive sockets. */
  close(): void;
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function send(
  target: URL,
  method: string,
  headers: Record<string, string>,
  payload: string | Buffer | undefined,
  agent: http.Agent | false,
  timeoutMs: number,
): Promise<HttpResponse> {
  // An explicit Content-Length: node sends a DELETE's body without one, which the server reads as a next request.
  const allHeaders = payload === undefined ? headers : { 'content-length': String(Buffer.byteLength(payload)), ...headers };
  return new Promise((resolve, reject) => {
    const req = http.request(target, { method, headers: allHeaders, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parseBody(text) });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${target.pathname}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * A client of the server at `baseUrl`. By default every request has a fresh connection (a garbage
 * request must not poison the next one); `keepAliveSockets` pools that many kept-alive sockets.
 */
export function httpClient(baseUrl: string, { keepAliveSockets }: { keepAliveSockets?: number } = {}): HttpClient {
  const agent = keepAliveSockets === undefined ? false : new http.Agent({ keepAlive: true, maxSockets: keepAliveSockets });

  const request = async (method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<HttpResponse> => {
    const payload = options.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
    const headers = options.headers ?? (payload === undefined ? {} : { 'content-type': 'application/json' });
    // Parsed like a browser would (dot segments resolved), as the tests have always sent them; a
    // path is appended to the base as is (so `//x/` stays a path), a full URL is used as it is.
    const target = new URL(/^https?:\/\//.test(path) ? path : `${baseUrl}${path}`);
    const response = await send(target, method, headers, payload, agent, options.timeoutMs ?? 10_000);
    const exchange = { method, path: `${target.pathname}${target.search}`, requestHeaders: headers, requestBody: payload, response };
    if (observing) for (const observer of observers) observer(exchange);
    const location = response.headers.location;
    if (options.follow === true && (response.status === 307 || response.status === 308) && location !== undefined) {
      return request(method, location, body, { ...options, follow: false });
    }
    return response;
  };

  return {
    baseUrl,
    request,
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body),
    delete: (path, body) => request('DELETE', path, body),
    close: () => {
      if (agent !== false) agent.destroy();
    },
  };
}
