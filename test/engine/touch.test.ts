// Lease extension (SPEC 5.5) on a real Redis, and its race with the requeue pass: whatever the
// interleaving, a job is either still active with the extended lease or requeued, never both, and a
// lease kept extended is never lost.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { QueueEngine } from '../../src/engine/engine.js';
import { queueKeys, typeKeys } from '../../src/engine/keys.js';
import { ValidationError } from '../../src/errors.js';
import { enqueueJob, pollDequeue, redisNowUs, startEngine, type EngineHarness } from '../helpers/engine.js';
import { waitFor } from '../helpers/wait.js';

const EXPIRE_MS = 100;

async function activeScore(engine: QueueEngine, type: string, member: string): Promise<number | null> {
  const score = await engine.redis.zscore(typeKeys(engine.options.keyPrefix, type).active, member);
  return score === null ? null : Number(score);
}

describe('touch', { concurrency: true }, () => {
  let h: EngineHarness;
  before(async () => {
    h = await startEngine({ jobExpireIntervalMs: EXPIRE_MS });
  });
  after(async () => {
    await h?.stop();
  });

  test('moves the expiry to Redis time + extend_ms (default job_expire_interval)', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 't', 'q', 'j');
    await pollDequeue(engine, 't');
    const before = await redisNowUs(engine.redis);
    const expiresMs = await engine.lifecycle.touch('t', 'q', 'j', 60_000);
    const after = await redisNowUs(engine.redis);
    assert.ok(expiresMs !== undefined);
    assert.ok(expiresMs >= Math.floor(before / 1000) + 60_000 && expiresMs <= Math.ceil(after / 1000) + 60_000);
    assert.equal(Math.floor((await activeScore(engine, 't', 'q:j')) as number / 1000), expiresMs);
    const byDefault = (await engine.lifecycle.touch('t', 'q', 'j')) as number;
    assert.ok(byDefault < expiresMs && byDefault >= Math.floor(after / 1000) + EXPIRE_MS, 'the default is job_expire_interval');
  });

  test('not active: queued, delayed, finished or unknown jobs are not touched', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'n', 'q', 'queued');
    await engine.enqueue({ queueType: 'n', queueId: 'q', jobId: 'delayed', intervalMs: 0, payload: 1, delayMs: 60_000 });
    assert.equal(await engine.lifecycle.touch('n', 'q', 'queued'), undefined);
    assert.equal(await engine.lifecycle.touch('n', 'q', 'delayed'), undefined);
    assert.equal(await engine.lifecycle.touch('n', 'q', 'nope'), undefined);
    await pollDequeue(engine, 'n');
    assert.equal(await engine.finish('n', 'q', 'queued'), true);
    assert.equal(await engine.lifecycle.touch('n', 'q', 'queued'), undefined);
    assert.equal(await activeScore(engine, 'n', 'q:queued'), null, 'touch never creates an active entry');
  });

  test('a touched job is not requeued by passes while the lease is kept extended', async () => {
    const engine = await h.newEngine({}, { ownConnection: true });
    const passer = await h.newEngine({ keyPrefix: engine.options.keyPrefix }, { ownConnection: true });
    await enqueueJob(engine, 'keep', 'q', 'j', { requeueLimit: 0 });
    await pollDequeue(engine, 'keep');
    let stop = false;
    let passes = 0;
    const passing = (async () => {
      while (!stop) {
        const counts = await passer.requeue();
        assert.deepEqual(counts.get('keep'), { requeued: 0, discarded: 0, calls: 1 }, 'the pass never takes the job');
        passes += 1;
      }
    })();
    try {
      // The lease is 1 s ahead after every touch; touching every 20 ms for 2 s keeps it far ahead.
      const endUs = (await redisNowUs(engine.redis)) + 2_000_000;
      let touches = 0;
      while ((await redisNowUs(engine.redis)) < endUs) {
        assert.notEqual(await engine.lifecycle.touch('keep', 'q', 'j', 1000), undefined, 'the job is still active');
        touches += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(touches > 5 && passes > 5, `${touches} touches raced ${passes} passes`);
    } finally {
      stop = true;
      await passing;
    }
    assert.equal(await engine.finish('keep', 'q', 'j'), true);
  });

  test('racing a pass at the moment of expiry: the job ends up in exactly one place, many rounds', async () => {
    const engine = await h.newEngine({ jobExpireIntervalMs: 20 }, { ownConnection: true });
    const passer = await h.newEngine({ keyPrefix: engine.options.keyPrefix, jobExpireIntervalMs: 20 }, { ownConnection: true });
    const q = queueKeys(engine.options.keyPrefix, 'race', 'q');
    const outcomes = { touched: 0, requeued: 0 };
    for (let round = 0; round < 150; round++) {
      const jid = `j${round}`;
      await enqueueJob(engine, 'race', 'q', jid, { requeueLimit: -1 });
      await pollDequeue(engine, 'race');
      const expiry = (await activeScore(engine, 'race', `q:${jid}`)) as number;
      // Fire both as the lease runs out (a few ms either side), on separate connections.
      await waitFor(async () => (await redisNowUs(engine.redis)) >= expiry - 3000, { what: 'near expiry', intervalMs: 1 });
      const [touched, counts] = await Promise.all([engine.lifecycle.touch('race', 'q', jid, 60_000), passer.requeue()]);
      const requeued = counts.get('race')?.requeued ?? 0;
      const score = await activeScore(engine, 'race', `q:${jid}`);
      const queued = await engine.redis.lrange(q.queue, 0, -1);
      if (touched !== undefined) {
        outcomes.touched += 1;
        assert.equal(requeued, 0, `round ${round}: touched, so not requeued`);
        assert.notEqual(score, null, `round ${round}: touched and still active`);
        assert.deepEqual(queued, [], `round ${round}: touched and not queued`);
        assert.equal(await engine.finish('race', 'q', jid), true);
      } else {
        outcomes.requeued += 1;
        assert.equal(requeued, 1, `round ${round}: touch lost the race, so the pass requeued it`);
        assert.equal(score, null, `round ${round}: requeued and not active`);
        assert.deepEqual(queued, [jid], `round ${round}: requeued once`);
        await pollDequeue(engine, 'race');
        assert.equal(await engine.finish('race', 'q', jid), true);
      }
    }
    assert.equal(outcomes.touched + outcomes.requeued, 150);
  });

  test('extend_ms must be an integer from 1 ms to 24 h', async () => {
    const engine = await h.newEngine();
    for (const bad of [0, -5, 24 * 3600 * 1000 + 1, 2.5, '100', null]) {
      await assert.rejects(
        engine.lifecycle.touch('v', 'q', 'j', bad as number),
        (e: unknown) => e instanceof ValidationError && e.field === 'extend_ms',
        `extend_ms ${String(bad)}`,
      );
    }
  });
});
