// `migrate --follow` beside the server: jobs a producer keeps writing in the old layout all come out of the
// HTTP API once and in order; a second follower waits on the lock and takes over when the first stops.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

import type { RedisServerHandle } from '../helpers/redis.js';
import type { HttpClient } from '../helpers/http.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { NO_EXPIRY, pyEnqueue, redisNowMs, startMigrate, writeConfig, type MigrateRun } from './python-layout.js';
import { oneRedisForSuite } from './fixture.js';

const QUEUES = ['a', 'b', 'c'];
const JOBS = 300;

let redis: RedisServerHandle;
let client: Redis;
let server: ServerHandle | undefined;
let config: ReturnType<typeof writeConfig>;
const followers: MigrateRun[] = [];

after(async () => {
  for (const f of followers) f.child.kill('SIGKILL');
  await server?.stop();
});
oneRedisForSuite((made) => ({ redis, client, config } = made));

async function drainInto(seen: Map<string, string[]>, api: HttpClient): Promise<number> {
  let got = 0;
  for (;;) {
    const res = await api.get('/dequeue/live/');
    if (res.status === 404) return got;
    const { queue_id: queue, job_id: id } = res.body as { queue_id: string; job_id: string };
    seen.set(queue, [...(seen.get(queue) ?? []), id]);
    got += 1;
  }
}

test('a concurrent old-layout producer: every job out once, in order; one follower at a time', async () => {
  // Jobs never expire here, so a dequeued job need not be finished to stay out.
  server = await startServer({ redisPort: redis.port, workers: 2, startTimeoutMs: 60_000, config: NO_EXPIRY });
  const args = ['--config', config.path, '--from-prefix', 'py', '--follow'];
  const first = startMigrate(args);
  followers.push(first);
  await waitFor(() => first.stderr().includes('following py'), { what: 'the first follower to take the lock', timeoutMs: 60_000 });
  const second = startMigrate(args);
  followers.push(second);
  await waitFor(() => second.stderr().includes('another follower holds'), { what: 'the second follower to wait', timeoutMs: 60_000 });

  const written = new Map<string, string[]>(QUEUES.map((q) => [q, []]));
  const seen = new Map<string, string[]>();
  let producing = true;
  const producer = (async () => {
    let nowMs = await redisNowMs(client);
    for (let i = 0; i < JOBS; i++) {
      const queue = QUEUES[i % QUEUES.length]!;
      const id = `j${i}`;
      await pyEnqueue(client, 'py', { type: 'live', queue, id, payload: { i } }, nowMs);
      written.get(queue)!.push(id);
      if (i % 10 === 9) {
        await sleep(20); // a few hundred jobs per second at most
        nowMs = await redisNowMs(client);
      }
    }
    producing = false;
  })();
  while (producing) {
    await drainInto(seen, server.api);
    await sleep(50);
  }
  await producer;
  await waitFor(async () => (await drainInto(seen, server!.api), [...seen.values()].flat().length >= JOBS), {
    what: 'every produced job to come out of the HTTP API',
    timeoutMs: 30_000,
    intervalMs: 100,
  });
  for (const queue of QUEUES) assert.deepEqual(seen.get(queue), written.get(queue), `queue ${queue}: each once, in order`);

  // One more job, written while nothing else happens, is dequeueable within the bound (1 s, plus margin).
  const writtenAt = Date.now();
  await pyEnqueue(client, 'py', { type: 'live', queue: 'a', id: 'last', payload: 'last' }, await redisNowMs(client));
  const out = await waitFor(
    async () => {
      const res = await server!.api.get(`/dequeue/live/`);
      return res.status === 200 ? (res.body as { job_id: string }) : undefined;
    },
    { what: 'the last job', timeoutMs: 10_000, intervalMs: 20 },
  );
  assert.equal(out.job_id, 'last');
  const delayMs = Date.now() - writtenAt;
  assert.ok(delayMs < 3000, `dequeueable after ${delayMs} ms`);

  assert.ok(!second.stderr().includes('following py'), 'the second follower stayed idle');
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0, first.stderr());
  await waitFor(() => second.stderr().includes('following py'), { what: 'the second follower to take over', timeoutMs: 60_000 });
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0, second.stderr());
});
