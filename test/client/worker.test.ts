// runWorker against the real CLI on a real Redis: success, a failing handler (the job comes back
// after expiry), graceful stop with jobs in flight, lease extension, batches.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { SharqClient } from '../../src/client/client.js';
import { SharqValidationError } from '../../src/client/errors.js';
import type { Job } from '../../src/client/types.js';
import { JobFailure, runWorker, type WorkerEvent } from '../../src/client/worker.js';
import { ROUTES } from '../../src/http/routes.js';
import { seeReply } from '../helpers/openapi-validator.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

// Long enough that a fast job is finished before it expires on a loaded machine; short enough for the
// failure and lease tests to wait out.
const JOB_EXPIRE_MS = 5000;

let redis: RedisServerHandle;
let server: ServerHandle;
let client: SharqClient;
const drift: string[] = [];

function serves(method: string, path: string): boolean {
  return ROUTES.some((r) => r.method === method && r.path === path);
}

before(async () => {
  redis = await startRedis();
  server = await startServer({
    redisPort: redis.port,
    workers: 2,
    config: { sharq: { job_expire_interval: String(JOB_EXPIRE_MS), job_requeue_interval: '200' } },
  });
  client = new SharqClient({ url: server.url, onReply: (r) => drift.push(...seeReply(r)) });
});

after(async () => {
  await server?.stop();
  await redis?.stop();
  assert.deepEqual(drift, [], 'replies that do not match openapi.json');
});

function recorder(): { events: WorkerEvent[]; onEvent: (e: WorkerEvent) => void; of: (type: WorkerEvent['type']) => WorkerEvent[] } {
  const events: WorkerEvent[] = [];
  return { events, onEvent: (e) => events.push(e), of: (type) => events.filter((e) => e.type === type) };
}

async function enqueueMany(queueType: string, count: number, queues = 5): Promise<void> {
  for (let i = 0; i < count; i++) {
    await client.enqueue({ queueType, queueId: `q${i % queues}`, jobId: `j${i}`, interval: 0, payload: { i } });
  }
}

async function queued(queueType: string, queues = 5): Promise<number> {
  let total = 0;
  for (let i = 0; i < queues; i++) total += (await client.queueMetrics({ queueType, queueId: `q${i}` })).queueLength;
  return total;
}

test('every job is handled once and finished', async (t) => {
  await enqueueMany('w_ok', 60);
  const seen: number[] = [];
  const stop = new AbortController();
  t.after(() => stop.abort()); // a failed wait must not leave the worker polling
  const rec = recorder();
  const worker = runWorker<{ i: number }>({
    url: server.url,
    queueType: 'w_ok',
    concurrency: 4,
    waitMs: 1000,
    idlePauseMs: 50,
    signal: stop.signal,
    onEvent: rec.onEvent,
    handler: async (job) => {
      seen.push(job.payload.i);
    },
  });
  await waitFor(() => rec.of('job-finished').length === 60, { what: '60 finished jobs', timeoutMs: 60_000 });
  stop.abort();
  assert.deepEqual(await worker, { finished: 60, failed: 0, retried: 0, dead: 0, lost: 0 });
  assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 60 }, (_, i) => i));
  assert.equal(await queued('w_ok'), 0);
  assert.equal(await client.dequeue({ queueType: 'w_ok' }), null, 'nothing left active or queued');
});

test('a failing handler fails its job at once: it comes back with its attempt and error, and is then finished', async (t) => {
  await client.enqueue({ queueType: 'w_fail', queueId: 'q', jobId: 'flaky', interval: 0, payload: null, requeueLimit: 3 });
  const attempts: Array<Job> = [];
  const stop = new AbortController();
  t.after(() => stop.abort()); // a failed wait must not leave the worker polling
  const rec = recorder();
  const started = Date.now();
  const worker = runWorker({
    url: server.url,
    queueType: 'w_fail',
    waitMs: 500,
    idlePauseMs: 50,
    signal: stop.signal,
    onEvent: rec.onEvent,
    handler: async (job) => {
      attempts.push(job);
      if (attempts.length === 1) throw new Error('first attempt fails');
    },
  });
  await waitFor(() => rec.of('job-finished').length === 1, { what: 'the retried job to finish', timeoutMs: 30_000 });
  // The harness's job_expire_interval is an hour: the job came back through the fail, not an expiry.
  assert.ok(Date.now() - started < 30_000);
  stop.abort();
  assert.deepEqual(await worker, { finished: 1, failed: 1, retried: 1, dead: 0, lost: 0 });
  assert.deepEqual(attempts.map((job) => [job.attempt, job.requeuesRemaining]), [[1, 3], [2, 2]]);
  const failed = rec.of('job-failed')[0];
  assert.ok(failed?.type === 'job-failed' && (failed.error as Error).message === 'first attempt fails' && failed.outcome === 'retry');
});

test('a single-job worker makes one request per job after its first: each finish brings the next job', async (t) => {
  const JOBS = 30;
  for (let i = 0; i < JOBS; i++) await client.enqueue({ queueType: 'w_one', queueId: `q${i % 3}`, jobId: `j${i}`, interval: 0, payload: i });
  const requests: string[] = [];
  const counting = new SharqClient({ url: server.url, onReply: (r) => { drift.push(...seeReply(r)); requests.push(`${r.method} ${r.path.split('?')[0]?.split('/')[1] ?? ''}`); } });
  const stop = new AbortController();
  t.after(() => stop.abort());
  const rec = recorder();
  const worker = runWorker({ url: server.url, client: counting, queueType: 'w_one', waitMs: 500, idlePauseMs: 50, signal: stop.signal, onEvent: rec.onEvent, handler: () => undefined });
  await waitFor(() => rec.of('job-finished').length === JOBS, { what: `${JOBS} finished jobs`, timeoutMs: 30_000 });
  stop.abort();
  assert.deepEqual(await worker, { finished: JOBS, failed: 0, retried: 0, dead: 0, lost: 0 });
  const finishes = requests.filter((r) => r === 'POST finish').length;
  const dequeuesBeforeLast = requests.slice(0, requests.lastIndexOf('POST finish')).filter((r) => r === 'GET dequeue').length;
  assert.equal(finishes, JOBS, 'one finish per job');
  assert.equal(dequeuesBeforeLast, 1, `one dequeue before the chain of finishes, got ${requests.join(', ')}`);
});

test('a JobFailure asks for its retry delay and a hold of its queue; past the limit the job is dead with the error', async (t) => {
  await client.enqueue({ queueType: 'w_jf', queueId: 'held', jobId: 'a', interval: 0, payload: null, requeueLimit: 1 });
  await client.enqueue({ queueType: 'w_jf', queueId: 'other', jobId: 'b', interval: 0, payload: null });
  const stop = new AbortController();
  t.after(() => stop.abort());
  const rec = recorder();
  const handled: string[] = [];
  const worker = runWorker({
    url: server.url,
    queueType: 'w_jf',
    waitMs: 500,
    idlePauseMs: 50,
    signal: stop.signal,
    onEvent: rec.onEvent,
    handler: async (job) => {
      handled.push(job.jobId);
      if (job.jobId === 'a') throw new JobFailure('429 from the carrier', { retryInMs: 0, holdQueueMs: 1500 });
    },
  });
  await waitFor(
    () => {
      if (rec.of('job-failed').length === 2) return true;
      // Not yet: what happened so far goes into the timeout message.
      const seen = rec.events.map((e) => `${e.type}${'job' in e ? ` ${e.job.jobId}` : ''}${'outcome' in e ? ` ${e.outcome}` : ''}`);
      throw new Error(`events ${seen.join(', ')}; handled ${handled.join(',')}`);
    },
    { what: 'two fails of a (the retry, then dead)', timeoutMs: 30_000 },
  );
  stop.abort();
  assert.deepEqual(await worker, { finished: 1, failed: 2, retried: 1, dead: 1, lost: 0 });
  const [first, second] = rec.of('job-failed');
  assert.ok(first?.type === 'job-failed' && second?.type === 'job-failed');
  assert.equal(first.outcome, 'retry');
  assert.equal(second.outcome, 'dead');
  // The hold kept the queue: its retry came out only after the hold, and 'b' went on meanwhile.
  assert.ok(first.runAtMs !== undefined);
  assert.ok(handled.indexOf('b') < handled.lastIndexOf('a'), `handled in order ${handled.join(',')}`);
  const dead = await client.deadLetters({ queueType: 'w_jf' });
  assert.deepEqual(dead.jobs.map((j) => [j.jobId, j.reason, j.attempts, j.error]), [['a', 'failed', 2, '429 from the carrier']]);
});

test('graceful stop: running jobs finish, nothing is taken after the stop, nothing is lost', async (t) => {
  await enqueueMany('w_stop', 3, 3);
  const gates: Array<() => void> = [];
  const stop = new AbortController();
  t.after(() => {
    stop.abort(); // a failed wait must not leave the worker polling, nor its jobs blocked
    for (const open of gates) open();
  });
  const rec = recorder();
  let resolved = false;
  const worker = runWorker({
    url: server.url,
    queueType: 'w_stop',
    concurrency: 4, // one slot free, so a dequeue is in flight when the stop comes
    waitMs: 2000,
    idlePauseMs: 50,
    signal: stop.signal,
    onEvent: rec.onEvent,
    handler: () => new Promise<void>((resolve) => gates.push(resolve)),
  }).finally(() => (resolved = true));
  await waitFor(() => gates.length === 3, { what: 'three jobs in flight', timeoutMs: 20_000 });
  stop.abort();
  await enqueueMany('w_stop', 8, 3); // j0-j2 are duplicates of the running jobs; j3-j7 are new
  await waitFor(() => rec.of('stopping').length === 1, { what: 'the worker to stop polling', timeoutMs: 10_000 });
  assert.equal(resolved, false, 'runWorker waits for the jobs in flight');
  for (const open of gates) open();
  assert.deepEqual(await worker, { finished: 3, failed: 0, retried: 0, dead: 0, lost: 0 });
  assert.equal(rec.of('job-started').length, 3, 'no job taken after the stop');
  assert.equal(await queued('w_stop', 3), 5, 'the five new jobs wait in their queues');
  for (const id of ['j0', 'j1', 'j2']) {
    await assert.rejects(client.finish({ queueType: 'w_stop', queueId: `q${Number(id.slice(1)) % 3}`, jobId: id }), /404/, `${id} was finished`);
  }
});

test('a slow handler keeps its lease: the job is not handed out again', { skip: !serves('POST', '/touch/:queue_type/:queue_id/:job_id/') }, async (t) => {
  await client.enqueue({ queueType: 'w_lease', queueId: 'q', jobId: 'slow', interval: 0, payload: null });
  const stop = new AbortController();
  t.after(() => stop.abort()); // a failed wait must not leave the worker polling
  const rec = recorder();
  let runs = 0;
  const worker = runWorker({
    url: server.url,
    queueType: 'w_lease',
    concurrency: 2,
    waitMs: 500,
    idlePauseMs: 50,
    jobExpireIntervalMs: JOB_EXPIRE_MS,
    leaseShare: 0.3,
    signal: stop.signal,
    onEvent: rec.onEvent,
    handler: async () => {
      runs++;
      // Three expiry intervals: without extension the requeue pass would hand the job out again.
      await new Promise((resolve) => setTimeout(resolve, 3 * JOB_EXPIRE_MS));
    },
  });
  await waitFor(() => rec.of('job-finished').length === 1, { what: 'the slow job to finish', timeoutMs: 60_000 });
  stop.abort();
  assert.deepEqual(await worker, { finished: 1, failed: 0, retried: 0, dead: 0, lost: 0 });
  assert.equal(runs, 1);
  assert.ok(rec.of('lease-extended').length >= 2, 'the lease was extended while the handler ran');
  assert.equal(rec.of('lease-lost').length, 0);
});

test('batchSize dequeues several jobs per call', { skip: !serves('POST', '/finish/:queue_type/') }, async (t) => {
  await enqueueMany('w_batch', 20);
  const stop = new AbortController();
  t.after(() => stop.abort()); // a failed wait must not leave the worker polling
  const rec = recorder();
  const worker = runWorker({ url: server.url, queueType: 'w_batch', concurrency: 10, batchSize: 10, waitMs: 500, idlePauseMs: 50, signal: stop.signal, onEvent: rec.onEvent, handler: () => undefined });
  await waitFor(() => rec.of('job-finished').length === 20, { what: '20 finished jobs', timeoutMs: 30_000 });
  stop.abort();
  assert.deepEqual(await worker, { finished: 20, failed: 0, retried: 0, dead: 0, lost: 0 });
});

test('an error no retry can fix (400 on a bad queue type) stops every poller and rejects runWorker', async () => {
  const rec = recorder();
  const started = Date.now();
  await assert.rejects(
    runWorker({ url: server.url, queueType: 'not a valid type!', concurrency: 4, waitMs: 20_000, onEvent: rec.onEvent, handler: () => undefined }),
    (error: unknown) => error instanceof SharqValidationError && /queue_type/.test(error.message),
  );
  assert.ok(Date.now() - started < 15_000, 'no poller lingers in a long-poll');
  assert.equal(rec.of('error').length >= 1, true);
});
