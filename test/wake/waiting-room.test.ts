// The waiting room on a real Redis (the batch engine and the wake subscription the server uses):
// oldest waiter first, one job per wake, a departed waiter's job goes to the next, one Redis call
// per wake rather than one per waiter.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { BatchOperations } from '../../src/engine/batch.js';
import type { QueueEngine } from '../../src/engine/engine.js';
import type { DequeuedJob } from '../../src/engine/engine.js';
import { WakeSubscriber } from '../../src/wake/subscriber.js';
import { WaitingRoom, type TakeResult } from '../../src/wake/waiting-room.js';
import { enqueueJob, startEngine, type EngineHarness } from '../helpers/engine.js';
import { waitFor } from '../helpers/wait.js';

interface Room {
  room: WaitingRoom;
  engine: QueueEngine;
  batch: BatchOperations;
  /** Dequeue script calls made by the room. */
  takes: () => number;
  close(): Promise<void>;
}

async function openRoom(h: EngineHarness, take?: (batch: BatchOperations, type: string, count: number) => Promise<TakeResult>): Promise<Room> {
  const engine = await h.newEngine();
  const batch = engine.batch;
  let takes = 0;
  const subscriber = new WakeSubscriber({
    keyPrefix: engine.options.keyPrefix,
    connection: await h.connect(),
    onWake: (type, delayMs) => room.wake(type, delayMs),
    onReconnect: () => room.wakeAll(),
  });
  const room: WaitingRoom = new WaitingRoom({
    take: (type, count) => {
      takes += 1;
      return take ? take(batch, type, count) : batch.dequeue(type, count);
    },
    subscribe: (type) => subscriber.subscribe(type),
  });
  return { room, engine, batch, takes: () => takes, close: async () => room.close() };
}

function waitFrom(room: WaitingRoom, queueType: string, waitMs = 30_000, count = 1) {
  const controller = new AbortController();
  const jobs = room.wait({ queueType, count, waitMs, signal: controller.signal });
  return { jobs, leave: () => controller.abort() };
}

describe('WaitingRoom', { concurrency: true }, () => {
  let h: EngineHarness;
  before(async () => {
    h = await startEngine();
  });
  after(async () => {
    await h?.stop();
  });

  test('waiters are served oldest first, one job each, with one take per job', async () => {
    const r = await openRoom(h);
    const waiters = Array.from({ length: 5 }, () => waitFrom(r.room, 't'));
    await waitFor(() => r.room.waiting('t') === 5, { what: 'five waiters' });
    const order: number[] = [];
    waiters.forEach((w, i) => void w.jobs.then(() => order.push(i)));
    const takesBefore = r.takes();
    for (let i = 0; i < 5; i++) {
      await enqueueJob(r.engine, 't', `q${i}`, `j${i}`);
      await waitFor(() => order.length === i + 1, { what: `waiter ${i} to be served` });
    }
    assert.deepEqual(order, [0, 1, 2, 3, 4], 'oldest first');
    const got = await Promise.all(waiters.map((w) => w.jobs));
    assert.deepEqual(got.map((jobs) => jobs.map((j) => j.jobId)), [['j0'], ['j1'], ['j2'], ['j3'], ['j4']]);
    // Each wake: one take that serves the head, one that finds nothing (at most a few more if wake-ups overlap).
    assert.ok(r.takes() - takesBefore <= 5 * 3, `${r.takes() - takesBefore} takes for 5 jobs and 5 waiters`);
    await r.close();
  });

  test('a waiter that left is skipped; jobs taken while its client left go to the next waiter', async () => {
    let release: () => void = () => undefined;
    let slow = false;
    let held = false;
    const r = await openRoom(h, async (batch, type, count) => {
      const result = await batch.dequeue(type, count);
      // Hold the first non-empty take until the test lets it go (the head leaves meanwhile).
      if (slow && result.jobs.length > 0) {
        await new Promise<void>((resolve) => {
          release = resolve;
          held = true;
        });
      }
      return result;
    });
    const first = waitFrom(r.room, 't');
    const second = waitFrom(r.room, 't');
    await waitFor(() => r.room.waiting('t') === 2, { what: 'two waiters' });
    slow = true;
    await enqueueJob(r.engine, 't', 'q', 'j1');
    await waitFor(() => held, { what: 'the take to hold' });
    first.leave();
    assert.deepEqual(await first.jobs, [], 'the waiter that left gets nothing');
    slow = false;
    release();
    const jobs: DequeuedJob[] = await second.jobs;
    assert.deepEqual(jobs.map((j) => j.jobId), ['j1'], 'the job went to the next waiter');
    await r.close();
  });

  test('close answers every waiter with no job at once, and later waits do not wait', async () => {
    const r = await openRoom(h);
    const waiters = Array.from({ length: 3 }, () => waitFrom(r.room, 'c'));
    await waitFor(() => r.room.waiting('c') === 3, { what: 'three waiters' });
    r.room.close();
    assert.deepEqual(await Promise.all(waiters.map((w) => w.jobs)), [[], [], []]);
    assert.deepEqual(await waitFrom(r.room, 'c').jobs, []);
    assert.equal(r.room.waiting('c'), 0);
  });

  test('the wait runs out with no job', async () => {
    const r = await openRoom(h);
    const started = Date.now();
    assert.deepEqual(await waitFrom(r.room, 'w', 300).jobs, []);
    assert.ok(Date.now() - started >= 290);
    assert.equal(r.room.waiting('w'), 0);
    await r.close();
  });
});
