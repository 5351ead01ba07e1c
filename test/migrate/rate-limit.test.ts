// A queue dequeued just before the migration keeps its rate limit just after it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';

import type { RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { NO_EXPIRY, pyDequeue, pyEnqueue, redisNowMs, runMigrate, writeConfig } from './python-layout.js';
import { oneRedisForSuite } from './fixture.js';

const INTERVAL_MS = 8000;

let redis: RedisServerHandle;
let client: Redis;
let server: ServerHandle | undefined;
let config: ReturnType<typeof writeConfig>;

after(async () => {
  await server?.stop();
});
oneRedisForSuite((made) => ({ redis, client, config } = made));

test('the next dequeue waits for the last old dequeue + interval', async () => {
  // Started first, so the migration itself runs right after the old dequeue.
  server = await startServer({ redisPort: redis.port, workers: 2, startTimeoutMs: 60_000, config: NO_EXPIRY });
  const now = await redisNowMs(client);
  for (const id of ['j1', 'j2']) await pyEnqueue(client, 'py', { type: 'sms', queue: 'slow', id, payload: id, intervalMs: INTERVAL_MS }, now);
  // An unrelated queue without interval shows the type is otherwise served at once.
  await pyEnqueue(client, 'py', { type: 'sms', queue: 'fast', id: 'f1', payload: 'f1', intervalMs: 0 }, now);
  const lastDequeueMs = await redisNowMs(client);
  await pyDequeue(client, 'py', 'sms', 'slow', lastDequeueMs);
  await client.del('py:sms:active'); // j1 was finished by its old worker
  await client.hdel('py:payload', 'sms:slow:j1');

  const run = await runMigrate(['--config', config.path, '--from-prefix', 'py']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /jobs moved: 2 /);

  const first = await server!.api.get(`/dequeue/sms/`);
  assert.equal((first.body as { job_id: string }).job_id, 'f1');
  assert.equal((await server.api.post(`/finish/sms/fast/f1/`)).status, 200);
  // The margin: the test must see the refusal well before the interval ends, even on a slow machine.
  assert.ok((await redisNowMs(client)) < lastDequeueMs + INTERVAL_MS - 1000, 'checked within the interval');
  assert.equal((await server!.api.get(`/dequeue/sms/`)).status, 404);

  const next = await waitFor(
    async () => {
      const res = await server!.api.get(`/dequeue/sms/`);
      return res.status === 200 ? res : undefined;
    },
    { what: 'j2 to become dequeueable', timeoutMs: INTERVAL_MS + 15_000, intervalMs: 100 },
  );
  assert.equal((next.body as { job_id: string }).job_id, 'j2');
  assert.ok((await redisNowMs(client)) >= lastDequeueMs + INTERVAL_MS, 'not before last dequeue + interval');
});
