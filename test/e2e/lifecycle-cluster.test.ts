// Every lifecycle route on a real Redis Cluster (3 masters) through the real CLI: delayed enqueue,
// job status in each state, touch, dead letters listed, replayed and deleted, for queue types whose
// slots live on different masters.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startRedisCluster, type RedisClusterHandle } from '../helpers/cluster.js';
import { request } from '../helpers/fetch.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

let cluster: RedisClusterHandle;
let server: ServerHandle;

type Json = Record<string, unknown>;
const call = (method: string, path: string, body?: unknown) =>
  request(`${server.url}${path}`, { method, ...(body === undefined ? {} : { body }) });

before(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  const first = cluster.nodes[0];
  assert.ok(first);
  server = await startServer({
    redisPort: first.port,
    workers: 2,
    config: {
      sharq: { job_expire_interval: '2000', job_requeue_interval: '100' },
      redis: { clustered: 'true', cluster_nodes: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',') },
    },
  });
});

after(async () => {
  await server?.stop();
  await cluster?.stop();
});

describe('lifecycle routes on Redis Cluster', () => {
  // Several types: their hash tags spread them over the masters.
  for (const type of ['alpha', 'bravo', 'charlie', 'delta']) {
    test(`type ${type}`, async () => {
      const enq = (id: string, extra: Json = {}) =>
        call('POST', `/enqueue/${type}/q/`, { job_id: id, interval: 0, payload: { id }, ...extra });
      assert.equal((await enq('later', { delay_ms: 1500 })).status, 201);
      assert.equal(((await call('GET', `/job/${type}/q/later/`)).body as Json).state, 'delayed');
      const out = await waitFor(
        async () => {
          const r = await call('GET', `/dequeue/${type}/`);
          return r.status === 200 ? (r.body as Json) : undefined;
        },
        { what: 'the delayed job', intervalMs: 20, timeoutMs: 15_000 },
      );
      assert.equal(out.job_id, 'later');
      assert.equal(((await call('GET', `/job/${type}/q/later/`)).body as Json).state, 'active');
      assert.equal((await call('POST', `/touch/${type}/q/later/`, { extend_ms: 60_000 })).status, 200);
      assert.equal((await call('POST', `/finish/${type}/q/later/`)).status, 200);

      assert.equal((await enq('doomed', { requeue_limit: 0 })).status, 201);
      assert.deepEqual(((await call('GET', `/job/${type}/q/doomed/`)).body as Json).position, 0);
      assert.equal((await call('GET', `/dequeue/${type}/`)).status, 200);
      await waitFor(async () => ((await call('GET', `/job/${type}/q/doomed/`)).body as Json).state === 'dead', {
        what: 'the job discarded',
        timeoutMs: 15_000,
      });
      const dead = (await call('GET', `/dead/${type}/`)).body as { jobs: Json[] };
      assert.deepEqual(dead.jobs.map((j) => j.job_id), ['doomed']);
      assert.deepEqual((await call('POST', `/dead/${type}/replay/`, { all: true })).body, { status: 'success', replayed: 1 });
      assert.equal(((await call('GET', `/job/${type}/q/doomed/`)).body as Json).state, 'queued');
      assert.equal((await call('GET', `/dequeue/${type}/`)).status, 200);
      await waitFor(async () => ((await call('GET', `/job/${type}/q/doomed/`)).body as Json).state === 'dead', {
        what: 'the replayed job discarded again',
        timeoutMs: 15_000,
      });
      assert.deepEqual((await call('DELETE', `/dead/${type}/`)).body, { status: 'success', deleted: 1 });
      assert.equal((await call('GET', `/job/${type}/q/doomed/`)).status, 404);
    });
  }
});

describe('fail on Redis Cluster (SPEC 5.13)', () => {
  test('retry after a back-off at the front, hold, and dead letters with reason failed, for types on every master', async () => {
    for (const type of ['fa', 'fb', 'fc', 'fd']) {
      const enq = (id: string, extra: Json = {}) => call('POST', `/enqueue/${type}/q/`, { job_id: id, interval: 0, payload: { id }, ...extra });
      assert.equal((await enq('j', { requeue_limit: 1, backoff_ms: 300 })).status, 201);
      assert.equal(((await call('GET', `/dequeue/${type}/`)).body as Json).attempt, 1);
      const failed = await call('POST', `/fail/${type}/q/j/`, { error: 'down', hold_queue_ms: 600 });
      assert.equal((failed.body as Json).outcome, 'retry');
      assert.equal(((await call('GET', `/job/${type}/q/j/`)).body as Json).state, 'delayed');
      assert.equal((await enq('newer')).status, 201);
      const again = await waitFor(
        async () => {
          const r = await call('GET', `/dequeue/${type}/?wait=2000`);
          return r.status === 200 ? (r.body as Json) : undefined;
        },
        { what: `a job of ${type} after the hold`, timeoutMs: 15_000 },
      );
      // The hold (600 ms) outlasts the back-off (300 ms): when the queue is free again the retry leads it.
      assert.deepEqual([again.job_id, again.attempt], ['j', 2]);
      assert.deepEqual((await call('POST', `/fail/${type}/q/j/`, { error: 'gone' })).body, { status: 'success', outcome: 'dead' });
      const dead = (await call('GET', `/dead/${type}/`)).body as Json;
      const [letter] = dead.jobs as Json[];
      assert.deepEqual([letter?.job_id, letter?.reason, letter?.attempts, letter?.error], ['j', 'failed', 2, 'gone']);
    }
  });
});

describe('one round trip per job on Redis Cluster (SPEC 5.15)', () => {
  test('finish and fail with next=1, and batch finish with count, for types on every master', async () => {
    for (const type of ['na', 'nb', 'nc', 'nd']) {
      for (let i = 0; i < 4; i++) assert.equal((await call('POST', `/enqueue/${type}/q${i}/`, { job_id: `j${i}`, interval: 0, payload: i })).status, 201);
      const first = (await call('GET', `/dequeue/${type}/`)).body as Json;
      const finished = (await call('POST', `/finish/${type}/${String(first.queue_id)}/${String(first.job_id)}/?next=1`)).body as Json;
      const second = finished.next as Json;
      assert.ok(second && second.job_id !== first.job_id, JSON.stringify(finished));
      const failed = (await call('POST', `/fail/${type}/${String(second.queue_id)}/${String(second.job_id)}/?next=1`, { retry_in_ms: 60_000 })).body as Json;
      assert.equal(failed.outcome, 'retry');
      const third = failed.next as Json;
      assert.ok(third && ![first.job_id, second.job_id].includes(third.job_id));
      const batch = (await call('POST', `/finish/${type}/?count=5&wait=200`, { jobs: [{ queue_id: third.queue_id, job_id: third.job_id }] })).body as Json;
      assert.deepEqual(batch.results, [{ status: 'success' }]);
      assert.equal((batch.jobs as Json[]).length, 1, 'the one job left that is not waiting its retry');
    }
  });
});

describe('flow control on Redis Cluster (SPEC 5.14)', () => {
  test('pause, resume, max_active and the token bucket of types on every master, waiters woken by each', async () => {
    // Types of their own (the fail test above has fa..fd): their hash tags spread them over the masters.
    for (const type of ['pa', 'pb', 'pc', 'pd']) {
      const enq = (queue: string, id: string, extra: Json = {}) =>
        call('POST', `/enqueue/${type}/${queue}/`, { job_id: id, interval: 0, payload: { id }, ...extra });
      // A queue paused before its first job, and resumed while a request waits.
      assert.equal((await call('POST', `/pause/${type}/p/`)).status, 200);
      assert.equal((await enq('p', 'a')).status, 201);
      assert.equal((await call('GET', `/dequeue/${type}/`)).status, 404);
      const waiting = call('GET', `/dequeue/${type}/?wait=10000`);
      // Whether the waiter joined the room before the resume or not, it gets the job.
      assert.equal((await call('POST', `/resume/${type}/p/`)).status, 200);
      assert.equal(((await waiting).body as Json).job_id, 'a');
      assert.equal((await call('POST', `/finish/${type}/p/a/`)).status, 200);
      // The type's max_active and its bucket together, with a queue's max_active.
      const limits = (await call('POST', `/limits/${type}/`, { max_active: 2, rate_per_s: 1000, burst: 10 })).body as Json;
      assert.deepEqual([limits.max_active, limits.rate_per_s, limits.burst], [2, 1000, 10]);
      for (const id of ['m1', 'm2']) assert.equal((await enq('m', id, { max_active: 1 })).status, 201);
      assert.equal((await enq('o', 'o1')).status, 201);
      const batch = (await call('GET', `/dequeue/${type}/?count=10`)).body as Json;
      const jobs = batch.jobs as Json[];
      assert.deepEqual(jobs.map((j) => j.job_id).sort(), ['m1', 'o1'], 'one of m (its max_active), two of the type');
      assert.equal((await call('POST', `/finish/${type}/o/o1/`)).status, 200);
      assert.equal((await call('GET', `/dequeue/${type}/`)).status, 404, 'm is at its own max_active');
      const next = call('GET', `/dequeue/${type}/?wait=10000`);
      assert.equal((await call('POST', `/finish/${type}/m/m1/`)).status, 200);
      assert.equal(((await next).body as Json).job_id, 'm2');
      const paused = (await call('POST', `/pause/${type}/`, { for_ms: 60_000 })).body as Json;
      assert.equal(typeof paused.paused_until_ms, 'number');
      assert.equal(((await call('GET', `/limits/${type}/`)).body as Json).paused, true);
      assert.equal((await call('POST', `/resume/${type}/`)).status, 200);
    }
  });
});
