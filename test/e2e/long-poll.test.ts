// Long-poll dequeue (SPEC 5.1) end to end: two instances of the real CLI (2 workers each) on one
// Redis. Every test uses its own queue type; waits are on conditions (the waiting-requests gauge,
// replies), never on sleeps.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { longPoll, metricSum, waitingRequests } from '../helpers/long-poll.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const MAX_WAIT_MS = 20_000;
const SERVER_CONFIG = {
  sharq: { job_expire_interval: '1000', job_requeue_interval: '200' },
  'sharq-server': { max_wait_ms: String(MAX_WAIT_MS) },
};

let redis: RedisServerHandle;
let a: ServerHandle;
let b: ServerHandle;

before(async () => {
  redis = await startRedis();
  // One after the other: two start-ups at once on a loaded 2-core machine can take long.
  a = await startServer({ redisPort: redis.port, workers: 2, config: SERVER_CONFIG, startTimeoutMs: 90_000 });
  b = await startServer({ redisPort: redis.port, workers: 2, config: SERVER_CONFIG, startTimeoutMs: 90_000 });
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
});

/** requeue_limit 0: a job handed out and not finished is discarded at expiry, never handed out twice. */
function enqueue(server: ServerHandle, type: string, queueId: string, jobId: string, interval = 0, requeueLimit = -1) {
  return server.api.post(`/enqueue/${type}/${queueId}/`, { job_id: jobId, interval, payload: { jobId }, requeue_limit: requeueLimit });
}

async function untilWaiting(server: ServerHandle, type: string, n: number): Promise<void> {
  await waitFor(async () => (await waitingRequests(server, type)) === n, { what: `${n} waiting requests of ${type}`, timeoutMs: 20_000 });
}

describe('GET /dequeue/<type>/?wait=<ms>', () => {
  test('wait and count are checked strictly: 400 naming the parameter', async () => {
    for (const query of ['wait=-1', 'wait=abc', 'wait=1.5', 'wait=', `wait=${MAX_WAIT_MS + 1}`, 'wait=1&wait=2', 'wait=1e3', 'wait=+5']) {
      const res = await a.api.get(`/dequeue/lp_bad/?${query}`);
      assert.equal(res.status, 400, `${query}: ${res.text}`);
      assert.equal((res.body as { status: string }).status, 'failure');
      assert.match((res.body as { message: string }).message, /`wait`/, query);
    }
    for (const query of ['count=0', 'count=-2', 'count=x', 'count=1001', 'wait=10&count=0']) {
      const res = await a.api.get(`/dequeue/lp_bad/?${query}`);
      assert.equal(res.status, 400, `${query}: ${res.text}`);
      assert.match((res.body as { message: string }).message, /`count`/, query);
    }
    const badType = await a.api.get(`/dequeue/bad%20type/?wait=10`);
    assert.equal(badType.status, 400);
  });

  test('wait=0 answers at once; a wait with no job runs out into the usual 404', async () => {
    const zero = await longPoll(a, '/dequeue/lp_empty/?wait=0').reply;
    assert.equal(zero.status, 404);
    const waited = await longPoll(a, '/dequeue/lp_empty/?wait=600').reply;
    assert.equal(waited.status, 404);
    assert.deepEqual(waited.body, { status: 'failure' });
    assert.ok(waited.elapsedMs >= 550, `answered after ${waited.elapsedMs} ms of a 600 ms wait`);
    await enqueue(a, 'lp_max', 'q', 'j1');
    const max = await a.api.get(`/dequeue/lp_max/?wait=${MAX_WAIT_MS}&count=1000`);
    assert.equal(max.status, 200, 'the maximum wait and count are accepted');
    assert.ok((await metricSum(a, 'sharq_long_poll_timeouts_total', { queue_type: 'lp_empty' })) >= 1);
  });

  test('a job already there is handed out at once, in the original single-job shape', async () => {
    await enqueue(a, 'lp_ready', 'q', 'j1');
    const res = await longPoll(a, '/dequeue/lp_ready/?wait=5000').reply;
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'success', queue_id: 'q', job_id: 'j1', payload: { jobId: 'j1' }, requeues_remaining: -1, current_queue_length: 0, attempt: 1 });
  });

  test('an enqueue on another instance wakes a waiter', async () => {
    const waiter = longPoll(a, `/dequeue/lp_cross/?wait=${MAX_WAIT_MS}`);
    await untilWaiting(a, 'lp_cross', 1);
    assert.equal((await enqueue(b, 'lp_cross', 'q', 'j1')).status, 201);
    const res = await waiter.reply;
    assert.equal(res.status, 200);
    assert.equal(res.body.job_id, 'j1');
    assert.ok(res.elapsedMs < MAX_WAIT_MS - 5000, 'woken, not timed out');
    assert.ok((await metricSum(a, 'sharq_long_poll_wakeups_total', { queue_type: 'lp_cross' })) >= 1);
  });

  test('a requeue wakes a waiter', async () => {
    await enqueue(a, 'lp_requeue', 'q', 'j1');
    assert.equal((await a.api.get(`/dequeue/lp_requeue/`)).status, 200);
    // Not finished: it expires after 1 s and the leader's pass (every 200 ms) requeues it.
    const res = await longPoll(b, `/dequeue/lp_requeue/?wait=${MAX_WAIT_MS}`).reply;
    assert.equal(res.status, 200);
    assert.equal(res.body.job_id, 'j1');
    assert.ok(res.elapsedMs < MAX_WAIT_MS - 5000);
  });

  test("a queue's interval running out wakes a waiter (the type's timer, no enqueue)", async () => {
    await enqueue(a, 'lp_interval', 'q', 'j1', 1500);
    await enqueue(a, 'lp_interval', 'q', 'j2', 1500);
    const first = await a.api.get(`/dequeue/lp_interval/`);
    assert.equal(first.status, 200);
    // Finished, so no requeue brings it back to the head before the interval runs out.
    assert.equal((await a.api.post(`/finish/lp_interval/q/j1/`)).status, 200);
    const res = await longPoll(a, `/dequeue/lp_interval/?wait=${MAX_WAIT_MS}`).reply;
    assert.equal(res.status, 200);
    assert.equal(res.body.job_id, 'j2');
    assert.ok(res.elapsedMs >= 1000 && res.elapsedMs < 10_000, `woken after ${res.elapsedMs} ms`);
  });

  test('an Interval API change wakes a waiter', async () => {
    await enqueue(a, 'lp_setint', 'q', 'j1', 600_000);
    await enqueue(a, 'lp_setint', 'q', 'j2', 600_000);
    assert.equal((await a.api.get(`/dequeue/lp_setint/`)).status, 200);
    assert.equal((await a.api.post(`/finish/lp_setint/q/j1/`)).status, 200);
    const waiter = longPoll(a, `/dequeue/lp_setint/?wait=${MAX_WAIT_MS}`);
    await untilWaiting(a, 'lp_setint', 1);
    const set = await b.api.post(`/interval/lp_setint/q/`, { interval: 0 });
    assert.equal(set.status, 200);
    const res = await waiter.reply;
    assert.equal(res.status, 200);
    assert.equal(res.body.job_id, 'j2');
  });

  test('one job wakes one waiter; each further job one more; no job twice', async () => {
    const waiters = Array.from({ length: 6 }, (_, i) => longPoll(i % 2 ? a : b, `/dequeue/lp_one/?wait=${MAX_WAIT_MS}`));
    await untilWaiting(a, 'lp_one', 3);
    await untilWaiting(b, 'lp_one', 3);
    const settled = new Set<number>();
    waiters.forEach((w, i) => void w.reply.then(() => settled.add(i)));

    await enqueue(a, 'lp_one', 'q', 'j0', 0, 0);
    await waitFor(() => settled.size === 1, { what: 'one waiter to get the job' });
    // The others still wait: the gauges of both instances say 5.
    await waitFor(async () => (await waitingRequests(a, 'lp_one')) + (await waitingRequests(b, 'lp_one')) === 5, {
      what: 'five waiters left',
    });
    assert.equal(settled.size, 1, 'still only one answered');

    for (let i = 1; i < 6; i++) await enqueue(b, 'lp_one', 'q', `j${i}`, 0, 0);
    const replies = await Promise.all(waiters.map((w) => w.reply));
    assert.ok(replies.every((r) => r.status === 200));
    assert.deepEqual(replies.map((r) => r.body.job_id).sort(), ['j0', 'j1', 'j2', 'j3', 'j4', 'j5']);
  });

  test('a waiter whose client went away takes no job', async () => {
    const gone = longPoll(a, `/dequeue/lp_gone/?wait=${MAX_WAIT_MS}`);
    await untilWaiting(a, 'lp_gone', 1);
    gone.abandon();
    await untilWaiting(a, 'lp_gone', 0);
    await enqueue(b, 'lp_gone', 'q', 'j1');
    const res = await a.api.get(`/dequeue/lp_gone/`);
    assert.equal(res.status, 200, 'the job is still queued');
    assert.equal((res.body as { job_id: string }).job_id, 'j1');
  });

  test('count with wait: up to count jobs as soon as one is there, rate limits kept', async () => {
    const waiter = longPoll(a, `/dequeue/lp_count/?wait=${MAX_WAIT_MS}&count=10`);
    await untilWaiting(a, 'lp_count', 1);
    const batch = await b.api.post(`/enqueue/lp_count/`, { jobs: ['x', 'y', 'z'].map((id) => ({ queue_id: 'limited', job_id: id, interval: 60_000, payload: id })) });
    assert.equal(batch.status, 200);
    const res = await waiter.reply;
    assert.equal(res.status, 200);
    const jobs = res.body.jobs as { job_id: string }[];
    assert.deepEqual(jobs.map((j) => j.job_id), ['x'], 'one job of a rate-limited queue per call');
  });
});

describe('SIGTERM with waiting requests', () => {
  test('waiters are answered 404 at once and the instance exits 0', async () => {
    const server = await startServer({ redisPort: redis.port, workers: 2, config: SERVER_CONFIG, startTimeoutMs: 90_000 });
    const waiters = Array.from({ length: 4 }, () => longPoll(server, `/dequeue/lp_term/?wait=${MAX_WAIT_MS}`));
    await untilWaiting(server, 'lp_term', 4);
    const stopped = Date.now();
    const code = await server.stop('SIGTERM');
    const replies = await Promise.all(waiters.map((w) => w.reply));
    assert.equal(code, 0);
    assert.ok(replies.every((r) => r.status === 404), JSON.stringify(replies));
    assert.ok(Date.now() - stopped < 5000, `stopped after ${Date.now() - stopped} ms (shutdown_timeout is 5000)`);
  });
});
