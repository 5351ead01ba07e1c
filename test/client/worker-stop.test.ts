// runWorker stopped from inside a handler, round after round, against the real CLI: the summary it
// resolves with matches the server's view of every job exactly, no handler runs past `concurrency`, and
// no dequeue is sent after the stop. (A slot race let two pollers share one free slot: handlers ran
// past `concurrency`, and runWorker resolved while finishes were still in flight, counting them short.)

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { SharqClient } from '../../src/client/client.js';
import type { Job } from '../../src/client/types.js';
import { runWorker, type WorkerEvent } from '../../src/client/worker.js';
import { seeReply } from '../helpers/openapi-validator.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { withDeadline } from '../helpers/wait.js';

const JOBS = 120;
const QUEUES = 6;
const CONCURRENCY = 8;
const ROUNDS = 8;

let redis: RedisServerHandle;
let server: ServerHandle;
let client: SharqClient;
const drift: string[] = [];
const onReply = (r: Parameters<typeof seeReply>[0]) => drift.push(...seeReply(r));

// Jobs never expire during the test (the harness's default job_expire_interval is an hour): a job that
// is active at the end was handed out and not finished, never requeued behind the test's back.
before(async () => {
  redis = await startRedis();
  server = await startServer({ redisPort: redis.port, workers: 2 });
  client = new SharqClient({ url: server.url, onReply });
});

after(async () => {
  await server?.stop();
  await redis?.stop();
  assert.deepEqual(drift, [], 'replies that do not match openapi.json');
});

const ref = (i: number) => ({ queueId: `q${i % QUEUES}`, jobId: `j${i}` });

/** Where each job is now, by the server: finished (gone), queued, active, or dead (failed). */
async function serverView(queueType: string): Promise<Array<'finished' | 'queued' | 'active' | 'dead'>> {
  const states: Array<'finished' | 'queued' | 'active' | 'dead'> = [];
  for (let i = 0; i < JOBS; i++) {
    const status = await client.jobStatus({ queueType, ...ref(i) });
    if (status === null) states.push('finished');
    else if (status.state === 'queued' || status.state === 'active' || status.state === 'dead') states.push(status.state);
    else assert.fail(`j${i} is ${status.state}`);
  }
  return states;
}

for (let round = 0; round < ROUNDS; round++) {
  const batchSize = round % 2 === 0 ? 1 : 4;
  // Stop somewhere in the middle, so pollers are busy taking jobs when the stop comes.
  const stopAfter = 40 + round * 9;
  test(`round ${round}: stop from a handler (batchSize ${batchSize}, stop after ${stopAfter} jobs): the summary is the server's view`, async () => {
    const queueType = `wstop_${round}`;
    // requeueLimit 0: a failed job goes to the dead letters, so no job can be handed out twice.
    const jobs = Array.from({ length: JOBS }, (_, i) => ({ ...ref(i), interval: 0, payload: { i }, requeueLimit: 0 }));
    for (let start = 0; start < JOBS; start += 50) await client.enqueueBatch({ queueType, jobs: jobs.slice(start, start + 50) });

    const stop = new AbortController();
    const handled: number[] = [];
    const failing = new Set<number>();
    let running = 0;
    let maxRunning = 0;
    let dequeuesAfterStop = 0;
    const events: WorkerEvent[] = [];
    // Counts the dequeues the worker sends once stopped (there must be none).
    const watched = new SharqClient({ url: server.url, onReply });
    const dequeue = watched.dequeue.bind(watched);
    watched.dequeue = ((input: Parameters<SharqClient['dequeue']>[0]) => {
      if (stop.signal.aborted) dequeuesAfterStop++;
      return dequeue(input);
    }) as SharqClient['dequeue'];

    const resolved = await withDeadline(
      runWorker<{ i: number }>({
        url: server.url,
        client: watched,
        queueType,
        concurrency: CONCURRENCY,
        batchSize,
        waitMs: 2000,
        idlePauseMs: 20,
        signal: stop.signal,
        onEvent: (e) => events.push(e),
        handler: async (job: Job<{ i: number }>) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          try {
            const { i } = job.payload;
            handled.push(i);
            if (handled.length === stopAfter) stop.abort();
            // Varied short waits: handlers end out of order, and finishes are in flight at the stop.
            await new Promise((resolve) => setTimeout(resolve, i % 4));
            if (i % 10 === 3) {
              failing.add(i);
              throw new Error(`job ${i} fails`);
            }
          } finally {
            running--;
          }
        },
      }),
      60_000,
      'runWorker to resolve after the stop',
    );
    // Taken at once: a finish still in flight would change the counts after runWorker resolved.
    const summary = { ...resolved };
    const runningAtResolve = running;
    const eventsAtResolve = events.length;

    assert.equal(runningAtResolve, 0, 'runWorker resolves once every handler has returned');
    assert.ok(maxRunning <= CONCURRENCY, `${maxRunning} handlers ran at once (concurrency ${CONCURRENCY})`);
    assert.equal(dequeuesAfterStop, 0, 'no dequeue is sent after the stop');
    const stoppingAt = events.findIndex((e) => e.type === 'stopping');
    assert.ok(stoppingAt >= 0);
    assert.equal(events.slice(stoppingAt).filter((e) => e.type === 'job-started').length, 0, 'no job starts once the worker is stopping');
    const finishedEvents = events.slice(0, eventsAtResolve).filter((e) => e.type === 'job-finished').length;
    assert.equal(summary.finished, finishedEvents, 'every finish reported by runWorker had completed when it resolved');
    assert.equal(new Set(handled).size, handled.length, 'no job is handled twice');
    assert.ok(handled.length >= stopAfter && handled.length < JOBS, `handled ${handled.length}`);

    const states = await serverView(queueType);
    const finishedByServer = states.filter((s) => s === 'finished').length;
    assert.equal(summary.finished, finishedByServer, 'finished in the summary = finished by the server');
    assert.equal(summary.failed, failing.size);
    assert.equal(summary.dead, failing.size, 'with requeue limit 0 every failed job is dead');
    assert.equal(summary.lost, 0, 'no lease expires in this test');
    assert.equal(summary.finished + summary.failed + summary.lost, handled.length, 'every handled job is counted once');
    for (const i of handled) assert.equal(states[i], failing.has(i) ? 'dead' : 'finished', `handled j${i}`);
    // A job not handled was never dequeued, or was handed out to a long-poll the stop abandoned (it is
    // left to expire and be requeued, as docs/clients.md says).
    const unhandled = states.filter((_, i) => !handled.includes(i));
    assert.ok(unhandled.every((s) => s === 'queued' || s === 'active'));
    assert.ok(unhandled.filter((s) => s === 'active').length <= CONCURRENCY, 'at most one abandoned long-poll per slot');
    assert.equal(events.length, eventsAtResolve, 'no event after runWorker resolved');
  });
}
