import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { BATCH_CHUNK, type BatchEnqueueJob } from '../../src/engine/batch.js';
import { activeJobs, dequeuedAtUs, queuedIds, startEngine, type EngineHarness } from '../helpers/engine.js';

function job(queueId: string, jobId: string, extra: Partial<BatchEnqueueJob> = {}): BatchEnqueueJob {
  return { queueId, jobId, intervalMs: 0, payload: { job: jobId }, ...extra };
}

describe('batch scripts (SPEC 5.2)', { concurrency: true }, () => {
  let h: EngineHarness;
  before(async () => {
    h = await startEngine();
  });
  after(async () => {
    await h?.stop();
  });

  test('enqueue: one result per job in order, per-job failures, nothing written for a bad job', async () => {
    const engine = await h.newEngine();
    const batch = engine.batch;
    await engine.enqueue({ queueType: 't', queueId: 'full', jobId: 'f1', intervalMs: 0, payload: 1 });
    const results = await batch.enqueue('t', [
      job('q1', 'a'),
      job('q1', 'bad', { intervalMs: -1 }),
      job('q1', 'a'),
      job('full', 'f2', { maxQueuedLength: 1 }),
      job('q2', 'c', { cost: 0 }),
      job('q2', 'd', { queueId: 'no/slash' }),
      job('q2', 'e'),
    ]);
    assert.deepEqual(
      results.map((r) => (r.kind === 'invalid' ? `invalid:${r.field}` : `${r.kind}:${r.lengthBefore}`)),
      ['queued:0', 'invalid:interval', 'duplicate:1', 'rejected:1', 'invalid:cost', 'invalid:queue_id', 'queued:0'],
    );
    assert.deepEqual(await queuedIds(engine, 't', 'q1'), ['a']);
    assert.deepEqual(await queuedIds(engine, 't', 'q2'), ['e']);
    assert.ok((await engine.queueTypes()).includes('t'), 'the type is registered');
  });

  test('FIFO within a batch, and a batch larger than one script call', async () => {
    const engine = await h.newEngine();
    const batch = engine.batch;
    const ids = Array.from({ length: BATCH_CHUNK * 2 + 17 }, (_, i) => `j${i}`);
    const results = await batch.enqueue('t', ids.map((id) => job('q', id)));
    assert.ok(results.every((r) => r.kind === 'queued'));
    assert.deepEqual(await queuedIds(engine, 't', 'q'), ids);
    const out = await batch.dequeue('t', ids.length + 5);
    assert.deepEqual(out.jobs.map((j) => j.jobId), ids, 'one queue with interval 0 gives all its jobs in order');
    assert.equal(out.nextReadyInMs, undefined, 'nothing left queued');
    assert.equal(out.jobs.at(-1)?.queueLength, 0);
    assert.equal(out.jobs[0]?.payloadJson, '{"job":"j0"}');
  });

  test('dequeue count: at most one job per rate-limited queue per call, on Redis time', async () => {
    const engine = await h.newEngine();
    const batch = engine.batch;
    const jobs: BatchEnqueueJob[] = [];
    for (const q of ['r1', 'r2', 'r3']) for (let i = 0; i < 3; i++) jobs.push(job(q, `${q}-${i}`, { intervalMs: 60_000 }));
    for (let i = 0; i < 4; i++) jobs.push(job('free', `free-${i}`));
    await batch.enqueue('t', jobs);

    const first = await batch.dequeue('t', 100);
    const byQueue = new Map<string, string[]>();
    for (const j of first.jobs) byQueue.set(j.queueId, [...(byQueue.get(j.queueId) ?? []), j.jobId]);
    assert.deepEqual(byQueue.get('r1'), ['r1-0']);
    assert.deepEqual(byQueue.get('r2'), ['r2-0']);
    assert.deepEqual(byQueue.get('r3'), ['r3-0']);
    assert.deepEqual(byQueue.get('free'), ['free-0', 'free-1', 'free-2', 'free-3']);
    assert.ok(first.nextReadyInMs !== undefined && first.nextReadyInMs > 50_000, `next ready in ${first.nextReadyInMs} ms`);

    const second = await batch.dequeue('t', 100);
    assert.deepEqual(second.jobs, [], 'the limited queues wait their interval');
    assert.ok(second.nextReadyInMs !== undefined && second.nextReadyInMs > 50_000);
    assert.equal((await activeJobs(engine, 't')).size, 7);
  });

  test('dequeue count honours cost', async () => {
    const engine = await h.newEngine();
    const batch = engine.batch;
    await batch.enqueue('t', [job('q', 'a', { intervalMs: 1000, cost: 4 }), job('q', 'b', { intervalMs: 1000 })]);
    const out = await batch.dequeue('t', 10);
    assert.deepEqual(out.jobs.map((j) => j.jobId), ['a']);
    assert.ok(out.nextReadyInMs !== undefined && out.nextReadyInMs > 3000 && out.nextReadyInMs <= 4000, `${out.nextReadyInMs}`);
    const at = await dequeuedAtUs(engine, 't', 'q', 'a');
    assert.ok(at > 0);
  });

  test('a batch counts each job in the type total and the per-minute stats, as single calls do', async () => {
    const engine = await h.newEngine();
    const batch = engine.batch;
    const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);
    await batch.enqueue('t', [job('q1', 'a'), job('q1', 'b'), job('q2', 'c'), job('q1', 'a'), job('q3', 'd')]);
    const reads = engine.reads;
    assert.equal((await reads.typeGauges('t')).queued, 4, 'the duplicate is not counted');
    assert.equal(sum((await reads.queueMetrics('t', 'q1')).enqueueCounts), 2);
    assert.equal(sum((await reads.queueMetrics('t', 'q3')).enqueueCounts), 1);
    assert.equal(sum((await reads.globalMetrics()).enqueueCounts), 4);
    await batch.dequeue('t', 3);
    assert.equal((await reads.typeGauges('t')).queued, 1);
    // Oldest ready first: a, then c and d (q1 is ready again only from the dequeue's time on).
    assert.equal(sum((await reads.queueMetrics('t', 'q1')).dequeueCounts), 1);
    assert.equal(sum((await reads.queueMetrics('t', 'q3')).dequeueCounts), 1);
    assert.equal(sum((await reads.globalMetrics()).dequeueCounts), 3);
  });

  test('finish: results in order; not active and invalid jobs fail alone', async () => {
    const engine = await h.newEngine();
    const batch = engine.batch;
    await batch.enqueue('t', [job('q', 'a'), job('q', 'b'), job('q', 'c')]);
    const out = await batch.dequeue('t', 2);
    assert.deepEqual(out.jobs.map((j) => j.jobId), ['a', 'b']);
    assert.equal(out.nextReadyInMs, undefined, 'all asked for came out');
    const results = await batch.finish('t', [
      { queueId: 'q', jobId: 'a' },
      { queueId: 'q', jobId: 'c' },
      { queueId: 'q', jobId: 'a' },
      { queueId: 'q', jobId: 'b' },
      { queueId: '', jobId: 'b' },
    ]);
    assert.deepEqual(results.slice(0, 4), [true, false, false, true]);
    assert.equal((results[4] as { field: string }).field, 'queue_id');
    assert.equal((await activeJobs(engine, 't')).size, 0);
    assert.deepEqual(await queuedIds(engine, 't', 'q'), ['c']);
  });
});
