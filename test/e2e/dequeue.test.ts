// GET /dequeue/ and /dequeue/<type>/ end to end: the real CLI (2 workers) on a real Redis.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { asObject, assertCleanError, enqueue, JOB, queueLength, serverForFile } from '../helpers/api.js';

const { api } = serverForFile();

describe('dequeue', () => {
  test('GET /dequeue/ uses the queue type "default"', async () => {
    assert.equal((await enqueue(api, 'default', 'q1', { ...JOB, job_id: 'default-job' })).status, 201);
    const res = await api.get('/dequeue/');
    assert.equal(res.status, 200, res.text);
    const body = asObject(res.body);
    assert.equal(body.job_id, 'default-job');
    assert.equal(body.queue_id, 'q1');
    assert.equal((await api.get('/dequeue/')).status, 404);
  });

  test('GET /dequeue/<type>/ returns exactly the documented keys', async () => {
    assert.equal((await enqueue(api, 'deq-keys', 'q7', { ...JOB, requeue_limit: 3 })).status, 201);
    assert.equal((await enqueue(api, 'deq-keys', 'q7', { ...JOB, job_id: 'job-2' })).status, 201);
    const res = await api.get('/dequeue/deq-keys/');
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const body = asObject(res.body);
    assert.deepEqual(Object.keys(body).sort(), [
      'attempt',
      'current_queue_length',
      'job_id',
      'payload',
      'queue_id',
      'requeues_remaining',
      'status',
    ]);
    assert.equal(body.status, 'success');
    assert.equal(body.queue_id, 'q7');
    assert.equal(body.job_id, 'job-1');
    assert.deepEqual(body.payload, JOB.payload);
    assert.equal(body.requeues_remaining, 3);
    assert.equal(typeof body.current_queue_length, 'number');
    assert.equal(body.current_queue_length, 1);
  });

  test('requeues_remaining is default_job_requeue_limit (-1) when no requeue_limit is given', async () => {
    assert.equal((await enqueue(api, 'deq-default-limit', 'q1', JOB)).status, 201);
    assert.equal((await enqueue(api, 'deq-default-limit', 'q1', { ...JOB, job_id: 'zero', requeue_limit: 0 })).status, 201);
    const first = asObject((await api.get('/dequeue/deq-default-limit/')).body);
    assert.equal(first.requeues_remaining, -1);
    const second = asObject((await api.get('/dequeue/deq-default-limit/')).body);
    assert.equal(second.job_id, 'zero');
    assert.equal(second.requeues_remaining, 0);
  });

  test('404 {"status":"failure"} when no job is ready', async () => {
    for (const path of ['/dequeue/deq-never-seen/', '/dequeue/deq-never-seen-2/']) {
      const res = await api.get(path);
      assert.equal(res.status, 404);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.deepEqual(res.body, { status: 'failure' });
    }
    // A queue whose only job is active has nothing ready either.
    assert.equal((await enqueue(api, 'deq-empty', 'q1', JOB)).status, 201);
    assert.equal((await api.get('/dequeue/deq-empty/')).status, 200);
    const res = await api.get('/dequeue/deq-empty/');
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { status: 'failure' });
  });

  test('HEAD /dequeue/<type>/ does not take a job: 405, the job is still there', async () => {
    assert.equal((await enqueue(api, 'deq-head', 'q1', JOB)).status, 201);
    for (const path of ['/dequeue/deq-head/', '/dequeue/']) {
      const head = await api.request('HEAD', path);
      assert.equal(head.status, 405);
      assert.equal(head.headers['allow'], 'GET, OPTIONS');
    }
    assert.equal(await queueLength(api, 'deq-head', 'q1'), 1);
    const res = await api.get('/dequeue/deq-head/');
    assert.equal(res.status, 200);
    assert.equal(asObject(res.body).job_id, 'job-1');
    // HEAD on a read-only route is still fine.
    assert.equal((await api.request('HEAD', '/metrics/deq-head/q1/')).status, 200);
  });

  test('400 on a bad queue type', async () => {
    assertCleanError(await api.get('/dequeue/a.b/'), 400, 'queue_type');
    assertCleanError(await api.get(`/dequeue/${'t'.repeat(101)}/`), 400, 'queue_type');
    assertCleanError(await api.get('/dequeue/a%2Fb/'), 400, 'queue_type');
  });
});
