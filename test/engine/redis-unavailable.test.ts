// The one rule for "Redis cannot serve now" (503, not 500), checked against errors a real Redis
// and a real ioredis connection produce.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Redis } from 'ioredis';

import { createRedis, isRedisUnavailable, type RedisClient } from '../../src/redis/client.js';
import { startRedis, tcpRedisSection, type RedisServerHandle } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

async function errorOf(work: Promise<unknown>): Promise<Error> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof Error);
    return error;
  }
  throw new Error('expected the command to fail');
}

describe('isRedisUnavailable', () => {
  let server: RedisServerHandle;
  let redis: RedisClient;
  before(async () => {
    server = await startRedis();
    // The production connection factory, so the errors are the ones the server meets.
    redis = createRedis(tcpRedisSection(server, 'unavailable'), { connectionName: 'unavailable-test', commandTimeoutMs: 5000 });
    await redis.connect();
  });
  after(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  test('a pipeline cut off by its connection closing is unavailability', async () => {
    const killer = new Redis({ host: server.host, port: server.port });
    try {
      const id = await redis.client('ID');
      // Our WAIT pipeline's shape: a first command answered, then a blocking one in flight when the
      // connection closes. ioredis cannot safely resend such a pipeline, so it aborts it.
      const inFlight = redis.pipeline().exists('unavailable:slot').blpop('unavailable:nothing', 3).exec();
      await waitFor(async () => String(await killer.client('LIST')).includes('cmd=blpop'), { what: 'the BLPOP to block' });
      await killer.client('KILL', 'ID', String(id));
      // exec() resolves with one [error, reply] pair per command.
      const [, [error] = [null]] = (await inFlight) ?? [];
      assert.ok(error instanceof Error, `the blocked command failed: ${String(error)}`);
      assert.ok(isRedisUnavailable(error), `${error.name}: ${error.message}`);
    } finally {
      killer.disconnect();
    }
    await waitFor(() => redis.status === 'ready', { what: 'the connection to come back' });
  });

  test('refusals are unavailability; a script bug is not', async () => {
    await redis.config('SET', 'maxmemory', '1');
    try {
      const oom = await errorOf(redis.set('k', 'v'));
      assert.ok(isRedisUnavailable(oom), oom.message);
    } finally {
      await redis.config('SET', 'maxmemory', '0');
    }
    const bug = await errorOf(redis.eval('return redis.call("NOSUCHCOMMAND")', 0));
    assert.equal(isRedisUnavailable(bug), false, bug.message);
    for (const reply of ['UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)', 'READONLY You can\'t write against a read only replica.']) {
      assert.ok(isRedisUnavailable(new Error(reply)), reply);
    }
  });
});
