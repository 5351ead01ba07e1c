// The JSON metrics routes /metrics/, /metrics/<type>/ and /metrics/<type>/<id>/ end to end, and
// how they differ from the Prometheus /metrics.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { asObject, assertCleanError, enqueue, JOB, serverForFile } from '../helpers/api.js';

const { api } = serverForFile();

describe('metrics', () => {
  function assertMinuteCounts(counts: unknown): Record<string, number> {
    const object = asObject(counts) as Record<string, number>;
    const minutes = Object.keys(object).map(Number).sort((a, b) => a - b);
    assert.equal(minutes.length, 10, JSON.stringify(object));
    for (const minute of minutes) {
      assert.ok(Number.isSafeInteger(minute) && minute % 60_000 === 0, `${minute} is not a minute epoch in ms`);
      assert.equal(typeof object[String(minute)], 'number');
    }
    for (let i = 1; i < minutes.length; i++) assert.equal((minutes[i] ?? 0) - (minutes[i - 1] ?? 0), 60_000);
    // The newest minute is now (within a few minutes of this host's clock; the server uses Redis's).
    assert.ok(Math.abs((minutes[9] ?? 0) - Date.now()) < 5 * 60_000, `newest minute ${minutes[9]}`);
    return object;
  }

  const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

  test('/metrics/ has queue_types and 10 minutes of enqueue and dequeue counts', async () => {
    for (const jobId of ['a', 'b', 'c']) assert.equal((await enqueue(api, 'met-global', 'q1', { ...JOB, job_id: jobId })).status, 201);
    assert.equal((await enqueue(api, 'met-global-2', 'q1', JOB)).status, 201);
    assert.equal((await api.get('/dequeue/met-global/')).status, 200);
    assert.equal((await api.get('/dequeue/met-global/')).status, 200);

    const res = await api.get('/metrics/');
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const body = asObject(res.body);
    assert.deepEqual(Object.keys(body).sort(), ['dequeue_counts', 'enqueue_counts', 'queue_types', 'status']);
    assert.equal(body.status, 'success');
    assert.ok(Array.isArray(body.queue_types));
    for (const type of ['met-global', 'met-global-2']) {
      assert.ok((body.queue_types as unknown[]).includes(type), `${type} in ${JSON.stringify(body.queue_types)}`);
    }
    assert.ok(sum(assertMinuteCounts(body.enqueue_counts)) >= 4);
    assert.ok(sum(assertMinuteCounts(body.dequeue_counts)) >= 2);
  });

  test('/metrics/<type>/ lists queue_ids, /metrics/<type>/<id>/ has queue_length and counts', async () => {
    assert.equal((await enqueue(api, 'met-type', 'qa', JOB)).status, 201);
    assert.equal((await enqueue(api, 'met-type', 'qb', JOB)).status, 201);
    assert.equal((await enqueue(api, 'met-type', 'qb', { ...JOB, job_id: 'job-2' })).status, 201);
    assert.equal((await api.get('/dequeue/met-type/')).status, 200);

    const ids = await api.get('/metrics/met-type/');
    assert.equal(ids.status, 200, ids.text);
    const idsBody = asObject(ids.body);
    assert.equal(idsBody.status, 'success');
    assert.deepEqual([...(idsBody.queue_ids as string[])].sort(), ['qa', 'qb']);
    assert.deepEqual((await api.get('/metrics/met-never-seen/')).body, { status: 'success', queue_ids: [] });

    const q = await api.get('/metrics/met-type/qb/');
    assert.equal(q.status, 200, q.text);
    const qBody = asObject(q.body);
    assert.deepEqual(Object.keys(qBody).sort(), ['dequeue_counts', 'enqueue_counts', 'queue_length', 'status']);
    assert.equal(qBody.status, 'success');
    const qaBody = asObject((await api.get('/metrics/met-type/qa/')).body);
    assert.equal((qBody.queue_length as number) + (qaBody.queue_length as number), 2);
    assert.equal(sum(assertMinuteCounts(qBody.enqueue_counts)), 2);
    assert.equal(sum(assertMinuteCounts(qaBody.enqueue_counts)), 1);
    const deqs =
      sum(assertMinuteCounts(qBody.dequeue_counts)) +
      sum(assertMinuteCounts(asObject((await api.get('/metrics/met-type/qa/')).body).dequeue_counts));
    assert.equal(deqs, 1);
  });

  test('400 on a bad queue type or queue id', async () => {
    assertCleanError(await api.get('/metrics/a.b/'), 400, 'queue_type');
    assertCleanError(await api.get('/metrics/a.b/q1/'), 400, 'queue_type');
    assertCleanError(await api.get('/metrics/met-bad/a.b/'), 400, 'queue_id');
    assertCleanError(await api.get(`/metrics/${'m'.repeat(101)}/`), 400, 'queue_type');
  });

  test('GET /metrics is Prometheus text, distinct from /metrics/', async () => {
    const res = await api.get('/metrics');
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.ok(res.text.includes('sharq_'), res.text.slice(0, 500));
    assert.ok(res.text.includes('# TYPE '));
    const json = await api.get('/metrics/');
    assert.match(String(json.headers['content-type']), /^application\/json/);
    assert.equal(asObject(json.body).status, 'success');
  });
});
