// Redis that hangs (SIGSTOP for 10 s): every request is answered with a 503 within
// redis_command_timeout, no request hangs, worker memory stays flat, and everything recovers on SIGCONT.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { request } from '../helpers/fetch.js';
import { waitFor } from '../helpers/wait.js';

const COMMAND_TIMEOUT_MS = 2000;
const PAUSE_MS = 10_000;
// A loaded 2-core machine adds scheduling delay on top of the timeout.
const ANSWER_WITHIN_MS = COMMAND_TIMEOUT_MS + 2500;

function rssKb(pids: number[]): number {
  const text = execFileSync('ps', ['-o', 'rss=', '-p', pids.join(',')], { encoding: 'utf8' });
  return text.split('\n').reduce((sum, line) => sum + (Number(line.trim()) || 0), 0);
}

async function timed(url: string, init: Parameters<typeof request>[1] = {}): Promise<{ status: number; ms: number; message?: string }> {
  const started = Date.now();
  const res = await request(url, init);
  return { status: res.status, ms: Date.now() - started, message: (res.body as { message?: string }).message };
}

describe('Redis hangs (SIGSTOP)', () => {
  let redis: RedisServerHandle;
  let server: ServerHandle;
  before(async () => {
    redis = await startRedis();
    server = await startServer({ redisPort: redis.port, workers: 2, startTimeoutMs: 90_000 });
  });
  after(async () => {
    if (redis.pid !== undefined) process.kill(redis.pid, 'SIGCONT');
    await server.stop();
    await redis.stop();
  });

  test('503 within redis_command_timeout while paused, flat memory, recovery on SIGCONT', async () => {
    for (let i = 0; i < 20; i++) {
      assert.equal((await request(`${server.url}/enqueue/hang/q${i % 4}/`, { body: { job_id: `pre${i}`, interval: 0, payload: i } })).status, 201);
    }
    const workers = await server.workerPids();
    const rssBefore = rssKb(workers);
    const pid = redis.pid;
    assert.ok(pid !== undefined);
    process.kill(pid, 'SIGSTOP');
    const pausedAt = Date.now();
    const answers: { status: number; ms: number; message?: string }[] = [];
    let n = 0;
    try {
      // 8 clients, each sending the next request as soon as the last is answered, for the whole pause.
      await Promise.all(
        Array.from({ length: 8 }, async (_, client) => {
          while (Date.now() - pausedAt < PAUSE_MS - ANSWER_WITHIN_MS) {
            const i = n++;
            const kind = i % 3;
            const answer =
              kind === 0
                ? await timed(`${server.url}/enqueue/hang/q${client}/`, { body: { job_id: `during${i}`, interval: 0, payload: i } })
                : kind === 1
                  ? await timed(`${server.url}/dequeue/hang/`)
                  : await timed(`${server.url}/finish/hang/q0/pre0/`, { method: 'POST' });
            answers.push(answer);
          }
        }),
      );
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const rssAfter = rssKb(workers);

    assert.ok(answers.length >= 16, `only ${answers.length} requests were answered during the pause`);
    const statuses = new Set(answers.map((a) => a.status));
    assert.deepEqual([...statuses], [503], `statuses during the pause: ${[...statuses].join(',')}`);
    const slowest = Math.max(...answers.map((a) => a.ms));
    assert.ok(slowest < ANSWER_WITHIN_MS, `slowest answer took ${slowest} ms`);
    assert.ok(answers.every((a) => /Redis/.test(a.message ?? '')), 'every 503 names Redis');
    // Pending commands are bounded by the timeout, so memory does not grow with the pause.
    assert.ok(rssAfter - rssBefore < 60 * 1024, `worker RSS grew by ${rssAfter - rssBefore} kB`);

    await waitFor(async () => (await request(`${server.url}/deepstatus/`)).status === 200, {
      what: 'the server to answer /deepstatus/ 200 after SIGCONT',
      timeoutMs: 15_000,
    });
    const enqueued = await request(`${server.url}/enqueue/hang/after/`, { body: { job_id: 'after1', interval: 0, payload: 1 } });
    assert.equal(enqueued.status, 201);
    assert.equal((await request(`${server.url}/dequeue/hang/`)).status, 200);
  });
});
