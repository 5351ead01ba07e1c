// GET /job/<queue_type>/<queue_id>/<job_id>/ end to end: the real CLI (2 workers) on a real Redis.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { serverForFile } from '../helpers/api.js';
import { waitFor } from '../helpers/wait.js';

const file = serverForFile({
    config: { sharq: { job_expire_interval: '2000', job_requeue_interval: '100' } },
});

const call = (method: string, path: string, body?: unknown) => file.api.request(method, path, body);

describe('GET /job/', () => {
  test('queued, delayed, active, dead, and 404 once finished or unknown', async () => {
    const enq = (id: string, extra: Record<string, unknown> = {}) =>
      call('POST', '/enqueue/st/q/', { job_id: id, interval: 0, payload: { id }, ...extra });
    assert.equal((await enq('a', { requeue_limit: 2 })).status, 201);
    assert.equal((await enq('b')).status, 201);
    assert.equal((await enq('later', { delay_ms: 60_000 })).status, 201);

    const b = await call('GET', '/job/st/q/b/');
    assert.deepEqual(b.body, { status: 'success', state: 'queued', position: 1, requeues_remaining: -1, attempts: 0 });
    const later = await call('GET', '/job/st/q/later/');
    assert.equal(later.status, 200);
    const { run_at_ms: runAt, ...rest } = later.body as Record<string, unknown>;
    assert.deepEqual(rest, { status: 'success', state: 'delayed', attempts: 0 });
    assert.ok(typeof runAt === 'number' && runAt > Date.now() + 50_000);

    assert.equal((await call('GET', '/dequeue/st/')).status, 200);
    const a = (await call('GET', '/job/st/q/a/')).body as Record<string, unknown>;
    assert.equal(a.state, 'active');
    assert.equal(a.requeues_remaining, 2);
    assert.ok(typeof a.expires_at_ms === 'number');
    assert.equal((await call('POST', '/finish/st/q/a/')).status, 200);
    assert.deepEqual(await call('GET', '/job/st/q/a/').then((r) => [r.status, r.body]), [404, { status: 'failure' }]);
    assert.equal((await call('GET', '/job/st/q/nope/')).status, 404);

    // requeue_limit 0, not finished: the leader's pass discards it.
    assert.equal((await call('POST', '/enqueue/sd/q/', { job_id: 'd', interval: 0, payload: 1, requeue_limit: 0 })).status, 201);
    assert.equal((await call('GET', '/dequeue/sd/')).status, 200);
    const dead = await waitFor(
      async () => {
        const r = await call('GET', '/job/sd/q/d/');
        return (r.body as Record<string, unknown>).state === 'dead' ? (r.body as Record<string, unknown>) : undefined;
      },
      { what: 'the job to be discarded', timeoutMs: 15_000 },
    );
    assert.equal(dead.reason, 'requeue_limit_reached');
    assert.ok(typeof dead.discarded_at_ms === 'number');
  });

  test('bad identifiers are 400s naming the field', async () => {
    const r = await call('GET', '/job/st/q/bad%20id/');
    assert.equal(r.status, 400);
    assert.match(String((r.body as Record<string, unknown>).message), /job_id/);
    assert.equal((await call('POST', '/job/st/q/a/')).status, 405);
  });
});
