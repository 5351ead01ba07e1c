// POST /fail/ end to end through the CLI with 2 workers (SPEC 5.13): retry at the front or after a
// back-off, dead letters with reason, error and attempts, attempt/attempts/last_error in replies,
// holds, a waiting request woken by a due retry, bad input, and the Prometheus counters.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { serverForFile } from '../helpers/api.js';
import { waitFor } from '../helpers/wait.js';

const file = serverForFile({
  config: { sharq: { job_expire_interval: '60000', job_requeue_interval: '50' } },
});

type Json = Record<string, unknown>;
const call = (method: string, path: string, body?: unknown) => file.api.request(method, path, body);
const json = async (method: string, path: string, body?: unknown): Promise<[number, Json]> => {
  const r = await call(method, path, body);
  return [r.status, r.body as Json];
};

describe('POST /fail/', () => {
  test('retry: the lease ends now, the job is back at the front with its attempt; then dead with reason, error and attempts', async () => {
    assert.equal((await call('POST', '/enqueue/ef/q/', { job_id: 'a', interval: 0, payload: { n: 1 }, requeue_limit: 1 })).status, 201);
    assert.equal((await call('POST', '/enqueue/ef/q/', { job_id: 'b', interval: 0, payload: { n: 2 } })).status, 201);
    const [, first] = await json('GET', '/dequeue/ef/');
    assert.deepEqual([first.job_id, first.attempt], ['a', 1]);
    const [status, failed] = await json('POST', '/fail/ef/q/a/', { error: 'carrier down' });
    assert.equal(status, 200);
    assert.equal(failed.status, 'success');
    assert.equal(failed.outcome, 'retry');
    assert.equal(typeof failed.run_at_ms, 'number');
    const [, queued] = await json('GET', '/job/ef/q/a/');
    assert.deepEqual([queued.state, queued.position, queued.attempts, queued.last_error], ['queued', 0, 1, 'carrier down']);
    const [, again] = await json('GET', '/dequeue/ef/?count=5');
    const jobs = again.jobs as Json[];
    assert.deepEqual(jobs.map((j) => [j.job_id, j.attempt, j.requeues_remaining]), [['a', 2, 0], ['b', 1, -1]].slice(0, jobs.length));
    const [, active] = await json('GET', '/job/ef/q/a/');
    assert.deepEqual([active.state, active.attempts, active.last_error], ['active', 2, 'carrier down']);
    assert.deepEqual(await json('POST', '/fail/ef/q/a/', { error: 'still down' }), [200, { status: 'success', outcome: 'dead' }]);
    assert.deepEqual(await json('POST', '/fail/ef/q/a/'), [404, { status: 'failure' }]);
    const [, dead] = await json('GET', '/dead/ef/');
    const [letter] = dead.jobs as Json[];
    assert.deepEqual(
      { ...letter, discarded_at_ms: 0 },
      { queue_id: 'q', job_id: 'a', reason: 'failed', discarded_at_ms: 0, requeue_limit: 1, attempts: 2, error: 'still down', payload: { n: 1 } },
    );
    const [, deadStatus] = await json('GET', '/job/ef/q/a/');
    assert.deepEqual([deadStatus.state, deadStatus.reason, deadStatus.attempts, deadStatus.last_error], ['dead', 'failed', 2, 'still down']);
  });

  test('back-off: the retry waits in the delayed set, then wakes a waiting request and comes out ahead of newer jobs', async () => {
    assert.equal((await call('POST', '/enqueue/eb/q/', { job_id: 'slow', interval: 0, payload: 1, backoff_ms: 1500 })).status, 201);
    assert.equal((await call('GET', '/dequeue/eb/')).status, 200);
    const [, failed] = await json('POST', '/fail/eb/q/slow/', { error: 'timeout' });
    assert.equal(failed.outcome, 'retry');
    assert.equal((await json('GET', '/job/eb/q/slow/'))[1].state, 'delayed');
    assert.equal((await call('POST', '/enqueue/eb/q/', { job_id: 'newer', interval: 0, payload: 2 })).status, 201);
    assert.equal(((await json('GET', '/dequeue/eb/'))[1]).job_id, 'newer', 'the newer job goes first while the retry waits');
    assert.equal((await call('POST', '/finish/eb/q/newer/')).status, 200);
    assert.equal((await call('POST', '/enqueue/eb/q/', { job_id: 'newest', interval: 0, payload: 3 })).status, 201);
    // Once due, the leader's promoter puts the retry at the FRONT of its queue, ahead of 'newest'.
    await waitFor(async () => (await json('GET', '/job/eb/q/slow/'))[1].state === 'queued', { what: 'the retry to come due', timeoutMs: 10_000 });
    assert.equal((await json('GET', '/job/eb/q/slow/'))[1].position, 0);
    const [, next] = await json('GET', '/dequeue/eb/');
    assert.deepEqual([next.job_id, next.attempt], ['slow', 2]);
  });

  test('a retry that comes due wakes a request already waiting', async () => {
    assert.equal((await call('POST', '/enqueue/ew/q/', { job_id: 'j', interval: 0, payload: 1 })).status, 201);
    assert.equal((await call('GET', '/dequeue/ew/')).status, 200);
    const waiting = json('GET', '/dequeue/ew/?wait=15000');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const failedAt = Date.now();
    assert.equal((await json('POST', '/fail/ew/q/j/', { retry_in_ms: 1000 }))[1].outcome, 'retry');
    const [status, job] = await waiting;
    assert.equal(status, 200);
    assert.deepEqual([job.job_id, job.attempt], ['j', 2]);
    assert.ok(Date.now() - failedAt >= 900, 'not before its retry_in_ms');
  });

  test('hold_queue_ms: the queue hands out nothing for that long, other queues go on', async () => {
    for (const [queue, id] of [['held', 'a'], ['held', 'b'], ['free', 'c']]) {
      assert.equal((await call('POST', `/enqueue/eh/${queue}/`, { job_id: id, interval: 0, payload: 1 })).status, 201);
    }
    assert.equal(((await json('GET', '/dequeue/eh/'))[1]).job_id, 'a');
    const heldAt = Date.now();
    assert.equal(((await json('POST', '/fail/eh/held/a/', { hold_queue_ms: 2000, retry_in_ms: 0 }))[1]).outcome, 'retry');
    assert.equal(((await json('GET', '/dequeue/eh/'))[1]).job_id, 'c');
    assert.equal((await call('GET', '/dequeue/eh/')).status, 404, 'the held queue gives nothing yet');
    const [, after] = await json('GET', '/dequeue/eh/?wait=10000');
    assert.deepEqual([after.job_id, after.attempt], ['a', 2]);
    assert.ok(Date.now() - heldAt >= 1900, 'not before the hold ended');
  });

  test('bad input is a 400 naming the field; a long error is cut, not refused', async () => {
    const bad: [unknown, string][] = [
      [{ error: 5 }, 'error'],
      [{ retry_in_ms: -1 }, 'retry_in_ms'],
      [{ retry_in_ms: '10' }, 'retry_in_ms'],
      [{ hold_queue_ms: 1.5 }, 'hold_queue_ms'],
      [{ hold_queue_ms: 2_592_000_001 }, 'hold_queue_ms'],
    ];
    for (const [body, field] of bad) {
      const [status, reply] = await json('POST', '/fail/ex/q/j/', body);
      assert.equal(status, 400, JSON.stringify(body));
      assert.equal(reply.status, 'failure');
      assert.match(String(reply.message), new RegExp(field));
    }
    assert.equal((await call('POST', '/fail/bad type/q/j/')).status, 400);
    assert.equal((await file.api.request('POST', '/fail/ex/q/j/', undefined, { rawBody: '{' })).status, 400);
    for (const [field, value] of [['backoff_ms', 86_400_001], ['backoff_max_ms', -1]] as const) {
      const [status, reply] = await json('POST', '/enqueue/ex/q/', { job_id: 'j', interval: 0, payload: 1, [field]: value });
      assert.equal(status, 400);
      assert.match(String(reply.message), new RegExp(field));
    }
    assert.equal((await call('POST', '/enqueue/ex/q/', { job_id: 'long', interval: 0, payload: 1 })).status, 201);
    assert.equal((await call('GET', '/dequeue/ex/')).status, 200);
    assert.equal((await call('POST', '/fail/ex/q/long/', { error: 'x'.repeat(5000) })).status, 200);
    assert.equal(String(((await json('GET', '/job/ex/q/long/'))[1]).last_error).length, 2000);
  });

  test('batch enqueue takes backoff_ms; batch dequeue replies carry attempt', async () => {
    const [status, reply] = await json('POST', '/enqueue/ebat/', {
      jobs: [{ queue_id: 'q', job_id: 'x', interval: 0, payload: 1, backoff_ms: 60_000 }],
    });
    assert.equal(status, 200);
    assert.deepEqual(reply.results, [{ status: 'queued' }]);
    assert.equal(((await json('GET', '/dequeue/ebat/?count=10'))[1].jobs as Json[])[0]?.attempt, 1);
    assert.equal((await json('POST', '/fail/ebat/q/x/'))[1].outcome, 'retry');
    assert.equal((await json('GET', '/job/ebat/q/x/'))[1].state, 'delayed', 'its back-off applies');
  });

  test('Prometheus: fails, retries scheduled and dead letters by reason, per type, from 0', async () => {
    const text = await waitFor(
      async () => {
        const body = (await call('GET', '/metrics')).text;
        return /^sharq_jobs_failed_total\{queue_type="ef"\} 2$/m.test(body) ? body : undefined;
      },
      { what: 'the fail counters of type ef', timeoutMs: 10_000 },
    );
    assert.match(text, /^sharq_retries_scheduled_total\{queue_type="ef",cause="fail"\} 1$/m);
    assert.match(text, /^sharq_dead_letters_added_total\{queue_type="ef",reason="failed"\} 1$/m);
    assert.match(text, /^sharq_dead_letters_added_total\{queue_type="ef",reason="requeue_limit_reached"\} 0$/m);
    assert.match(text, /^sharq_retries_scheduled_total\{queue_type="eh",cause="expiry"\} 0$/m);
  });
});
