import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { Redis } from 'ioredis';

import type { QueueEngine } from '../../src/engine/engine.js';
import { wakeChannel } from '../../src/engine/keys.js';
import { enqueueJob, pollDequeue, startEngine, waitForExpiry, type EngineHarness } from '../helpers/engine.js';
import { waitFor } from '../helpers/wait.js';

/** Every wake message of one type, in arrival order (sharded pub/sub, as the server listens). */
async function listen(h: EngineHarness, engine: QueueEngine, type: string): Promise<{ messages: string[]; sub: Redis }> {
  const sub = await h.connect();
  const channel = wakeChannel(engine.options.keyPrefix, type);
  const messages: string[] = [];
  sub.on('smessage', (ch: string, message: string) => {
    if (ch === channel) messages.push(message);
  });
  await sub.ssubscribe(channel);
  return { messages, sub };
}

/** A marker message published after the calls under test: every earlier message has arrived. */
async function settle(h: EngineHarness, engine: QueueEngine, type: string, messages: string[]): Promise<string[]> {
  await h.redis.spublish(wakeChannel(engine.options.keyPrefix, type), 'marker');
  await waitFor(() => messages.includes('marker'), { what: 'the marker message' });
  return messages.splice(0).filter((m) => m !== 'marker');
}

describe('signal_ready: scripts announce ready queues on <tag>:wake', () => {
  let h: EngineHarness;
  before(async () => {
    h = await startEngine({ jobExpireIntervalMs: 100 });
  });
  after(async () => {
    await h?.stop();
  });

  test('enqueue into an empty queue signals, into a busy one does not; a batch signals once', async () => {
    const engine = await h.newEngine();
    const { messages } = await listen(h, engine, 'sms');
    await enqueueJob(engine, 'sms', 'q', 'a');
    assert.deepEqual(await settle(h, engine, 'sms', messages), ['0'], 'a new queue is ready now');
    await enqueueJob(engine, 'sms', 'q', 'b');
    assert.deepEqual(await settle(h, engine, 'sms', messages), [], 'the queue was ready already');
    await engine.batch.enqueue(
      'sms',
      Array.from({ length: 30 }, (_, i) => ({ queueId: `b${i}`, jobId: 'x', intervalMs: 0, payload: 1 })),
    );
    assert.deepEqual(await settle(h, engine, 'sms', messages), ['0'], '30 new queues, one message');
  });

  test('a rate-limited refill signals its delay; an interval cut signals the earlier time', async () => {
    const engine = await h.newEngine();
    const { messages } = await listen(h, engine, 'sms');
    await enqueueJob(engine, 'sms', 'q', 'a', { intervalMs: 30_000 });
    await pollDequeue(engine, 'sms');
    await engine.finish('sms', 'q', 'a');
    // Through the marker, not splice(): the first enqueue's message can arrive after the calls that followed it.
    await settle(h, engine, 'sms', messages);
    await enqueueJob(engine, 'sms', 'q', 'b', { intervalMs: 30_000 });
    const [delay] = await settle(h, engine, 'sms', messages);
    assert.ok(Number(delay) > 25_000 && Number(delay) <= 30_000, `delay ${delay}`);
    assert.equal(await engine.setInterval('sms', 'q', 0), true);
    assert.deepEqual(await settle(h, engine, 'sms', messages), ['0'], 'ready at once under the new interval');
  });

  test('a requeue signals', async () => {
    const engine = await h.newEngine();
    const { messages } = await listen(h, engine, 'sms');
    await enqueueJob(engine, 'sms', 'q', 'a');
    await pollDequeue(engine, 'sms');
    await settle(h, engine, 'sms', messages);
    await waitForExpiry(engine, 'sms');
    assert.equal((await engine.requeueType('sms')).requeued, 1);
    assert.deepEqual(await settle(h, engine, 'sms', messages), ['0']);
  });
});
