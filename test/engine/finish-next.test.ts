// Finish and fail with the next job in the same script call (SPEC 5.15), on a real Redis.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { activeJobs, engineForSuite, enqueueJob, pollDequeue, queuedIds } from '../helpers/engine.js';

const h = engineForSuite();

describe('finish with next', () => {
  test('finishes the job and hands out the next of the type in one script call; nothing when the finish fails', async () => {
    const e = await h.newEngine();
    for (const id of ['a', 'b']) await enqueueJob(e, 'fn', `q${id}`, id);
    const first = await pollDequeue(e, 'fn');
    const scriptCalls = async (): Promise<number> => {
      const stats = await e.redis.info('commandstats');
      // A first FCALL answered "Function not found" (the library is then loaded) counts as a failed call.
      const lines = stats.matchAll(/^cmdstat_(?:evalsha|eval|fcall):calls=(\d+),.*failed_calls=(\d+)/gm);
      return [...lines].reduce((sum, m) => sum + Number(m[1]) - Number(m[2]), 0);
    };
    const calls = await scriptCalls();
    const done = await e.finishNext('fn', first.queueId, first.jobId);
    const after = await scriptCalls();
    assert.equal(after - calls, 1, 'one script call');
    assert.ok(done?.next);
    assert.notEqual(done.next.jobId, first.jobId);
    assert.equal(done.next.attempt, 1);
    assert.deepEqual([...(await activeJobs(e, 'fn')).keys()], [`${done.next.queueId}:${done.next.jobId}`]);
    // The finished job is gone; finishing it again is not active and hands out nothing.
    await enqueueJob(e, 'fn', 'qc', 'c');
    assert.equal(await e.finishNext('fn', first.queueId, first.jobId), undefined);
    assert.deepEqual(await queuedIds(e, 'fn', 'qc'), ['c'], 'nothing was handed out');
    assert.deepEqual(await e.finishNext('fn', done.next.queueId, done.next.jobId).then((r) => r?.next?.jobId), 'c');
    assert.deepEqual(await e.finishNext('fn', 'qc', 'c'), { next: null });
  });

  test('fail with next: the outcome and the next job, the retry itself among the candidates', async () => {
    const e = await h.newEngine();
    await enqueueJob(e, 'xn', 'q', 'a', { requeueLimit: 1 });
    await enqueueJob(e, 'xn', 'q', 'b');
    await pollDequeue(e, 'xn');
    const failed = await e.failNext('xn', 'q', 'a', { error: 'no' });
    assert.ok(failed?.outcome === 'retry');
    assert.deepEqual([failed.next?.jobId, failed.next?.attempt], ['a', 2], 'the retry went to the front, so it is next');
    const dead = await e.failNext('xn', 'q', 'a', { error: 'still no' });
    assert.deepEqual([dead?.outcome, dead?.next?.jobId], ['dead', 'b']);
    assert.equal(await e.failNext('xn', 'q', 'a'), undefined);
  });

  test('batch finish with count: results in order and up to count next jobs, within rate limits', async () => {
    const e = await h.newEngine();
    for (let i = 0; i < 6; i++) await enqueueJob(e, 'bn', `q${i}`, `j${i}`);
    await enqueueJob(e, 'bn', 'limited', 'l1', { intervalMs: 60_000 });
    await enqueueJob(e, 'bn', 'limited', 'l2', { intervalMs: 60_000 });
    const taken = await e.batch.dequeue('bn', 3);
    const refs = taken.jobs.map((j) => ({ queueId: j.queueId, jobId: j.jobId }));
    const done = await e.batch.finishAndTake('bn', [...refs, { queueId: 'q0', jobId: 'nope' }, { queueId: 'bad id!', jobId: 'x' }], 10);
    assert.deepEqual(done.results.slice(0, 4), [true, true, true, false]);
    assert.equal((done.results[4] as { kind: string }).kind, 'invalid');
    // 8 jobs, 3 out: of the 5 left, the rate-limited queue's second waits its interval.
    assert.equal(done.jobs.length, 4);
    assert.ok(done.jobs.filter((j) => j.queueId === 'limited').length <= 1);
  });

  test('batch finish with count over one script call takes the rest as dequeue(count) would', async () => {
    const e = await h.newEngine();
    const jobs = Array.from({ length: 250 }, (_, i) => ({ queueId: 'q', jobId: `j${i}`, intervalMs: 0, payload: i }));
    await e.batch.enqueue('big', jobs);
    const done = await e.batch.finishAndTake('big', [], 220);
    assert.equal(done.jobs.length, 220);
    assert.deepEqual(done.jobs.map((j) => j.jobId), jobs.slice(0, 220).map((j) => j.jobId), 'FIFO across the calls');
  });
});
