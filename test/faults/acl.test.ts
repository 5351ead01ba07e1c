// A Redis ACL user limited to the key prefix, proven on a real redis-server whose default user is
// off: the server works with only those keys, a prefix outside them gets a clear 503 (never a 500),
// and a wrong password stops start-up with a clear message.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { redisCli, startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { request } from '../helpers/fetch.js';

const execFileAsync = promisify(execFile);
const PREFIX = 'sharq_acl';

describe('Redis ACL user limited to the key prefix', () => {
  let redis: RedisServerHandle;
  let server: ServerHandle;
  const admin = async (...args: string[]): Promise<string> => {
    const { stdout } = await execFileAsync('redis-cli', ['-p', String(redis.port), '--user', 'admin', '--pass', 'admin-pw', '--no-auth-warning', ...args]);
    return stdout.trim();
  };

  before(async () => {
    redis = await startRedis();
    await redisCli(redis.port, 'acl', 'setuser', 'admin', 'on', '>admin-pw', '~*', '&*', '+@all');
    // Every command but the dangerous ones (INFO is needed by the client's ready check), on the
    // prefix's keys and channels only.
    await redisCli(redis.port, 'acl', 'setuser', 'sharq', 'on', '>sharq-pw', 'resetkeys', `~${PREFIX}:*`, 'resetchannels', `&${PREFIX}:*`, '+@all', '-@dangerous', '+info');
    await redisCli(redis.port, 'acl', 'setuser', 'default', 'off');
    server = await startServer({
      redisPort: redis.port,
      workers: 2,
      config: { redis: { key_prefix: PREFIX, username: 'sharq', password: 'sharq-pw' } },
    });
  });
  after(async () => {
    await server?.stop();
    await redis?.stop();
  });

  test('the default user is off', async () => {
    assert.match(await redisCli(redis.port, 'ping'), /NOAUTH|NOPERM|WRONGPASS|AUTH/);
  });

  test('the whole job cycle, requeue and leader lock work within the prefix', async () => {
    assert.equal((await request(`${server.url}/deepstatus/`)).status, 200);
    assert.equal((await request(`${server.url}/enqueue/acl/q/`, { body: { job_id: 'j1', interval: 0, payload: 1 } })).status, 201);
    assert.equal((await request(`${server.url}/dequeue/acl/`)).status, 200);
    assert.equal((await request(`${server.url}/finish/acl/q/j1/`, { method: 'POST' })).status, 200);
    assert.equal((await request(`${server.url}/metrics/`)).status, 200);
    assert.equal((await request(`${server.url}/metrics/acl/q/`)).status, 200);
    assert.match(await admin('get', `${PREFIX}:leader`), /:\d+:/);
    // Every key the server wrote is inside the prefix (the ACL would have refused others).
    const keys = (await admin('--scan')).split('\n').filter(Boolean);
    assert.ok(keys.length > 0);
    assert.deepEqual(keys.filter((k) => !k.startsWith(`${PREFIX}:`)), []);
  });

  test('a key_prefix outside the ACL: 503 naming NOPERM, never a 500', async () => {
    const outside = await startServer({
      redisPort: redis.port,
      workers: 1,
      config: { redis: { key_prefix: 'elsewhere', username: 'sharq', password: 'sharq-pw' } },
    });
    try {
      for (const call of [
        { path: '/enqueue/acl/q/', body: { job_id: 'x', interval: 0, payload: 1 } },
        { path: '/dequeue/acl/' },
        { path: '/deepstatus/' },
      ]) {
        const res = await request(`${outside.url}${call.path}`, { body: call.body });
        assert.equal(res.status, 503, `${call.path}: ${res.text}`);
        assert.match((res.body as { message: string }).message, /NOPERM|ACL/);
      }
    } finally {
      await outside.stop();
    }
  });

  test('a wrong password stops start-up with a clear message', async () => {
    const wrong = await startServer({
      redisPort: redis.port,
      workers: 1,
      config: { redis: { key_prefix: PREFIX, username: 'sharq', password: 'not-it' }, 'sharq-server': { redis_startup_timeout: '1500' } },
      noWait: true,
    });
    assert.equal(await wrong.exited, 1);
    const output = wrong.stderr() + wrong.stdout();
    assert.match(output, /WRONGPASS/);
    assert.ok(!output.includes('not-it'), 'the password is not printed');
  });
});
