// The dead-letter routes end to end: list (paged), replay one and all, delete, 400s.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { serverForFile } from '../helpers/api.js';
import { waitFor } from '../helpers/wait.js';

const file = serverForFile({
  config: { sharq: { job_expire_interval: '100', job_requeue_interval: '50', dead_letter_limit: '4' } },
});

type Json = Record<string, unknown>;
const call = (method: string, path: string, body?: unknown) => file.api.request(method, path, body);

/** Enqueues with requeue_limit 0, dequeues and waits for the leader to discard, one by one. */
async function discard(type: string, ids: string[]): Promise<void> {
  for (const id of ids) {
    assert.equal((await call('POST', `/enqueue/${type}/q/`, { job_id: id, interval: 0, payload: { id }, requeue_limit: 0 })).status, 201);
    assert.equal((await call('GET', `/dequeue/${type}/`)).status, 200);
    await waitFor(async () => ((await call('GET', `/job/${type}/q/${id}/`)).body as Json).state === 'dead', {
      what: `${id} discarded`,
      timeoutMs: 15_000,
    });
  }
}

describe('dead letters', () => {
  test('listed newest first, paged, bounded by dead_letter_limit', async () => {
    await discard('dl', ['a', 'b', 'c', 'd', 'e']);
    const all = (await call('GET', '/dead/dl/')).body as { jobs: Json[]; next_cursor: unknown };
    assert.deepEqual(all.jobs.map((j) => j.job_id), ['e', 'd', 'c', 'b'], 'the oldest beyond the limit is dropped');
    assert.equal(all.next_cursor, null);
    const entry = all.jobs[0] as Json;
    assert.deepEqual(Object.keys(entry).sort(), ['attempts', 'discarded_at_ms', 'error', 'job_id', 'payload', 'queue_id', 'reason', 'requeue_limit']);
    assert.deepEqual([entry.queue_id, entry.reason, entry.requeue_limit, entry.payload], ['q', 'requeue_limit_reached', 0, { id: 'e' }]);

    const first = (await call('GET', '/dead/dl/?limit=3')).body as { jobs: Json[]; next_cursor: string };
    assert.deepEqual(first.jobs.map((j) => j.job_id), ['e', 'd', 'c']);
    assert.equal(typeof first.next_cursor, 'string');
    const second = (await call('GET', `/dead/dl/?limit=3&cursor=${first.next_cursor}`)).body as { jobs: Json[]; next_cursor: unknown };
    assert.deepEqual(second.jobs.map((j) => j.job_id), ['b']);
    assert.equal(second.next_cursor, null);
  });

  test('replay one, then all; delete returns the count', async () => {
    await discard('dr', ['x', 'y', 'z']);
    const one = await call('POST', '/dead/dr/replay/', { jobs: [{ queue_id: 'q', job_id: 'y' }] });
    assert.deepEqual([one.status, one.body], [200, { status: 'success', replayed: 1 }]);
    assert.equal(((await call('GET', '/job/dr/q/y/')).body as Json).state, 'queued');
    const out = (await call('GET', '/dequeue/dr/')).body as Json;
    assert.deepEqual([out.job_id, out.requeues_remaining], ['y', 0]);
    assert.equal((await call('POST', '/finish/dr/q/y/')).status, 200);

    assert.deepEqual((await call('POST', '/dead/dr/replay/', { all: true })).body, { status: 'success', replayed: 2 });
    assert.deepEqual(((await call('GET', '/dead/dr/')).body as Json).jobs, []);
    assert.equal(((await call('GET', '/job/dr/q/x/')).body as Json).state, 'queued');

    await discard('dx', ['p', 'q2']);
    assert.deepEqual((await call('DELETE', '/dead/dx/')).body, { status: 'success', deleted: 2 });
    assert.deepEqual((await call('DELETE', '/dead/dx/')).body, { status: 'success', deleted: 0 });
  });

  test('Prometheus: dead letters kept per type and replays counted', async () => {
    const text = (await call('GET', '/metrics')).text;
    assert.match(text, /^sharq_dead_letters\{queue_type="dl"\} 4$/m);
    assert.match(text, /^sharq_dead_letters\{queue_type="dx"\} 0$/m);
    assert.match(text, /^sharq_dead_letters_replayed_total\{queue_type="dr"\} 3$/m);
  });

  test('bad input is a 400 naming the field', async () => {
    const cases: [string, string, unknown, RegExp][] = [
      ['GET', '/dead/dl/?limit=0', undefined, /limit/],
      ['GET', '/dead/dl/?limit=1001', undefined, /limit/],
      ['GET', '/dead/dl/?limit=x', undefined, /limit/],
      ['GET', '/dead/dl/?cursor=-1', undefined, /cursor/],
      ['POST', '/dead/dl/replay/', {}, /jobs/],
      ['POST', '/dead/dl/replay/', { jobs: [] }, /jobs/],
      ['POST', '/dead/dl/replay/', { jobs: [{ queue_id: 'q' }] }, /job_id/],
      ['POST', '/dead/dl/replay/', { jobs: [{ queue_id: 'bad id', job_id: 'j' }] }, /queue_id/],
      ['POST', '/dead/dl/replay/', { all: 'yes' }, /all/],
      ['POST', '/dead/dl/replay/', { all: true, jobs: [] }, /jobs/],
      ['GET', '/dead/bad%20type/', undefined, /queue_type/],
    ];
    for (const [method, path, body, field] of cases) {
      const r = await call(method, path, body);
      assert.equal(r.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
      assert.match(String((r.body as Json).message), field, `${method} ${path}`);
    }
    assert.equal((await file.api.request('POST', '/dead/dl/replay/', undefined, { rawBody: 'nope' })).status, 400);
  });
});
