// POST /touch/ end to end: a job kept touched outlives many requeue passes; a lapsed one is requeued.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { serverForFile } from '../helpers/api.js';
import { waitFor } from '../helpers/wait.js';

const file = serverForFile({
    config: { sharq: { job_expire_interval: '1000', job_requeue_interval: '50' } },
});

const call = (method: string, path: string, body?: unknown) => file.api.request(method, path, body);

describe('POST /touch/', () => {
  test('keeps a long job active across many passes; 404 once it is not active', async () => {
    assert.equal((await call('POST', '/enqueue/tt/q/', { job_id: 'long', interval: 0, payload: 1 })).status, 201);
    assert.equal((await call('GET', '/dequeue/tt/')).status, 200);
    // 3 s of work, 3x the expire interval, touched every 100 ms with a 3 s extension.
    const end = Date.now() + 3000;
    while (Date.now() < end) {
      const r = await call('POST', '/touch/tt/q/long/', { extend_ms: 3000 });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const body = r.body as Record<string, unknown>;
      assert.equal(body.status, 'success');
      assert.ok(typeof body.expires_at_ms === 'number');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(((await call('GET', '/job/tt/q/long/')).body as Record<string, unknown>).state, 'active');
    assert.equal((await call('POST', '/finish/tt/q/long/')).status, 200);
    assert.deepEqual(await call('POST', '/touch/tt/q/long/').then((r) => [r.status, r.body]), [404, { status: 'failure' }]);
  });

  test('without a body the lease is job_expire_interval; a lapsed lease is requeued', async () => {
    assert.equal((await call('POST', '/enqueue/tl/q/', { job_id: 'j', interval: 0, payload: 1 })).status, 201);
    assert.equal((await call('GET', '/dequeue/tl/')).status, 200);
    assert.equal((await call('POST', '/touch/tl/q/j/')).status, 200);
    await waitFor(async () => ((await call('GET', '/job/tl/q/j/')).body as Record<string, unknown>).state === 'queued', {
      what: 'the untouched job to be requeued',
      timeoutMs: 15_000,
    });
    assert.equal((await call('POST', '/touch/tl/q/j/')).status, 404, 'a queued job is not active');
  });

  test('extend_ms out of range or of a wrong type is a 400 naming it', async () => {
    for (const extend of [0, 86_400_001, 1.5, '10', null]) {
      const r = await call('POST', '/touch/tx/q/j/', { extend_ms: extend });
      assert.equal(r.status, 400, `extend_ms ${String(extend)}`);
      assert.match(String((r.body as Record<string, unknown>).message), /extend_ms/);
    }
    assert.equal((await file.api.request('POST', '/touch/tx/q/j/', undefined, { rawBody: '{' })).status, 400);
  });

  test('Prometheus: touches counted per type', async () => {
    const text = (await call('GET', '/metrics')).text;
    const touched = Number(/^sharq_jobs_touched_total\{queue_type="tt"\} (\d+)$/m.exec(text)?.[1]);
    assert.ok(touched >= 5, `tt touched ${touched} times`);
    assert.match(text, /^sharq_jobs_touched_total\{queue_type="tl"\} 1$/m);
  });
});
