import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { QueueEngine } from '../../src/engine/engine.js';
import { createRedis, type RedisClient } from '../../src/redis/client.js';
import { DEFAULT_ENGINE_OPTIONS } from '../helpers/engine.js';
import { startRedis, tcpRedisSection, type RedisServerHandle } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

describe('health', () => {
  let server: RedisServerHandle;
  let client: RedisClient;
  let engine: QueueEngine;

  before(async () => {
    server = await startRedis();
    // The production connection factory: no offline queue, so an outage fails fast.
    client = createRedis(tcpRedisSection(server, 'health'), { connectionName: 'health-test', commandTimeoutMs: 1000 });
    await client.connect();
    engine = new QueueEngine(client, { ...DEFAULT_ENGINE_OPTIONS, keyPrefix: 'health' });
  });
  after(async () => {
    client?.disconnect();
    await server?.stop();
  });

  test('resolves on a live Redis and proves it accepts writes', async () => {
    await engine.health();
    assert.equal(await client.exists(engine.keys.deepStatus), 1);
    const ttl = await client.pttl(engine.keys.deepStatus);
    assert.ok(ttl > 0, `the deep-status key expires (pttl ${ttl})`);
  });

  test('rejects while Redis is down (crash), resolves again once it is back', async () => {
    await server.kill();
    await assert.rejects(engine.health());
    await assert.rejects(engine.dequeue('sms'), 'engine calls fail too, rather than hang');
    await server.restart();
    await waitForHealthy();
    // Scripts are gone after a restart (no persistence): the engine reloads them.
    assert.equal((await engine.enqueue({ queueType: 'sms', queueId: 'q', jobId: 'j', intervalMs: 0, payload: 1 })).kind, 'queued');
    assert.equal((await engine.dequeue('sms')).kind, 'job');
  });

  test('rejects while Redis is stopped (clean shutdown), resolves again once it is back', async () => {
    await server.stop();
    await assert.rejects(engine.health());
    await assert.rejects(engine.health(), 'still rejecting on a second try');
    // Started again so that the client disconnects from a live server at the end.
    await server.restart();
    await waitForHealthy();
  });

  async function waitForHealthy(): Promise<void> {
    await waitFor(
      async () => {
        await engine.health();
        return true;
      },
      { what: 'health() to resolve after Redis restarted', timeoutMs: 10_000, intervalMs: 100 },
    );
  }
});
