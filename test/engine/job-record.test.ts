import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { queueKeys } from '../../src/engine/keys.js';
import { engineForSuite, enqueueJob, waitForExpiry, deadLetterJsons } from '../helpers/engine.js';

describe('job records', () => {
  const h = engineForSuite({ jobExpireIntervalMs: 50 });

  test('a record written before requeue_limit was kept still dequeues, requeues and is discarded', async () => {
    const engine = await h.newEngine({ jobExpireIntervalMs: 50 });
    await enqueueJob(engine, 'old', 'q', 'j', { requeueLimit: 1, payload: { a: '1|2' } });
    // Rewrite the body in the earlier form: "<requeues_remaining>|<payload>".
    const jobs = queueKeys(engine.options.keyPrefix, 'old', 'q').jobs;
    await h.redis.hset(jobs, 'j', '1|{"a":"1|2"}');

    const first = await engine.dequeue('old');
    assert.equal(first.kind, 'job');
    assert.deepEqual(first.kind === 'job' && [JSON.parse(first.payloadJson), first.requeuesRemaining], [{ a: '1|2' }, 1]);
    await waitForExpiry(engine, 'old');
    await engine.requeue();
    const again = await engine.dequeue('old');
    assert.equal(again.kind === 'job' && again.requeuesRemaining, 0);
    await waitForExpiry(engine, 'old');
    await engine.requeue();

    const [dead] = await deadLetterJsons(engine, 'old', 10);
    assert.deepEqual(dead, {
      queue_id: 'q',
      job_id: 'j',
      reason: 'requeue_limit_reached',
      discarded_at_ms: (dead as { discarded_at_ms: number }).discarded_at_ms,
      // An old record knows only what remained when it was first read: that stands for its limit.
      requeue_limit: 1,
      attempts: 2,
      error: null,
      payload: { a: '1|2' },
    });
  });

  test('a new record keeps the requeue_limit it was enqueued with, for the dead letter', async () => {
    const engine = await h.newEngine({ jobExpireIntervalMs: 50 });
    await enqueueJob(engine, 'new', 'q', 'j', { requeueLimit: 0, payload: [1] });
    assert.equal((await engine.dequeue('new')).kind, 'job');
    await waitForExpiry(engine, 'new');
    await engine.requeue();
    const [dead] = await deadLetterJsons(engine, 'new', 10);
    assert.equal((dead as { requeue_limit: number }).requeue_limit, 0);
    assert.deepEqual((dead as { payload: unknown }).payload, [1]);
  });
});
