// The requeue pass's scheduling (src/engine/requeue-pass.ts) against scripted step replies: how
// many calls it keeps in flight per node, that nodes run at once, that a full batch is followed
// at once, and how batches follow the call time. The script itself is tested on a real Redis in
// requeue.test.ts, requeue-batches.test.ts and cluster.test.ts.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { RequeueStep } from '../../src/engine/scripts/requeue.js';
import { BatchSizer, runRequeuePass, type RequeuePassPlan } from '../../src/engine/requeue-pass.js';

const PLAN: RequeuePassPlan = { maxBatch: 100, targetCallUs: 1000, lanesPerNode: 3, firstCallsPerNode: 8 };

interface Backlog {
  /** Expired jobs left per type. */
  left: Map<string, number>;
  /** Per node: calls in flight now and the most seen. */
  inFlight: Map<string, number>;
  maxInFlight: Map<string, number>;
  batches: number[];
}

/** A step over an in-memory backlog: each call takes up to `batch` jobs, answers after a tick, and took perJobUs a job. */
function fakeStep(backlog: Backlog, nodeOf: (type: string) => string, perJobUs = 5): (type: string, batch: number) => Promise<RequeueStep> {
  return async (type, batch) => {
    const node = nodeOf(type);
    const now = (backlog.inFlight.get(node) ?? 0) + 1;
    backlog.inFlight.set(node, now);
    backlog.maxInFlight.set(node, Math.max(backlog.maxInFlight.get(node) ?? 0, now));
    backlog.batches.push(batch);
    // Taken when the call "runs" (at once, like a script reading the active set itself).
    const left = backlog.left.get(type) ?? 0;
    const taken = Math.min(left, batch);
    backlog.left.set(type, left - taken);
    await new Promise((resolve) => setImmediate(resolve));
    backlog.inFlight.set(node, (backlog.inFlight.get(node) ?? 1) - 1);
    return { requeued: taken, discarded: 0, more: taken === batch, tookUs: 20 + taken * perJobUs };
  };
}

function backlogOf(jobs: Record<string, number>): Backlog {
  return { left: new Map(Object.entries(jobs)), inFlight: new Map(), maxInFlight: new Map(), batches: [] };
}

describe('requeue pass scheduling', () => {
  test('a storm in one type is called again at once, at most lanesPerNode calls in flight, until a short batch', async () => {
    const backlog = backlogOf({ storm: 1000, quiet: 0 });
    const counts = await runRequeuePass(['quiet', 'storm'], () => 'n', fakeStep(backlog, () => 'n'), PLAN, new Map());
    assert.equal(counts.get('storm')?.requeued, 1000);
    assert.equal(counts.get('quiet')?.calls, 1);
    assert.equal(backlog.left.get('storm'), 0);
    assert.equal(backlog.maxInFlight.get('n'), PLAN.lanesPerNode, 'the storm fills every lane, and no more');
  });

  test('first calls of many types go out firstCallsPerNode at a time, with batches that add up to lanesPerNode full ones', async () => {
    const types = Array.from({ length: 50 }, (_, i) => `t${i}`);
    const backlog = backlogOf(Object.fromEntries(types.map((t) => [t, 1])));
    const counts = await runRequeuePass(types, () => 'n', fakeStep(backlog, () => 'n'), PLAN, new Map());
    assert.equal([...counts.values()].reduce((sum, c) => sum + c.requeued, 0), 50);
    assert.equal(backlog.maxInFlight.get('n'), PLAN.firstCallsPerNode);
    const firstBatch = Math.max(2, Math.floor((PLAN.maxBatch * PLAN.lanesPerNode) / PLAN.firstCallsPerNode));
    assert.ok(backlog.batches.every((b) => b === firstBatch), `batches ${[...new Set(backlog.batches)].join(',')}`);
  });

  test('the nodes are worked on at the same time, each within its own lanes', async () => {
    const nodeOf = (type: string): string => type.slice(0, 2);
    const backlog = backlogOf({ n1storm: 2000, n2storm: 2000, n3storm: 2000 });
    const counts = await runRequeuePass(['n1storm', 'n2storm', 'n3storm'], nodeOf, fakeStep(backlog, nodeOf), PLAN, new Map());
    for (const type of ['n1storm', 'n2storm', 'n3storm']) assert.equal(counts.get(type)?.requeued, 2000);
    for (const node of ['n1', 'n2', 'n3']) assert.equal(backlog.maxInFlight.get(node), PLAN.lanesPerNode, node);
  });

  test('a failing call fails the pass', async () => {
    const step = async (): Promise<RequeueStep> => {
      throw new Error('NOSCRIPT or worse');
    };
    await assert.rejects(runRequeuePass(['a', 'b'], () => 'n', step, PLAN, new Map()), /NOSCRIPT or worse/);
  });

  test('batches follow the call time: dear jobs get smaller batches, a lone stall does not shrink them for good', () => {
    const sizer = new BatchSizer(PLAN);
    assert.equal(sizer.batch, PLAN.maxBatch, 'nothing learned yet: the largest batch');
    sizer.observe(100, 4000, true); // 40 us a job
    assert.equal(sizer.batch, 25);
    sizer.observe(25, 250, true); // 10 us a job: follows at once
    assert.equal(sizer.batch, 100);
    sizer.observe(100, 50_000, true); // a stall: 500 us a job
    assert.ok(sizer.batch >= 90, `after one stall: ${sizer.batch}`);
    sizer.observe(3, 30_000, false); // too few jobs to say anything
    assert.ok(sizer.batch >= 90);

    const slow = new BatchSizer(PLAN);
    slow.observe(2, 1000, true); // 500 us a job from the start: batches of 2
    assert.equal(slow.batch, 2);
    slow.observe(2, 20, true); // a full batch of 2 still teaches: cheap again
    assert.equal(slow.batch, 100);
  });
});
