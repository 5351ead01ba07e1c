// A minimal keep-alive HTTP client for the bench's own loops (readiness checks, the pollers).

import http from 'node:http';

export interface HttpReply {
  status: number;
  body: string;
}

export class HttpClient {
  private readonly agent: http.Agent;

  constructor(
    private readonly baseUrl: URL,
    sockets = 1,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  }

  request(method: 'GET' | 'POST', path: string, body?: string, timeoutMs = 10000): Promise<HttpReply> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {};
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = http.request(
        { host: this.baseUrl.hostname, port: this.baseUrl.port, method, path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** One GET with a fresh connection; resolves to the status, or 0 when nothing answers. */
export async function probeStatus(url: string, timeoutMs = 2000): Promise<number> {
  const target = new URL(url);
  const client = new HttpClient(target);
  try {
    return (await client.request('GET', target.pathname, undefined, timeoutMs)).status;
  } catch {
    return 0;
  } finally {
    client.close();
  }
}
