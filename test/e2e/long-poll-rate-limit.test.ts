// The rate limit under long-polling workers (SPEC 5.1 + section 3): many workers waiting on one
// type never get two jobs of a queue closer than its interval, measured on Redis's clock (the
// dequeue times kept in the active set: jobs are not finished and do not expire during the test).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Redis } from 'ioredis';

import { typeKeys } from '../../src/engine/keys.js';
import { longPoll } from '../helpers/long-poll.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';

const EXPIRE_MS = 600_000;
const INTERVAL_MS = 250;
const QUEUES = 3;
const JOBS_PER_QUEUE = 5;
const WORKERS = 8;

let redis: RedisServerHandle;
let client: Redis;
let server: ServerHandle;

before(async () => {
  redis = await startRedis();
  client = new Redis({ host: redis.host, port: redis.port });
  server = await startServer({
    redisPort: redis.port,
    workers: 2,
    config: { sharq: { job_expire_interval: String(EXPIRE_MS) } },
    startTimeoutMs: 90_000,
  });
});

after(async () => {
  client?.disconnect();
  await server?.stop();
  await redis?.stop();
});

describe('rate limit with long-polling workers', () => {
  test(`${WORKERS} waiting workers, ${QUEUES} queues at ${INTERVAL_MS} ms: every gap >= interval, every job once`, async () => {
    const jobs = [];
    for (let q = 0; q < QUEUES; q++) {
      for (let i = 0; i < JOBS_PER_QUEUE; i++) jobs.push({ queue_id: `q${q}`, job_id: `j${i}`, interval: INTERVAL_MS, payload: i });
    }
    const total = jobs.length;
    const seen: string[] = [];
    let polls = 0;
    const worker = async (): Promise<void> => {
      while (seen.length < total) {
        polls += 1;
        const res = await longPoll(server, '/dequeue/rl/?wait=3000').reply;
        if (res.status === 200) seen.push(`${res.body.queue_id}/${res.body.job_id}`);
        else assert.equal(res.status, 404);
      }
    };
    const running = Array.from({ length: WORKERS }, worker);
    assert.equal((await server.api.post(`/enqueue/rl/`, { jobs })).status, 200);
    await Promise.all(running);

    assert.equal(seen.length, total);
    assert.equal(new Set(seen).size, total, 'no job twice');
    const flat = await client.zrange(typeKeys('sharq_test', 'rl').active, '0', '-1', 'WITHSCORES');
    const times = new Map<string, number[]>();
    for (let i = 0; i < flat.length; i += 2) {
      const queueId = (flat[i] as string).split(':')[0] as string;
      times.set(queueId, [...(times.get(queueId) ?? []), Number(flat[i + 1]) - EXPIRE_MS * 1000]);
    }
    for (const [queueId, at] of times) {
      at.sort((x, y) => x - y);
      for (let i = 1; i < at.length; i++) {
        const gap = (at[i] as number) - (at[i - 1] as number);
        assert.ok(gap >= INTERVAL_MS * 1000, `${queueId}: dequeues ${gap} us apart (< ${INTERVAL_MS} ms)`);
      }
    }
    // Workers wait instead of spinning: a handful of 404s at most (waits running out at the end).
    assert.ok(polls <= total + WORKERS * 2, `${polls} polls for ${total} jobs`);
  });
});
