// The paged read views behind GET /queues/<type>/ and GET /jobs/<type>/<queue_id>/, on a real Redis.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { Redis } from 'ioredis';

import type { QueueSummary } from '../../src/engine/browse.js';
import { parseJobRecord } from '../../src/engine/job-record.js';
import type { QueueEngine } from '../../src/engine/engine.js';
import { queueKeys } from '../../src/engine/keys.js';
import { ValidationError } from '../../src/errors.js';
import { enqueueJob, startEngine, type EngineHarness } from '../helpers/engine.js';

/** What a page says of a queue with no max_active and no pause (SPEC 5.14). */
const noFlowControl = { max_active: null, paused: false, paused_until_ms: null };

/** Enqueues one job into each of `count` queues named `<prefix><n>`, in parallel chunks. */
async function fillQueues(engine: QueueEngine, type: string, count: number, prefix = 'q'): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(6, '0')}`);
  for (let i = 0; i < ids.length; i += 1000) {
    await Promise.all(ids.slice(i, i + 1000).map((id) => enqueueJob(engine, type, id, 'j')));
  }
  return ids;
}

/** Pages through every queue of the type; returns the pages. */
async function allPages(
  engine: QueueEngine,
  type: string,
  options: { limit?: string; prefix?: string } = {},
  between?: (page: number) => Promise<void>,
): Promise<QueueSummary[][]> {
  const pages: QueueSummary[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await engine.browse.queuePage(type, { ...options, cursor });
    pages.push(page.queues);
    if (page.nextCursor === null) return pages;
    assert.ok(pages.length < 10_000, 'paging ends');
    cursor = page.nextCursor;
    await between?.(pages.length);
  }
}

/** Calls of one command since the last reset of the stats. */
async function commandCalls(redis: Redis, command: string): Promise<number> {
  const info = await redis.info('commandstats');
  const m = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info);
  return m ? Number(m[1]) : 0;
}

describe('queue pages (GET /queues/<type>/)', () => {
  let h: EngineHarness;
  before(async () => {
    h = await startEngine();
  });
  after(async () => h?.stop());

  test('a small type comes in id order, each queue once, with queued, active and interval', async () => {
    const engine = await h.newEngine();
    for (const id of ['c', 'a', 'e', 'b', 'd']) await enqueueJob(engine, 'small', id, 'j1', { intervalMs: 250 });
    await enqueueJob(engine, 'small', 'b', 'j2', { intervalMs: 250 });
    const job = await engine.dequeue('small');
    assert.equal(job.kind, 'job');
    const pages = await allPages(engine, 'small', { limit: '2' });
    assert.deepEqual(
      pages.map((page) => page.map((q) => q.queue_id)),
      [['a', 'b'], ['c', 'd'], ['e']],
    );
    const all = pages.flat();
    const dequeued = all.find((q) => q.queue_id === (job.kind === 'job' ? job.queueId : ''));
    assert.deepEqual({ ...dequeued, queue_id: '' }, { queue_id: '', queued: 0, active: 1, interval: 250, ...noFlowControl });
    assert.deepEqual(all.find((q) => q.queue_id === 'b'), { queue_id: 'b', queued: 2, active: 0, interval: 250, ...noFlowControl });
    assert.deepEqual(await engine.browse.queuePage('never-used'), { queues: [], nextCursor: null });
  });

  test('a queue removed between two pages does not make the next page skip another', async () => {
    const engine = await h.newEngine();
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) await enqueueJob(engine, 't', id, 'j');
    const first = await engine.browse.queuePage('t', { limit: '3' });
    assert.deepEqual(first.queues.map((q) => q.queue_id), ['a', 'b', 'c']);
    await engine.clearQueue('t', 'a', true);
    const second = await engine.browse.queuePage('t', { limit: '3', cursor: first.nextCursor ?? '' });
    assert.deepEqual(second.queues.map((q) => q.queue_id), ['d', 'e', 'f']);
  });

  test('5,000 queues page through completely, each page within its limit and a bounded number of HSCANs', async () => {
    const engine = await h.newEngine();
    const ids = await fillQueues(engine, 'many', 5000);
    await h.redis.config('RESETSTAT');
    const pages = await allPages(engine, 'many', { limit: '100' });
    const hscans = await commandCalls(h.redis, 'hscan');
    const seen = pages.flat().map((q) => q.queue_id);
    assert.deepEqual([...new Set(seen)].sort(), ids, 'every queue appears');
    assert.equal(seen.length, ids.length, 'and only once (nothing changed meanwhile)');
    for (const page of pages) assert.ok(page.length <= 100, `a page of ${page.length}`);
    assert.ok(pages.length >= 50, `${pages.length} pages`);
    assert.ok(hscans <= pages.length * 10, `${hscans} HSCAN calls for ${pages.length} pages`);
    for (const q of pages.flat()) assert.deepEqual([q.queued, q.active, q.interval], [1, 0, 0]);
  });

  test('a rare prefix among many queues: short pages with a cursor, bounded calls, every match found', async () => {
    const engine = await h.newEngine();
    await fillQueues(engine, 'mixed', 5000, 'bulk');
    const rare = await fillQueues(engine, 'mixed', 7, 'acme-');
    await h.redis.config('RESETSTAT');
    const first = await engine.browse.queuePage('mixed', { prefix: 'acme-', limit: '1000' });
    assert.ok((await commandCalls(h.redis, 'hscan')) <= 10, 'one request stops after 10 HSCAN steps');
    assert.notEqual(first.nextCursor, null, 'the scan is not over after one request');
    const pages = await allPages(engine, 'mixed', { prefix: 'acme-', limit: '1000' });
    assert.deepEqual([...new Set(pages.flat().map((q) => q.queue_id))].sort(), rare);
    assert.ok(pages.flat().every((q) => q.queue_id.startsWith('acme-')));
  });

  test('queues added and removed while paging: every queue present throughout is seen', async () => {
    const engine = await h.newEngine();
    const stable = await fillQueues(engine, 'busy', 1000, 's');
    let churn = 0;
    const pages = await allPages(engine, 'busy', { limit: '50' }, async () => {
      // Grow the hash (a rehash under the cursor) and remove some others.
      await Promise.all(Array.from({ length: 25 }, () => enqueueJob(engine, 'busy', `n${churn++}`, 'j')));
      if (churn > 100) await engine.clearQueue('busy', `n${churn - 100}`, true);
    });
    const seen = new Set(pages.flat().map((q) => q.queue_id));
    for (const id of stable) assert.ok(seen.has(id), `${id} was seen`);
  });

  test('bad parameters are ValidationErrors naming the parameter', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ limit: '0' }, 'limit'],
      [{ limit: '1001' }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ limit: '1.5' }, 'limit'],
      [{ limit: '' }, 'limit'],
      [{ cursor: 'abc' }, 'cursor'],
      [{ cursor: '12.x' }, 'cursor'],
      [{ prefix: 'a*' }, 'prefix'],
      [{ prefix: 'x'.repeat(101) }, 'prefix'],
    ];
    for (const [options, field] of cases) {
      await assert.rejects(h.engine.browse.queuePage('t', options), (e: unknown) => e instanceof ValidationError && e.field === field, JSON.stringify(options));
    }
    await assert.rejects(h.engine.browse.queuePage('bad type!'), (e: unknown) => e instanceof ValidationError && e.field === 'queue_type');
  });
});

describe('job pages (GET /jobs/<type>/<queue_id>/)', () => {
  let h: EngineHarness;
  before(async () => {
    h = await startEngine();
  });
  after(async () => h?.stop());

  test('5,000 waiting jobs page by offset in FIFO order, with total and the job record fields', async () => {
    const engine = await h.newEngine();
    for (let i = 0; i < 5000; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, k) =>
          enqueueJob(engine, 'jobs', 'q', `j${i + k}`, { payload: { n: i + k }, requeueLimit: 3 }),
        ),
      );
    }
    // Enqueued in parallel: the list order is the order they landed in.
    const order = await engine.redis.lrange(queueKeys(engine.options.keyPrefix, 'jobs', 'q').queue, 0, -1);
    await h.redis.config('RESETSTAT');
    const seen: string[] = [];
    for (let offset = 0; offset < 5000; offset += 1000) {
      const page = await engine.browse.jobPage('jobs', 'q', { offset: String(offset), limit: '1000' });
      assert.equal(page.total, 5000);
      assert.equal(page.jobs.length, 1000);
      seen.push(...page.jobs.map((job) => job.job_id));
      const job = page.jobs[0];
      assert.deepEqual(job, { job_id: job?.job_id, payload: { n: Number(job?.job_id.slice(1)) }, requeues_remaining: 3, requeue_limit: 3, cost: 1, attempts: 0 });
    }
    assert.deepEqual(seen, order);
    assert.equal(await commandCalls(h.redis, 'lrange'), 5, 'one LRANGE per page');
    assert.equal(await commandCalls(h.redis, 'hmget'), 5, 'one HMGET per page');
    assert.deepEqual(await engine.browse.jobPage('jobs', 'q', { offset: '5000' }), { jobs: [], total: 5000, intervalMs: 0, active: 0 });
    const first = await engine.dequeue('jobs');
    assert.equal(first.kind === 'job' && first.jobId, order[0], 'offset 0 is the next job out');
    assert.equal((await engine.browse.jobPage('jobs', 'q', { limit: '1' })).jobs[0]?.job_id, order[1]);
    assert.deepEqual(await engine.browse.jobPage('jobs', 'nothing-here'), { jobs: [], total: 0, intervalMs: null, active: 0 });
  });

  test('the queue\'s interval and active jobs come with the page, also the interval an idle queue keeps', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'iv', 'q', 'a', { intervalMs: 40 });
    await enqueueJob(engine, 'iv', 'q', 'b', { intervalMs: 40 });
    const a = await engine.dequeue('iv');
    assert.equal(a.kind, 'job');
    assert.deepEqual(await engine.browse.jobPage('iv', 'q'), { jobs: [{ job_id: 'b', payload: { job: 'b' }, requeues_remaining: -1, requeue_limit: -1, cost: 1, attempts: 0 }], total: 1, intervalMs: 40, active: 1 });
    assert.equal(await engine.setInterval('iv', 'q', 1234), true);
    await engine.finish('iv', 'q', 'a');
    await engine.clearQueue('iv', 'q', false);
    const idle = await engine.browse.jobPage('iv', 'q');
    assert.deepEqual(idle, { jobs: [], total: 0, intervalMs: 1234, active: 0 });
  });

  test('records of both formats are read, payloads of any JSON type come back unchanged', async () => {
    const engine = await h.newEngine();
    await enqueueJob(engine, 'rec', 'q', 'new', { payload: 'text with | bars', requeueLimit: -1 });
    const keys = queueKeys(engine.options.keyPrefix, 'rec', 'q');
    // A record written before requeue_limit and cost were kept.
    await engine.redis.rpush(keys.queue, 'old');
    await engine.redis.hset(keys.jobs, 'old', '2|{"a":[1,2]}');
    const page = await engine.browse.jobPage('rec', 'q');
    assert.deepEqual(page.jobs, [
      { job_id: 'new', payload: 'text with | bars', requeues_remaining: -1, requeue_limit: -1, cost: 1, attempts: 0 },
      { job_id: 'old', payload: { a: [1, 2] }, requeues_remaining: 2, requeue_limit: 2, cost: 1, attempts: 0 },
    ]);
    assert.deepEqual(parseJobRecord('0|5|3|[1,"x|y"]'), { requeuesRemaining: 0, requeueLimit: 5, cost: 3, retries: 0, backoffMs: 0, backoffMaxMs: 0, payloadJson: '[1,"x|y"]' });
  });

  test('bad parameters are ValidationErrors naming the parameter', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ offset: '-1' }, 'offset'],
      [{ offset: 'x' }, 'offset'],
      [{ offset: '1e3' }, 'offset'],
      [{ offset: '9999999999999999' }, 'offset'],
      [{ limit: '0' }, 'limit'],
      [{ limit: '5000' }, 'limit'],
    ];
    for (const [options, field] of cases) {
      await assert.rejects(h.engine.browse.jobPage('t', 'q', options), (e: unknown) => e instanceof ValidationError && e.field === field, JSON.stringify(options));
    }
    await assert.rejects(h.engine.browse.jobPage('t', 'q q'), (e: unknown) => e instanceof ValidationError && e.field === 'queue_id');
  });
});
