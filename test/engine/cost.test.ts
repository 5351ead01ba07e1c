import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ValidationError } from '../../src/errors.js';
import { dequeuedAtUs, enqueueJob, pollDequeue, readyAtUs, startEngine, type EngineHarness } from '../helpers/engine.js';

describe('cost-weighted rate limits (SPEC 5.3)', { concurrency: true }, () => {
  let h: EngineHarness;
  before(async () => {
    h = await startEngine();
  });
  after(async () => {
    await h?.stop();
  });

  test('a job of cost c holds its queue for c intervals; cost 1 for one', async () => {
    const engine = await h.newEngine();
    await engine.enqueue({ queueType: 'sms', queueId: 'q', jobId: 'a', intervalMs: 150, payload: 1, cost: 3 });
    await enqueueJob(engine, 'sms', 'q', 'b', { intervalMs: 150 });
    await enqueueJob(engine, 'sms', 'q', 'c', { intervalMs: 150 });

    const a = await pollDequeue(engine, 'sms', 10_000, 2);
    assert.equal(a.jobId, 'a');
    const aAt = await dequeuedAtUs(engine, 'sms', 'q', 'a');
    assert.equal(await readyAtUs(engine, 'sms', 'q'), aAt + 3 * 150_000, 'ready again after 3 intervals');
    const b = await pollDequeue(engine, 'sms', 10_000, 2);
    const bAt = await dequeuedAtUs(engine, 'sms', 'q', b.jobId);
    assert.equal(b.jobId, 'b');
    assert.ok(bAt - aAt >= 450_000, `b came ${bAt - aAt} us after a (< 3 x 150 ms)`);
    assert.equal(await readyAtUs(engine, 'sms', 'q'), bAt + 150_000, 'cost 1 spends one interval');
    assert.equal(b.requeuesRemaining, -1, 'requeues_remaining unchanged by cost');
  });

  test('a queue that drains after a costly job and refills still waits c intervals', async () => {
    const engine = await h.newEngine();
    await engine.enqueue({ queueType: 'sms', queueId: 'q', jobId: 'a', intervalMs: 100, payload: 1, cost: 5 });
    await pollDequeue(engine, 'sms', 10_000, 2);
    const aAt = await dequeuedAtUs(engine, 'sms', 'q', 'a');
    assert.equal(await engine.finish('sms', 'q', 'a'), true, 'the queue goes idle');
    await enqueueJob(engine, 'sms', 'q', 'b', { intervalMs: 100 });
    assert.ok(((await readyAtUs(engine, 'sms', 'q')) ?? 0) >= aAt + 500_000, 'the refill is not ready before 5 intervals');
    await pollDequeue(engine, 'sms', 10_000, 2);
    const bAt = await dequeuedAtUs(engine, 'sms', 'q', 'b');
    assert.ok(bAt - aAt >= 500_000, `b came ${bAt - aAt} us after a`);
  });

  test('cost is an integer 1 to 1,000,000', async () => {
    const engine = await h.newEngine();
    for (const cost of [0, -1, 1.5, '2', true, null, 1_000_001, 2 ** 53]) {
      await assert.rejects(
        engine.enqueue({ queueType: 'sms', queueId: 'q', jobId: 'x', intervalMs: 0, payload: 1, cost: cost as number }),
        (error: unknown) => error instanceof ValidationError && error.field === 'cost',
        `cost ${JSON.stringify(cost)} is refused`,
      );
    }
    const ok = await engine.enqueue({ queueType: 'sms', queueId: 'q', jobId: 'y', intervalMs: 0, payload: 1, cost: 1_000_000 });
    assert.equal(ok.kind, 'queued');
    assert.equal(await engine.reads.queueLength('sms', 'q'), 1, 'nothing of the refused enqueues was written');
  });
});
