// One round trip per job (SPEC 5.15) end to end through the CLI with 2 workers: finish and fail with
// `next=1&wait=`, batch finish with `count=&wait=`; 404 hands out nothing; bad parameters are 400s.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { serverForFile } from '../helpers/api.js';

const file = serverForFile({ config: { sharq: { job_expire_interval: '60000', job_requeue_interval: '1000' } } });

type Json = Record<string, unknown>;
const json = async (method: string, path: string, body?: unknown): Promise<[number, Json]> => {
  const r = await file.api.request(method, path, body);
  return [r.status, r.body as Json];
};
const enqueue = (type: string, queue: string, id: string) =>
  file.api.request('POST', `/enqueue/${type}/${queue}/`, { job_id: id, interval: 0, payload: { id } });

describe('finish and fail with next', () => {
  test('finish ?next=1 finishes and hands out the next job in the dequeue shape; null when none', async () => {
    for (const id of ['a', 'b']) assert.equal((await enqueue('nx', `q${id}`, id)).status, 201);
    const [, first] = await json('GET', '/dequeue/nx/');
    const [status, finished] = await json('POST', `/finish/nx/${String(first.queue_id)}/${String(first.job_id)}/?next=1`);
    assert.equal(status, 200);
    assert.equal(finished.status, 'success');
    const next = finished.next as Json;
    assert.deepEqual(Object.keys(next).sort(), ['attempt', 'current_queue_length', 'job_id', 'payload', 'queue_id', 'requeues_remaining']);
    assert.notEqual(next.job_id, first.job_id);
    assert.deepEqual(next.payload, { id: next.job_id });
    assert.equal(((await json('GET', `/job/nx/${String(next.queue_id)}/${String(next.job_id)}/`))[1]).state, 'active');
    assert.deepEqual(await json('POST', `/finish/nx/${String(next.queue_id)}/${String(next.job_id)}/?next=1`), [200, { status: 'success', next: null }]);
  });

  test('a finish that fails is the usual 404 and hands out nothing', async () => {
    assert.equal((await enqueue('n404', 'q', 'waiting')).status, 201);
    assert.deepEqual(await json('POST', '/finish/n404/q/unknown/?next=1'), [404, { status: 'failure' }]);
    assert.equal(((await json('GET', '/job/n404/q/waiting/'))[1]).state, 'queued', 'nothing was handed out');
  });

  test('wait: a job enqueued while the finish waits comes in its reply', async () => {
    assert.equal((await enqueue('nw', 'q', 'one')).status, 201);
    assert.equal((await json('GET', '/dequeue/nw/'))[0], 200);
    const finishing = json('POST', '/finish/nw/q/one/?next=1&wait=10000');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await enqueue('nw', 'q2', 'two')).status, 201);
    const [status, reply] = await finishing;
    assert.equal(status, 200);
    assert.equal((reply.next as Json).job_id, 'two');
  });

  test('fail ?next=1: the outcome and the next job', async () => {
    assert.equal((await enqueue('nf', 'q', 'a')).status, 201);
    assert.equal((await enqueue('nf', 'r', 'b')).status, 201);
    const [, first] = await json('GET', '/dequeue/nf/');
    const [status, failed] = await json('POST', `/fail/nf/${String(first.queue_id)}/${String(first.job_id)}/?next=1`, { error: 'x', retry_in_ms: 60_000 });
    assert.equal(status, 200);
    assert.equal(failed.outcome, 'retry');
    assert.equal(typeof failed.run_at_ms, 'number');
    assert.notEqual((failed.next as Json).job_id, first.job_id, 'the failed job waits its retry_in_ms');
    assert.deepEqual(await json('POST', '/fail/nf/q/nope/?next=1'), [404, { status: 'failure' }]);
  });

  test('batch finish ?count=: results and up to count next jobs in one request', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await enqueue('nb', `q${i}`, `j${i}`)).status, 201);
    const [, taken] = await json('GET', '/dequeue/nb/?count=2');
    const refs = (taken.jobs as Json[]).map((j) => ({ queue_id: j.queue_id, job_id: j.job_id }));
    const [status, reply] = await json('POST', '/finish/nb/?count=10', { jobs: [...refs, { queue_id: 'q0', job_id: 'nope' }] });
    assert.equal(status, 200);
    assert.deepEqual(reply.results, [{ status: 'success' }, { status: 'success' }, { status: 'failure' }]);
    assert.equal((reply.jobs as Json[]).length, 3);
    const [, empty] = await json('POST', '/finish/nb/?count=10', { jobs: (reply.jobs as Json[]).map((j) => ({ queue_id: j.queue_id, job_id: j.job_id })) });
    assert.deepEqual(empty.jobs, []);
    assert.deepEqual(((await json('POST', '/finish/nb/', { jobs: [{ queue_id: 'q0', job_id: 'x' }] }))[1]), { status: 'success', results: [{ status: 'failure' }] }, 'without count, the original shape');
  });

  test('bad parameters are 400s naming them', async () => {
    for (const [path, field] of [
      ['/finish/np/q/j/?next=2', 'next'],
      ['/finish/np/q/j/?next=1&wait=-1', 'wait'],
      ['/finish/np/q/j/?wait=100', 'wait'],
      ['/fail/np/q/j/?next=yes', 'next'],
      ['/finish/np/?count=0', 'count'],
      ['/finish/np/?wait=100', 'wait'],
    ] as const) {
      const body = path.startsWith('/finish/np/?') ? { jobs: [{ queue_id: 'q', job_id: 'j' }] } : undefined;
      const [status, reply] = await json('POST', path, body);
      assert.equal(status, 400, path);
      assert.match(String(reply.message), new RegExp(field), path);
    }
  });
});
