// runWorker while Redis is down: the server answers 503, the worker backs off (growing pauses, no
// busy loop), says so through events, and picks up work by itself once Redis is back.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { SharqClient } from '../../src/client/client.js';
import { SharqUnavailableError } from '../../src/client/errors.js';
import { runWorker, type WorkerEvent } from '../../src/client/worker.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

let redis: RedisServerHandle;
let server: ServerHandle;

before(async () => {
  redis = await startRedis();
  server = await startServer({ redisPort: redis.port, workers: 2 });
});

after(async () => {
  await server?.stop();
  await redis?.stop();
});

test('503 while Redis is down: growing back-off, then work resumes by itself', async (t) => {
  const client = new SharqClient({ url: server.url });
  const events: WorkerEvent[] = [];
  const handled: string[] = [];
  const stop = new AbortController();
  t.after(() => stop.abort()); // a failed wait must not leave the worker polling
  const worker = runWorker({
    url: server.url,
    queueType: 'outage',
    waitMs: 500,
    idlePauseMs: 50,
    backoffMs: 100,
    maxBackoffMs: 1600,
    signal: stop.signal,
    onEvent: (e) => events.push(e),
    handler: (job) => {
      handled.push(job.jobId);
    },
  });
  const backoffs = () => events.filter((e): e is Extract<WorkerEvent, { type: 'backoff' }> => e.type === 'backoff');

  await redis.kill();
  const downAt = Date.now();
  await waitFor(() => backoffs().length >= 5, { what: 'five back-offs while Redis is down', timeoutMs: 30_000 });
  const downForMs = Date.now() - downAt;
  const seen = backoffs();
  assert.ok(seen.every((e) => e.error instanceof SharqUnavailableError), 'each back-off is for an unavailable server');
  assert.ok(seen.some((e) => (e.error as SharqUnavailableError).status === 503), 'the server answered 503');
  // Delays double (with jitter between half and all of the step): the fifth step is 1600 ms, so >= 800.
  assert.ok((seen[4]?.delayMs ?? 0) >= 800, `back-off grows: ${seen.map((e) => Math.round(e.delayMs)).join(', ')}`);
  assert.ok(downForMs >= 100 / 2 + 200 / 2 + 400 / 2 + 800 / 2, 'the worker paused between attempts');

  await redis.restart();
  await waitFor(() => client.deepStatus(), { what: 'the server to see Redis again', timeoutMs: 30_000 });
  await client.enqueue({ queueType: 'outage', queueId: 'q', jobId: 'after', interval: 0, payload: null });
  await waitFor(() => handled.includes('after'), { what: 'the worker to handle a job after the outage', timeoutMs: 30_000 });
  stop.abort();
  assert.deepEqual(await worker, { finished: 1, failed: 0, retried: 0, dead: 0, lost: 0 });
});
