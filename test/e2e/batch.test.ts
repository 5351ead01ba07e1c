// Batches (SPEC 5.2) and cost (SPEC 5.3) end to end: the real CLI (2 workers) on a real Redis.
// Every test uses its own queue type.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Redis } from 'ioredis';

import { typeKeys } from '../../src/engine/keys.js';
import { metricSum } from '../helpers/long-poll.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const MAX_BATCH = 20;
const PREFIX = 'sharq_test';
type Json = Record<string, unknown>;

let redis: RedisServerHandle;
let client: Redis;
let server: ServerHandle;

before(async () => {
  redis = await startRedis();
  client = new Redis({ host: redis.host, port: redis.port });
  server = await startServer({
    redisPort: redis.port,
    workers: 2,
    config: { 'sharq-server': { max_batch: String(MAX_BATCH) }, sharq: { job_expire_interval: '600000' } },
    startTimeoutMs: 90_000,
  });
});

after(async () => {
  client?.disconnect();
  await server?.stop();
  await redis?.stop();
});

function post(path: string, body: unknown) {
  return server.api.post(path, body);
}

function job(queueId: string, jobId: string, extra: Json = {}): Json {
  return { queue_id: queueId, job_id: jobId, interval: 0, payload: { jobId }, ...extra };
}

async function queueIds(type: string): Promise<string[]> {
  const res = await server.api.get(`/metrics/${type}/`);
  return ((res.body as Json).queue_ids as string[]).sort();
}

/** When each job of the type was dequeued, on Redis's clock (active score minus the expire interval). */
async function dequeuedAtUs(type: string, queueId: string, jobId: string): Promise<number> {
  const score = await client.zscore(typeKeys(PREFIX, type).active, `${queueId}:${jobId}`);
  assert.ok(score !== null, `${queueId}/${jobId} is active`);
  return Number(score) - 600_000_000;
}

describe('POST /enqueue/<type>/ (batch)', () => {
  test('one result per job, in order, with per-job failures', async () => {
    assert.equal((await post('/enqueue/b_res/full/', { job_id: 'f0', interval: 0, payload: 1 })).status, 201);
    const res = await post('/enqueue/b_res/', {
      jobs: [
        job('q1', 'a'),
        job('q1', 'b', { interval: 'soon' }),
        job('q1', 'a'),
        job('full', 'f1', { max_queued_length: 1 }),
        job('q2', 'c', { cost: 0 }),
        'not a job',
        job('q2', 'd', { payload: { max_queued_length: 5 } }),
        { queue_id: 'q2', job_id: 'e', interval: 0 },
      ],
    });
    assert.equal(res.status, 200, res.text);
    const body = res.body as { status: string; results: Json[] };
    assert.equal(body.status, 'success');
    assert.deepEqual(body.results.map((r) => [r.status, r.code ?? (r.duplicate ? 'dup' : '')]), [
      ['queued', ''],
      ['failure', 400],
      ['queued', 'dup'],
      ['failure', 429],
      ['failure', 400],
      ['failure', 400],
      ['queued', ''],
      ['failure', 400],
    ]);
    assert.match(body.results[1]?.message as string, /`interval`/);
    assert.match(body.results[4]?.message as string, /`cost`/);
    assert.equal(body.results[3]?.current_queue_length, 1);
    assert.match(body.results[7]?.message as string, /`payload`/);
    assert.deepEqual(await queueIds('b_res'), ['full', 'q1', 'q2']);
    const out = await server.api.get(`/dequeue/b_res/?count=20`);
    const ids = ((out.body as Json).jobs as Json[]).map((j) => `${j.queue_id}/${j.job_id}`).sort();
    assert.deepEqual(ids, ['full/f0', 'q1/a', 'q2/d']);
  });

  test('a bad envelope is a 400 for the whole request and enqueues nothing', async () => {
    const tooMany = Array.from({ length: MAX_BATCH + 1 }, (_, i) => job('q', `j${i}`));
    const envelopes: [string, unknown][] = [
      ['no jobs', {}],
      ['empty jobs', { jobs: [] }],
      ['jobs not an array', { jobs: job('q', 'x') }],
      ['more than max_batch', { jobs: tooMany }],
      ['an array body', [job('q', 'x')]],
    ];
    for (const [what, body] of envelopes) {
      const res = await post('/enqueue/b_env/', body);
      assert.equal(res.status, 400, `${what}: ${res.text}`);
      assert.equal((res.body as Json).status, 'failure');
    }
    assert.match(((await post('/enqueue/b_env/', { jobs: tooMany })).body as Json).message as string, /`jobs`.*1-20/);
    const badJson = await server.api.request('POST', '/enqueue/b_env/', undefined, { rawBody: '{"jobs": [' });
    assert.equal(badJson.status, 400);
    assert.deepEqual(await queueIds('b_env'), []);
    assert.equal((await server.api.get(`/dequeue/b_env/`)).status, 404);
  });

  test('FIFO within a batch; a batch of max_batch jobs is accepted', async () => {
    const ids = Array.from({ length: MAX_BATCH }, (_, i) => `j${String(i).padStart(2, '0')}`);
    const res = await post('/enqueue/b_fifo/', { jobs: ids.map((id) => job('q', id)) });
    assert.equal(res.status, 200);
    const out = await server.api.get(`/dequeue/b_fifo/?count=${MAX_BATCH}`);
    assert.deepEqual(((out.body as Json).jobs as Json[]).map((j) => j.job_id), ids);
  });
});

describe('GET /dequeue/<type>/?count=<n>', () => {
  test('count respects every queue’s rate limit; the reply is a list of jobs', async () => {
    const jobs = [];
    for (const q of ['r1', 'r2']) for (let i = 0; i < 3; i++) jobs.push(job(q, `${q}-${i}`, { interval: 60_000 }));
    jobs.push(job('free', 'free-0'), job('free', 'free-1'));
    assert.equal((await post('/enqueue/b_count/', { jobs })).status, 200);
    const res = await server.api.get(`/dequeue/b_count/?count=20`);
    assert.equal(res.status, 200);
    const body = res.body as { status: string; jobs: Json[] };
    assert.equal(body.status, 'success');
    assert.deepEqual(body.jobs.map((j) => j.job_id).sort(), ['free-0', 'free-1', 'r1-0', 'r2-0']);
    assert.deepEqual(Object.keys(body.jobs[0] as Json).sort(), ['attempt', 'current_queue_length', 'job_id', 'payload', 'queue_id', 'requeues_remaining']);
    assert.equal((await server.api.get(`/dequeue/b_count/?count=20`)).status, 404, 'the limited queues wait');
    assert.ok((await metricSum(server, 'sharq_batch_size_jobs_count', { operation: 'dequeue', queue_type: 'b_count' })) >= 1);
  });

  test('count=1 gives a list of one; without count the original single-job shape', async () => {
    await post('/enqueue/b_shape/', { jobs: [job('q', 'a'), job('q', 'b')] });
    const one = await server.api.get(`/dequeue/b_shape/?count=1`);
    assert.equal(((one.body as Json).jobs as Json[]).length, 1);
    const single = await server.api.get(`/dequeue/b_shape/`);
    assert.equal((single.body as Json).job_id, 'b');
  });
});

describe('POST /finish/<type>/ (batch)', () => {
  test('per-job results in order', async () => {
    await post('/enqueue/b_fin/', { jobs: [job('q', 'a'), job('q', 'b'), job('q', 'c')] });
    await server.api.get(`/dequeue/b_fin/?count=2`);
    const res = await post('/finish/b_fin/', {
      jobs: [
        { queue_id: 'q', job_id: 'b' },
        { queue_id: 'q', job_id: 'c' },
        { queue_id: 'q', job_id: 'a' },
        { queue_id: 'q', job_id: 'a' },
        { queue_id: 'q' },
      ],
    });
    assert.equal(res.status, 200);
    const results = (res.body as { results: Json[] }).results;
    assert.deepEqual(results.map((r) => r.status), ['success', 'failure', 'success', 'failure', 'failure']);
    assert.equal((await post('/finish/b_fin/', { jobs: [] })).status, 400);
    assert.equal((await server.api.get(`/dequeue/b_fin/`)).status, 200, 'c is still queued');
  });
});

describe('cost (SPEC 5.3)', () => {
  test('a job of cost c spends c intervals of its queue', async () => {
    assert.equal((await post('/enqueue/b_cost/q/', { job_id: 'a', interval: 200, payload: 1, cost: 3 })).status, 201);
    assert.equal((await post('/enqueue/b_cost/q/', { job_id: 'b', interval: 200, payload: 2 })).status, 201);
    assert.equal((await server.api.get(`/dequeue/b_cost/`)).status, 200);
    const b = await waitFor(
      async () => {
        const res = await server.api.get(`/dequeue/b_cost/`);
        return res.status === 200 ? (res.body as Json) : undefined;
      },
      { what: 'b to be dequeued', intervalMs: 20 },
    );
    assert.equal(b.job_id, 'b');
    const gap = (await dequeuedAtUs('b_cost', 'q', 'b')) - (await dequeuedAtUs('b_cost', 'q', 'a'));
    assert.ok(gap >= 600_000, `b came ${gap} us after a: less than 3 x 200 ms`);
  });

  test('cost is validated: 400 naming cost', async () => {
    for (const cost of [0, 1.5, '3', 1_000_001, null]) {
      const res = await post('/enqueue/b_costbad/q/', { job_id: 'a', interval: 0, payload: 1, cost });
      assert.equal(res.status, 400, `cost ${JSON.stringify(cost)}`);
      assert.match((res.body as Json).message as string, /`cost`/);
    }
    assert.equal((await post('/enqueue/b_costbad/q/', { job_id: 'a', interval: 0, payload: 1, cost: 1_000_000 })).status, 201);
  });
});
