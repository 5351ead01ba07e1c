// One-call request by full URL, for tests that talk to several servers (the fault tests' ledger and
// probes, the lifecycle routes): status, parsed JSON body (or the text) and fetch-style headers. It
// goes through the harness's one HTTP client, so every response passes the observers (the OpenAPI
// validator) like any other; no retry, no redirect following.
import { httpClient } from './http.js';

export interface FetchedResponse {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

export async function request(
  url: string,
  init: { method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<FetchedResponse> {
  const target = new URL(url);
  const payload = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  const headers = { ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers };
  const res = await httpClient(target.origin).request(
    init.method ?? (payload === undefined ? 'GET' : 'POST'),
    `${target.pathname}${target.search}`,
    undefined,
    { rawBody: payload, headers, timeoutMs: init.timeoutMs ?? 30_000 },
  );
  const fetchHeaders = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) fetchHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return { status: res.status, body: res.body, text: res.text, headers: fetchHeaders };
}
