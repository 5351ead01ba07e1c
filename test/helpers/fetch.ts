// One-call fetch for fault tests that talk to several servers by URL (the ledger, the probes):
// status, parsed JSON body (or the text) and headers; no retry, no redirect following.

export interface FetchedResponse {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

export async function request(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<FetchedResponse> {
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  const res = await fetch(url, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (Prometheus text)
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}
