// POST /finish/<type>/<id>/<job_id>/ end to end: the real CLI (2 workers) on a real Redis.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { assertCleanError, enqueue, JOB, queueLength, serverForFile } from '../helpers/api.js';

const { api } = serverForFile();

describe('finish', () => {
  test('200 success, then 404 once finished; 404 for an unknown job', async () => {
    assert.equal((await enqueue(api, 'fin', 'q1', JOB)).status, 201);
    assert.equal((await api.get('/dequeue/fin/')).status, 200);
    const res = await api.post('/finish/fin/q1/job-1/');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { status: 'success' });

    const again = await api.post('/finish/fin/q1/job-1/');
    assert.equal(again.status, 404);
    assert.deepEqual(again.body, { status: 'failure' });

    const unknown = await api.post('/finish/fin/q1/no-such-job/');
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, { status: 'failure' });
    assert.deepEqual((await api.post('/finish/fin-never-seen/q1/job-1/')).body, { status: 'failure' });
  });

  test('404 for a job that is queued but not dequeued', async () => {
    assert.equal((await enqueue(api, 'fin-queued', 'q1', JOB)).status, 201);
    const res = await api.post('/finish/fin-queued/q1/job-1/');
    assert.equal(res.status, 404);
    assert.equal(await queueLength(api, 'fin-queued', 'q1'), 1);
  });

  test('400 on a bad job_id, queue_id or queue_type', async () => {
    assertCleanError(await api.post('/finish/fin-bad/q1/a.b/'), 400, 'job_id');
    assertCleanError(await api.post(`/finish/fin-bad/q1/${'j'.repeat(101)}/`), 400, 'job_id');
    assertCleanError(await api.post('/finish/fin-bad/a.b/j1/'), 400, 'queue_id');
    assertCleanError(await api.post('/finish/a.b/q1/j1/'), 400, 'queue_type');
  });
});
