// The client's HTTP rules, against a scripted node:http server (the server's own behaviour is tested
// through the real CLI in client.test.ts): which calls are retried, timeouts, the bearer token.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';

import { SharqClient } from '../../src/client/client.js';
import { SharqTimeoutError, SharqUnauthorizedError, SharqUnavailableError } from '../../src/client/errors.js';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
}

let server: http.Server;
let url: string;
const seen: Seen[] = [];
/** Replies to give, in order; the last one repeats. `hang` never answers. */
let script: Array<{ status: number; body: unknown } | 'hang'> = [];

before(async () => {
  server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    const next = script.length > 1 ? script.shift() : script[0];
    req.resume();
    if (next === undefined || next === 'hang') return;
    res.writeHead(next.status, { 'content-type': 'application/json' }).end(JSON.stringify(next.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function reset(replies: typeof script): void {
  script = replies;
  seen.length = 0;
}

const UNAVAILABLE = { status: 503, body: { status: 'failure', message: 'Redis is unavailable' } };

test('enqueue is retried after a 503 (a repeated job_id is a duplicate, so it is safe)', async () => {
  reset([UNAVAILABLE, UNAVAILABLE, { status: 201, body: { status: 'queued' } }]);
  const client = new SharqClient({ url, retries: 2, retryDelayMs: 5 });
  assert.deepEqual(await client.enqueue({ queueType: 't', queueId: 'q', jobId: 'j', interval: 0, payload: 1 }), {});
  assert.equal(seen.length, 3);
});

test('retries stop after `retries` extra attempts with a SharqUnavailableError', async () => {
  reset([UNAVAILABLE]);
  const client = new SharqClient({ url, retries: 1, retryDelayMs: 5 });
  await assert.rejects(client.enqueue({ queueType: 't', queueId: 'q', jobId: 'j', interval: 0, payload: 1 }), SharqUnavailableError);
  assert.equal(seen.length, 2);
});

test('dequeue and finish are never retried: a lost reply would take a second job or report a false 404', async () => {
  reset([UNAVAILABLE]);
  const client = new SharqClient({ url, retries: 3, retryDelayMs: 5 });
  await assert.rejects(client.dequeue({ queueType: 't' }), SharqUnavailableError);
  await assert.rejects(client.finish({ queueType: 't', queueId: 'q', jobId: 'j' }), SharqUnavailableError);
  assert.equal(seen.length, 2);
});

test('no reply within timeoutMs is a SharqTimeoutError; a long-poll gets its wait on top', async () => {
  reset(['hang']);
  const client = new SharqClient({ url, timeoutMs: 200, retries: 0 });
  const started = Date.now();
  await assert.rejects(client.hello(), SharqTimeoutError);
  assert.ok(Date.now() - started < 5000);
  const pollStarted = Date.now();
  await assert.rejects(client.dequeue({ queueType: 't', waitMs: 600 }), SharqTimeoutError);
  assert.ok(Date.now() - pollStarted >= 750, 'the timeout of a long-poll includes its wait');
  assert.equal(seen.at(-1)?.url, '/dequeue/t/?wait=600');
});

test('the token is sent as a bearer token; a 401 is a SharqUnauthorizedError', async () => {
  reset([{ status: 401, body: { status: 'failure', message: 'unauthorized' } }]);
  const client = new SharqClient({ url, token: 's3cret', retries: 0 });
  await assert.rejects(client.metrics(), SharqUnauthorizedError);
  assert.equal(seen[0]?.authorization, 'Bearer s3cret');
});

test('an abort signal ends a long-poll at once with the signal reason', async () => {
  reset(['hang']);
  const client = new SharqClient({ url, retries: 0 });
  const controller = new AbortController();
  const polling = client.dequeue({ queueType: 't', waitMs: 30_000, signal: controller.signal });
  setTimeout(() => controller.abort(new Error('stop')), 50);
  await assert.rejects(polling, /stop/);
});
