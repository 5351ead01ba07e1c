// DELETE /deletequeue/<type>/<id>/ end to end: the real CLI (2 workers) on a real Redis.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { asObject, assertCleanError, enqueue, JOB, queueLength, serverForFile } from '../helpers/api.js';

const { api } = serverForFile();

describe('deletequeue', () => {
  test('purge_all false and true: 200 Success, the queue is empty afterwards', async () => {
    for (const purgeAll of [false, true]) {
      const type = `del-${String(purgeAll)}`;
      for (const jobId of ['a', 'b', 'c']) assert.equal((await enqueue(api, type, 'q1', { ...JOB, job_id: jobId })).status, 201);
      assert.equal(await queueLength(api, type, 'q1'), 3);
      const res = await api.delete(`/deletequeue/${type}/q1/`, { purge_all: purgeAll });
      assert.equal(res.status, 200, res.text);
      const body = asObject(res.body);
      assert.equal(body.status, 'Success');
      assert.equal(typeof body.message, 'string');
      assert.equal(await queueLength(api, type, 'q1'), 0);
      assert.equal((await api.get(`/dequeue/${type}/`)).status, 404);
    }
  });

  test('an empty queue: 200 {"status":"Failure","message":"No queued calls found"}', async () => {
    const res = await api.delete('/deletequeue/del-empty/q1/', { purge_all: false });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { status: 'Failure', message: 'No queued calls found' });
    const purge = await api.delete('/deletequeue/del-empty/q1/', { purge_all: true });
    assert.deepEqual(purge.body, { status: 'Failure', message: 'No queued calls found' });
  });

  test('purge_all not a boolean: 400; no body: purge_all defaults to false', async () => {
    for (const purgeAll of ['true', 1, null, {}]) {
      assertCleanError(await api.delete('/deletequeue/del-bad/q1/', { purge_all: purgeAll }), 400, 'purge_all');
    }
    assertCleanError(await api.request('DELETE', '/deletequeue/del-bad/q1/', undefined, { rawBody: '{"purge_all": ' }), 400);
    assertCleanError(await api.delete('/deletequeue/a.b/q1/', { purge_all: false }), 400, 'queue_type');

    assert.equal((await enqueue(api, 'del-nobody', 'q1', JOB)).status, 201);
    const res = await api.delete('/deletequeue/del-nobody/q1/');
    assert.equal(res.status, 200, res.text);
    assert.equal(asObject(res.body).status, 'Success');
    assert.equal(await queueLength(api, 'del-nobody', 'q1'), 0);
    // And an empty JSON object.
    assert.equal((await enqueue(api, 'del-nobody', 'q1', JOB)).status, 201);
    assert.equal(asObject((await api.delete('/deletequeue/del-nobody/q1/', {})).body).status, 'Success');
  });
});
