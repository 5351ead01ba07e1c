// POST /interval/<type>/<id>/ end to end: the real CLI (2 workers) on a real Redis.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { asObject, assertCleanError, enqueue, JOB, queueLength, serverForFile } from '../helpers/api.js';

const { api } = serverForFile();

describe('interval', () => {
  test('200 on an existing queue, 404 on a never-seen one', async () => {
    assert.equal((await enqueue(api, 'int-exists', 'q1', JOB)).status, 201);
    const res = await api.post('/interval/int-exists/q1/', { interval: 1000 });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { status: 'success' });

    const missing = await api.post('/interval/int-exists/never-seen/', { interval: 1000 });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { status: 'failure' });
    assert.equal((await api.post('/interval/int-never-seen-type/q1/', { interval: 1000 })).status, 404);
  });

  test('400 on a bad interval, a missing field or a missing body', async () => {
    assert.equal((await enqueue(api, 'int-bad', 'q1', JOB)).status, 201);
    for (const interval of [-1, 1.5, '10', true, 2 ** 53, null]) {
      assertCleanError(await api.post('/interval/int-bad/q1/', { interval }), 400, 'interval');
    }
    assertCleanError(await api.post('/interval/int-bad/q1/', {}), 400, 'interval');
    assertCleanError(await api.post('/interval/int-bad/q1/'), 400);
    assertCleanError(await api.request('POST', '/interval/int-bad/q1/', undefined, { rawBody: '{"interval": ' }), 400);
    assertCleanError(await api.request('POST', '/interval/int-bad/q1/', undefined, { rawBody: '[1000]' }), 400);
    assertCleanError(await api.post('/interval/a.b/q1/', { interval: 10 }), 400, 'queue_type');
    assertCleanError(await api.post('/interval/int-bad/a.b/', { interval: 10 }), 400, 'queue_id');
  });

  test('the new interval takes effect', async () => {
    const type = 'int-effect';
    assert.equal((await enqueue(api, type, 'q1', { job_id: 'first', interval: 0, payload: 1 })).status, 201);
    const set = await api.post(`/interval/${type}/q1/`, { interval: 60_000 });
    assert.equal(set.status, 200, set.text);
    assert.equal((await enqueue(api, type, 'q1', { job_id: 'second', interval: 0, payload: 2 })).status, 201);

    const first = await api.get(`/dequeue/${type}/`);
    assert.equal(first.status, 200, first.text);
    assert.equal(asObject(first.body).job_id, 'first');
    const second = await api.get(`/dequeue/${type}/`);
    assert.equal(second.status, 404, `the queue is rate limited to one job a minute: ${second.text}`);
    assert.equal(await queueLength(api, type, 'q1'), 1);
  });
});
