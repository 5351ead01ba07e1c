// The last gaps to the original server's behaviour (SPEC section 2), end to end through the real
// CLI: each test would fail on the server as it was before these were closed.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

describe('parity with the original server', () => {
  let redis: RedisServerHandle;
  let server: ServerHandle;
  const accessLog = path.join(mkdtempSync(path.join(tmpdir(), 'sharq-parity-')), 'access.log');

  before(async () => {
    redis = await startRedis();
    server = await startServer({ redisPort: redis.port, workers: 2, config: { 'sharq-server': { accesslog: accessLog } } });
  });
  after(async () => {
    await server?.stop();
    await redis?.stop();
  });

  test('an enqueue with max_queued_length answers 201 with the length before it', async () => {
    const job = (id: string) => ({ job_id: id, interval: 0, payload: {}, max_queued_length: 2 });
    const first = await server.api.post('/enqueue/mql/q/', job('a'));
    assert.deepEqual([first.status, first.body], [201, { status: 'queued', current_queue_length: 0 }]);
    const second = await server.api.post('/enqueue/mql/q/', job('b'));
    assert.deepEqual([second.status, second.body], [201, { status: 'queued', current_queue_length: 1 }]);
    const third = await server.api.post('/enqueue/mql/q/', job('c'));
    assert.equal(third.status, 429);
    assert.equal((third.body as { current_queue_length: number }).current_queue_length, 2);
    // Without the limit the reply stays the bare original one.
    const plain = await server.api.post('/enqueue/mql/other/', { job_id: 'x', interval: 0, payload: {} });
    assert.deepEqual(plain.body, { status: 'queued' });
  });

  test('GET /metrics/ lists the types with queued or active jobs now', async () => {
    await server.api.post('/enqueue/gone/q/', { job_id: 'j', interval: 0, payload: {} });
    assert.ok(((await server.api.get('/metrics/')).body as { queue_types: string[] }).queue_types.includes('gone'));
    const job = (await server.api.get('/dequeue/gone/')).body as { queue_id: string; job_id: string };
    assert.equal((await server.api.post(`/finish/gone/${job.queue_id}/${job.job_id}/`)).status, 200);
    const types = ((await server.api.get('/metrics/')).body as { queue_types: string[] }).queue_types;
    assert.ok(!types.includes('gone'), `a drained type is not listed: ${JSON.stringify(types)}`);
  });

  test('OPTIONS on a known route answers 200 with Allow; on an unknown one 404', async () => {
    const options = await server.api.request('OPTIONS', '/enqueue/t/q/');
    assert.equal(options.status, 200);
    assert.deepEqual(String(options.headers['allow']).split(', ').sort(), ['OPTIONS', 'POST']);
    const metrics = await server.api.request('OPTIONS', '/metrics/');
    assert.deepEqual(String(metrics.headers['allow']).split(', ').sort(), ['GET', 'HEAD', 'OPTIONS']);
    // dequeue changes state, so HEAD is not offered for it.
    const dequeue = await server.api.request('OPTIONS', '/dequeue/t/');
    assert.deepEqual(String(dequeue.headers['allow']).split(', ').sort(), ['GET', 'OPTIONS']);
    assert.equal((await server.api.request('OPTIONS', '/nope/')).status, 404);
  });

  test('a non-empty body that is not JSON is a 400 on every route that reads one, a lone BOM included', async () => {
    for (const [method, route] of [
      ['POST', '/enqueue/bom/q/'],
      ['POST', '/interval/bom/q/'],
      ['DELETE', '/deletequeue/bom/q/'],
    ] as const) {
      for (const rawBody of ['\uFEFF', 'not json']) {
        const res = await server.api.request(method, route, undefined, { rawBody });
        assert.equal(res.status, 400, `${method} ${route} with ${JSON.stringify(rawBody)}: ${res.text}`);
        assert.equal((res.body as { status: string }).status, 'failure');
      }
    }
    // An empty body still means "no options" for deletequeue.
    assert.equal((await server.api.delete('/deletequeue/bom/q/')).status, 200);
  });

  test('the access log shows the body size of every route', async () => {
    const marker = `bytes-${Date.now()}`;
    const res = await server.api.post(`/enqueue/${marker}/q/`, { job_id: 'j', interval: 0, payload: {} });
    const lines = await waitFor(
      () => {
        const found = readFileSync(accessLog, 'utf8').split('\n').filter((line) => line.includes(marker));
        return found.length > 0 ? found : undefined;
      },
      { what: 'the enqueue in the access log', timeoutMs: 10_000 },
    );
    // "... HTTP/1.1" 201 <bytes> "-" ...
    const bytes = /" 201 (\S+) /.exec(lines[0] ?? '')?.[1];
    assert.equal(bytes, String(Buffer.byteLength(res.text)), lines[0]);
  });
});
