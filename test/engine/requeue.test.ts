import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { QueueEngine } from '../../src/engine/engine.js';
import { drain, engineForSuite, enqueueJob, pollDequeue, waitForExpiry, deadLetterJsons } from '../helpers/engine.js';

const EXPIRE_MS = 100;

/**
 * Runs expiry rounds until the type holds nothing: dequeue everything ready, let it expire,
 * requeue. Returns how often each job was handed out and the requeuesRemaining it carried.
 */
async function expireUntilGone(
  engine: QueueEngine,
  type: string,
  maxRounds: number,
): Promise<Map<string, number[]>> {
  const handedOut = new Map<string, number[]>();
  for (let round = 0; round < maxRounds; round++) {
    const jobs = await drain(engine, type);
    if (jobs.length === 0) {
      const gauges = await engine.reads.typeGauges(type);
      if (gauges.queued === 0 && gauges.active === 0) return handedOut;
      assert.fail(`round ${round}: nothing ready but ${JSON.stringify(gauges)}`);
    }
    for (const job of jobs) {
      const key = `${job.queueId}/${job.jobId}`;
      handedOut.set(key, [...(handedOut.get(key) ?? []), job.requeuesRemaining]);
    }
    await waitForExpiry(engine, type);
    await engine.requeue();
  }
  assert.fail(`the jobs of ${type} were still around after ${maxRounds} rounds`);
}

describe('requeue of expired jobs', { concurrency: true }, () => {
  const h = engineForSuite({ jobExpireIntervalMs: EXPIRE_MS });

  test('a job not finished in time comes back after requeue(), and only then', async () => {
    // Long enough that the first pass surely runs before expiry on a loaded machine.
    const engine = await h.newEngine({ jobExpireIntervalMs: 2000 });
    await enqueueJob(engine, 'late', 'q', 'job', { payload: { x: 1 }, requeueLimit: 5 });
    const first = await pollDequeue(engine, 'late');
    assert.deepEqual(await engine.requeue(), new Map([['late', { requeued: 0, discarded: 0, calls: 1 }]]));
    assert.deepEqual(await engine.dequeue('late'), { kind: 'empty' }, 'not back before the pass');
    await waitForExpiry(engine, 'late');
    assert.deepEqual(await engine.dequeue('late'), { kind: 'empty' }, 'expiry alone does not bring it back');
    const counts = await engine.requeue();
    assert.deepEqual(counts.get('late'), { requeued: 1, discarded: 0, calls: 1 });
    const again = await pollDequeue(engine, 'late');
    assert.equal(again.jobId, 'job');
    assert.equal(again.payloadJson, first.payloadJson);
    assert.equal(again.requeuesRemaining, 4);
    assert.equal(await engine.finish('late', 'q', 'job'), true);
  });

  test('a pass calls no script for a type without active jobs, and still reports the type', async () => {
    const scripts: string[] = [];
    const engine = await h.newEngine({ observeCommand: (name) => scripts.push(name) });
    for (const type of ['idle1', 'idle2', 'idle3']) await enqueueJob(engine, type, 'q', 'job');
    await enqueueJob(engine, 'busy', 'q', 'job');
    await pollDequeue(engine, 'busy');
    await waitForExpiry(engine, 'busy');
    scripts.length = 0;
    const none = { requeued: 0, discarded: 0, calls: 0 };
    assert.deepEqual(
      await engine.requeue(),
      new Map([['busy', { requeued: 1, discarded: 0, calls: 1 }], ['idle1', none], ['idle2', none], ['idle3', none]]),
    );
    assert.deepEqual(scripts, ['requeue'], 'one script call, for the type with an active job');
    assert.equal((await pollDequeue(engine, 'busy')).jobId, 'job');
  });

  test('a job finished before expiry is not requeued', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'ontime', 'q', 'job');
    await pollDequeue(engine, 'ontime');
    assert.equal(await engine.finish('ontime', 'q', 'job'), true);
    const counts = await engine.requeueType('ontime');
    assert.deepEqual(counts, { requeued: 0, discarded: 0, calls: 1 });
    assert.deepEqual(await engine.dequeue('ontime'), { kind: 'empty' });
  });

  test('finish after expiry + requeue is false; the next hand-out can be finished', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'stale', 'q', 'job', { requeueLimit: 1 });
    await pollDequeue(engine, 'stale');
    await waitForExpiry(engine, 'stale');
    assert.equal((await engine.requeueType('stale')).requeued, 1);
    assert.equal(await engine.finish('stale', 'q', 'job'), false, 'the job is queued again, not active');
    await pollDequeue(engine, 'stale');
    assert.equal(await engine.finish('stale', 'q', 'job'), true);
    assert.equal(await engine.finish('stale', 'q', 'job'), false);
  });

  test('requeue_limit 0: discarded at the first expiry, into the dead letters', async () => {
    const engine = await h.newEngine();
    const payload = { to: '+1555', text: 'héllo 😀', n: [1, null] };
    await enqueueJob(engine, 'never', 'q', 'job', { requeueLimit: 0, payload });
    const handedOut = await expireUntilGone(engine, 'never', 5);
    assert.deepEqual([...handedOut], [['q/job', [0]]]);
    const dead = await deadLetterJsons(engine, 'never', 10);
    assert.equal(dead.length, 1);
    const [letter] = dead as Record<string, unknown>[];
    assert.equal(letter?.queue_id, 'q');
    assert.equal(letter?.job_id, 'job');
    assert.equal(typeof letter?.reason, 'string');
    assert.ok(String(letter?.reason).length > 0);
    assert.deepEqual(letter?.payload, payload);
    assert.equal(await engine.finish('never', 'q', 'job'), false);
  });

  test('requeue_limit 2: handed out 3 times, requeuesRemaining counting down, then discarded', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'twice', 'q', 'job', { requeueLimit: 2 });
    const handedOut = await expireUntilGone(engine, 'twice', 6);
    assert.deepEqual([...handedOut], [['q/job', [2, 1, 0]]]);
    assert.equal((await deadLetterJsons(engine, 'twice', 10)).length, 1);
  });

  test('the default requeue limit applies when none is given', async () => {
    const engine = await h.newEngine({ defaultRequeueLimit: 1 });
    await enqueueJob(engine, 'default', 'q', 'job');
    const handedOut = await expireUntilGone(engine, 'default', 5);
    assert.deepEqual([...handedOut], [['q/job', [1, 0]]]);
  });

  test('requeue_limit -1: requeued after every expiry, never discarded', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'forever', 'q', 'job', { requeueLimit: -1 });
    for (let round = 0; round < 5; round++) {
      const job = await pollDequeue(engine, 'forever');
      assert.equal(job.requeuesRemaining, -1);
      await waitForExpiry(engine, 'forever');
      assert.deepEqual(await engine.requeueType('forever'), { requeued: 1, discarded: 0, calls: 1 });
    }
    assert.deepEqual(await deadLetterJsons(engine, 'forever', 10), []);
    assert.equal(await engine.reads.queueLength('forever', 'q'), 1);
  });

  test('each job of a mix of limits is handed out exactly limit + 1 times', async () => {
    const engine = await h.newEngine();
    const limits = [0, 1, 2, 3, 0, 2];
    for (const [i, limit] of limits.entries()) {
      await enqueueJob(engine, 'mix', `q${i % 3}`, `job${i}`, { requeueLimit: limit });
    }
    const handedOut = await expireUntilGone(engine, 'mix', 8);
    for (const [i, limit] of limits.entries()) {
      const expected = Array.from({ length: limit + 1 }, (_, k) => limit - k);
      assert.deepEqual(handedOut.get(`q${i % 3}/job${i}`), expected, `job${i} with limit ${limit}`);
    }
    const dead = (await deadLetterJsons(engine, 'mix', 100)) as { job_id: string }[];
    assert.deepEqual(dead.map((d) => d.job_id).sort(), limits.map((_, i) => `job${i}`).sort());
  });

  test('the dead-letter list is bounded by deadLetterLimit, newest pass first, whatever the batch size', async () => {
    const lists: string[][] = [];
    for (const requeueBatchSize of [100, 2]) {
      const engine = await h.newEngine({ deadLetterLimit: 3, requeueBatchSize });
      for (let i = 1; i <= 5; i++) await enqueueJob(engine, 'dead', 'q', `j${i}`, { requeueLimit: 0, payload: i });
      assert.deepEqual(
        (await drain(engine, 'dead')).map((job) => job.jobId),
        ['j1', 'j2', 'j3', 'j4', 'j5'],
      );
      await waitForExpiry(engine, 'dead');
      const counts = await engine.requeueType('dead');
      assert.equal(counts.discarded, 5);
      assert.equal(counts.requeued, 0);
      const dead = (await deadLetterJsons(engine, 'dead', 100)) as { job_id: string; payload: unknown }[];
      assert.equal(dead.length, 3, 'bounded by deadLetterLimit');
      for (const d of dead) assert.equal(d.payload, Number(d.job_id.slice(1)), 'each entry carries its own payload');
      assert.equal(new Set(dead.map((d) => d.job_id)).size, 3);

      // A later pass's discard goes on top and pushes the oldest entry out.
      await enqueueJob(engine, 'dead', 'q', 'j6', { requeueLimit: 0, payload: 6 });
      await pollDequeue(engine, 'dead');
      await waitForExpiry(engine, 'dead');
      await engine.requeueType('dead');
      const after = ((await deadLetterJsons(engine, 'dead', 100)) as { job_id: string }[]).map((d) => d.job_id);
      assert.deepEqual(after, ['j6', ...dead.slice(0, 2).map((d) => d.job_id)]);
      lists.push(after);
    }
    assert.deepEqual(lists[0], lists[1], 'the same list with batches of 100 and of 2');
  });

  test('deadLetterLimit 0 keeps no dead letters, but the job is still discarded', async () => {
    const engine = await h.newEngine({ deadLetterLimit: 0 });
    await enqueueJob(engine, 'nodead', 'q', 'job', { requeueLimit: 0 });
    await expireUntilGone(engine, 'nodead', 4);
    assert.deepEqual(await deadLetterJsons(engine, 'nodead', 10), []);
    assert.equal(await h.redis.exists(`${engine.options.keyPrefix}:{nodead}:dead`), 0);
  });

  test('a discarded job id can be enqueued again', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'reuse', 'q', 'job', { requeueLimit: 0 });
    await expireUntilGone(engine, 'reuse', 4);
    assert.deepEqual(await enqueueJob(engine, 'reuse', 'q', 'job'), { kind: 'queued', lengthBefore: 0 });
  });

  test('requeue() walks every registered type', async () => {
    const engine = await h.newEngine();
    for (const type of ['t1', 't2', 't3']) {
      await enqueueJob(engine, type, 'q', 'job');
      await pollDequeue(engine, type);
    }
    for (const type of ['t1', 't2', 't3']) await waitForExpiry(engine, type);
    const counts = await engine.requeue();
    assert.deepEqual([...counts.keys()], ['t1', 't2', 't3']);
    for (const c of counts.values()) assert.equal(c.requeued, 1);
  });
});
