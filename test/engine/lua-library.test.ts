// Scripts as Redis Functions libraries (src/engine/scripts/lua-library.ts, functions.ts), on a real Redis:
// every script loads, per-call state never leaks from one call into the next, the builder refuses
// what a library cannot keep, and a connection whose Redis refuses functions runs the scripts by EVALSHA.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';

import { scriptLibrary } from '../../src/engine/scripts/lua-library.js';
import { callFunction } from '../../src/engine/scripts/functions.js';
import { loadScriptSource } from '../../src/engine/scripts/runner.js';
import { luaDir } from '../../src/paths.js';
import { redisCli, startRedis, type RedisServerHandle } from '../helpers/redis.js';

const scripts = readdirSync(luaDir)
  .filter((f) => f.endsWith('.lua'))
  .map((f) => f.slice(0, -'.lua'.length));

/** A script shaped like ours: a constant, a state local a helper changes, and a body. */
const COUNTER = [
  '-- KEYS[1] any key',
  'local STEP = 1',
  'local seen = 0',
  'local function bump() seen = seen + STEP return seen end',
  'local key = KEYS[1]',
  'return { bump(), bump(), ARGV[1] }',
].join('\n');

describe('scripts as Redis Functions libraries', () => {
  let redis: RedisServerHandle;
  let client: Redis;
  before(async () => {
    redis = await startRedis();
    client = new Redis({ port: redis.port, lazyConnect: true });
    await client.connect();
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
  });

  test('every script of lua/ loads as a library; only the scripts that add jobs are refused at maxmemory', async () => {
    for (const name of scripts) {
      const library = scriptLibrary(name, loadScriptSource(name));
      assert.equal(await client.call('FUNCTION', 'LOAD', library.code), library.name, name);
    }
    const flags = async (name: string): Promise<unknown> => {
      const library = scriptLibrary(name, loadScriptSource(name)).name;
      // [[library_name, name, engine, LUA, functions, [[name, n, description, d, flags, [...]]]]]
      const [entry] = (await client.call('FUNCTION', 'LIST', 'LIBRARYNAME', library)) as [unknown[]];
      return ((entry[5] as unknown[][])[0] as unknown[])[5];
    };
    for (const name of ['enqueue', 'enqueue_batch', 'dead_replay', 'migrate_write']) {
      assert.deepEqual(await flags(name), [], name);
    }
    for (const name of ['dequeue', 'finish', 'finish_next', 'fail', 'requeue']) {
      assert.deepEqual(await flags(name), ['allow-oom'], name);
    }
  });

  test("a state local starts each call at its own initial value, as in a fresh EVAL; constants stay", async () => {
    const library = scriptLibrary('counter', COUNTER);
    await client.call('FUNCTION', 'LOAD', library.code);
    for (let call = 0; call < 3; call += 1) {
      assert.deepEqual(await client.fcall(library.name, 1, 'k', `call ${call}`), [1, 2, `call ${call}`]);
    }
    assert.deepEqual(await client.eval(COUNTER, 1, 'k', 'eval'), [1, 2, 'eval']);
  });

  test('a _MEMO table keeps what it learned across calls of a library, and starts empty in a fresh EVAL', async () => {
    const memo = [
      '-- KEYS[1] any key',
      'local PARSED_MEMO = { size = 0, of = {} }',
      'local function parsed(text)',
      '  local hit = PARSED_MEMO.of[text]',
      '  if hit then return hit, 1 end',
      '  PARSED_MEMO.of[text], PARSED_MEMO.size = tonumber(text), PARSED_MEMO.size + 1',
      '  return PARSED_MEMO.of[text], 0',
      'end',
      'local value, hit = parsed(ARGV[1])',
      'return { value, hit, PARSED_MEMO.size }',
    ].join('\n');
    const library = scriptLibrary('memo', memo);
    await client.call('FUNCTION', 'LOAD', library.code);
    assert.deepEqual(await client.fcall(library.name, 1, 'k', '7'), [7, 0, 1]);
    assert.deepEqual(await client.fcall(library.name, 1, 'k', '7'), [7, 1, 1], 'the second call finds it');
    assert.deepEqual(await client.fcall(library.name, 1, 'k', '8'), [8, 0, 2]);
    assert.deepEqual(await client.eval(memo, 1, 'k', '7'), [7, 0, 1], 'EVAL runs the prelude anew');
    assert.throws(() => scriptLibrary('bad', memo.replace(/PARSED_MEMO/g, 'PARSED')), /constant PARSED is assigned/);
  });

  test('the builder refuses a constant assigned later, and a helper that reads KEYS or ARGV', () => {
    const reassigned = COUNTER.replace('seen = seen + STEP', 'STEP = 2 seen = seen + STEP');
    assert.throws(() => scriptLibrary('bad', reassigned), /constant STEP is assigned/);
    assert.throws(() => scriptLibrary('bad', COUNTER.replace('seen + STEP', 'seen + #ARGV')), /names KEYS or ARGV/);
  });

  test('a library Redis lost (FUNCTION FLUSH) is loaded again by the next call, once for concurrent calls', async () => {
    const library = scriptLibrary('counter', COUNTER);
    await client.call('FUNCTION', 'FLUSH');
    const viaEval = (): Promise<unknown> => Promise.reject(new Error('EVAL must not be used'));
    const call = { library, numberOfKeys: 1, viaEval };
    const replies = await Promise.all([1, 2, 3].map((n) => callFunction(client, call, ['k', n])));
    assert.deepEqual(replies, [1, 2, 3].map((n) => [1, 2, String(n)]));
    assert.match(await redisCli(redis.port, 'FUNCTION', 'LIST'), new RegExp(library.name));
  });

  test('a user who may not load functions: the connection runs scripts by EVALSHA and says why once', async () => {
    await client.call('FUNCTION', 'FLUSH');
    await redisCli(redis.port, 'ACL', 'SETUSER', 'noload', 'on', 'nopass', '~*', '&*', '+@all', '-function');
    const user = new Redis({ port: redis.port, username: 'noload', password: 'x', lazyConnect: true });
    await user.connect();
    try {
      const library = scriptLibrary('counter', COUNTER);
      const reasons: string[] = [];
      let evals = 0;
      const viaEval = (...keysAndArgs: (string | number)[]): Promise<unknown> => {
        evals += 1;
        return user.eval(COUNTER, 1, ...keysAndArgs);
      };
      for (const n of [1, 2]) {
        const call = { library, numberOfKeys: 1, viaEval, onEval: (reason: string) => reasons.push(reason) };
        assert.deepEqual(await callFunction(user, call, ['k', n]), [1, 2, String(n)]);
      }
      assert.equal(evals, 2);
      assert.equal(reasons.length, 1);
      assert.match(reasons[0] as string, /NOPERM.*function\|load/);
    } finally {
      user.disconnect();
    }
  });
});
