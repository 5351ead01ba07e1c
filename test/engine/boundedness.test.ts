import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { luaDir } from '../../src/paths.js';
import { engineForSuite } from '../helpers/engine.js';

interface RedisCall {
  file: string;
  line: number;
  /** The command name, upper case, or undefined when it is not a string literal. */
  command: string | undefined;
  /** The whole argument list, comments removed. */
  args: string;
}

function luaFiles(): string[] {
  const top = readdirSync(luaDir).filter((f) => f.endsWith('.lua')).map((f) => path.join(luaDir, f));
  const include = path.join(luaDir, 'include');
  const included = readdirSync(include).filter((f) => f.endsWith('.lua')).map((f) => path.join(include, f));
  return [...top, ...included];
}

/** Lua source with comments blanked out (line numbers kept), strings left alone. */
function stripComments(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const ch = source[i] as string;
    if (ch === "'" || ch === '"') {
      const end = source.indexOf(ch, i + 1);
      const stop = end < 0 ? source.length : end + 1;
      out += source.slice(i, stop);
      i = stop;
    } else if (source.startsWith('--', i)) {
      const end = source.indexOf('\n', i);
      i = end < 0 ? source.length : end;
    } else {
      out += ch;
      i += 1;
    }
  }
  return out;
}

/** Every redis.call / redis.pcall in a Lua source, with its argument list (up to the matching parenthesis). */
function redisCalls(file: string, text: string): RedisCall[] {
  const source = stripComments(text);
  const calls: RedisCall[] = [];
  for (const match of source.matchAll(/redis\.p?call\s*\(/g)) {
    const open = (match.index ?? 0) + match[0].length;
    let depth = 1;
    let i = open;
    let quote: string | undefined;
    for (; i < source.length && depth > 0; i++) {
      const ch = source[i];
      if (quote !== undefined) {
        if (ch === quote) quote = undefined;
      } else if (ch === "'" || ch === '"') quote = ch;
      else if (ch === '(') depth += 1;
      else if (ch === ')') depth -= 1;
    }
    const args = source.slice(open, i - 1);
    const literal = /^\s*(['"])([A-Za-z]+)\1/.exec(args);
    calls.push({
      file,
      line: source.slice(0, match.index).split('\n').length,
      command: literal?.[2]?.toUpperCase(),
      args,
    });
  }
  return calls;
}

const UNBOUNDED = [
  'KEYS', 'SCAN', 'SMEMBERS', 'HGETALL', 'HKEYS', 'HVALS',
  'SUNION', 'SINTER', 'SDIFF', 'SUNIONSTORE', 'SINTERSTORE', 'SDIFFSTORE', 'FLUSHDB', 'FLUSHALL',
];
/**
 * Hashes with a fixed set of fields that only the scripts write, so reading them whole is bounded:
 * the type's state hash <tag>:limits (at most six fields: lua/include/lifecycle.lua, type_state).
 */
const FIXED_FIELD_HASHES = [/^\s*['"]HGETALL['"]\s*,\s*tag \.\. ':limits'\s*$/];
const RANGE_BY = ['ZRANGEBYSCORE', 'ZREVRANGEBYSCORE', 'ZRANGEBYLEX', 'ZREVRANGEBYLEX'];

/** What is unbounded in one Lua source; empty when every Redis call does bounded work. */
function unboundedCalls(file: string, text: string): string[] {
  const problems: string[] = [];
  for (const call of redisCalls(file, text)) {
    const where = `${call.file}:${call.line}`;
    if (call.command === undefined) {
      problems.push(`${where}: the command is not a string literal: ${call.args}`);
      continue;
    }
    if (UNBOUNDED.includes(call.command) && !FIXED_FIELD_HASHES.some((fixed) => fixed.test(call.args))) problems.push(`${where}: ${call.command} is unbounded`);
    if (RANGE_BY.includes(call.command) && !/['"]LIMIT['"]/i.test(call.args)) {
      problems.push(`${where}: ${call.command} without LIMIT`);
    }
    if (['ZRANGE', 'ZREVRANGE', 'LRANGE'].includes(call.command)) {
      // Only constant, small ranges (ZRANGE key 0 0, or '0' '0'): never to the end (-1) or up to a variable.
      const [start, stop] = call.args.split(',').slice(2, 4).map((part) => Number(part.trim().replace(/^(['"])(-?\d+)\1$/, '$2')));
      if (!Number.isInteger(start) || !Number.isInteger(stop) || (stop as number) < 0) {
        problems.push(`${where}: ${call.command} over an unbounded range: ${call.args}`);
      }
    }
    if (['HSCAN', 'SSCAN', 'ZSCAN'].includes(call.command) && !/['"]COUNT['"]/i.test(call.args)) {
      problems.push(`${where}: ${call.command} without COUNT`);
    }
  }
  return problems;
}

describe('bounded work per Redis call', () => {
  test('the Lua scripts (lua/*.lua, lua/include/*.lua) only use bounded commands', () => {
    const files = luaFiles();
    assert.ok(files.some((f) => f.endsWith('dequeue.lua')) && files.some((f) => f.endsWith('common.lua')));
    let calls = 0;
    const problems: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      calls += redisCalls(file, text).length;
      problems.push(...unboundedCalls(path.relative(luaDir, file), text));
    }
    assert.ok(calls > 20, `found ${calls} redis calls`);
    assert.deepEqual(problems, []);
  });

  test('the checker flags unbounded calls and ignores comments and KEYS[n]', () => {
    const bad = [
      "redis.call('KEYS', '*')",
      "redis.call('smembers', KEYS[1])",
      "redis.call(\"HGETALL\", KEYS[1])",
      "redis.call('HGETALL', tag .. ':queues')",
      "redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)",
      "redis.pcall('ZREVRANGEBYSCORE', KEYS[1], now, '-inf')",
      "redis.call('ZRANGE', KEYS[1], 0, -1)",
      "redis.call('ZRANGE', KEYS[1], '0', '-1')",
      "redis.call('LRANGE', KEYS[1], 0, n)",
      "redis.call('HSCAN', KEYS[1], '0')",
      'redis.call(cmd, KEYS[1])',
    ];
    for (const line of bad) {
      assert.equal(unboundedCalls('bad.lua', `local x = ${line}\n`).length, 1, line);
    }
    const good = [
      "-- redis.call('KEYS', '*') in a comment",
      "redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', tostring(f(1)), 'LIMIT', 0, 1)",
      "redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')",
      "redis.call('ZRANGE', KEYS[1], '0', '0', 'WITHSCORES')",
      "redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', 10)",
      "redis.call('GET', KEYS[1] .. ':x')",
      "redis.call('HGETALL', tag .. ':limits')",
    ];
    for (const line of good) assert.deepEqual(unboundedCalls('good.lua', `${line}\n`), [], line);
  });
});

describe('dequeue with many ready queues', () => {
  const h = engineForSuite();

  test('20k ready queues in one type: dequeue serves them in the order they became ready', async () => {
    const engine = await h.newEngine();
    const QUEUES = 20_000;
    const id = (i: number): string => `q${String(i).padStart(5, '0')}`;
    // One connection, many calls in flight: Redis runs them in order, so q00000 is ready first.
    const batch = 2000;
    for (let start = 0; start < QUEUES; start += batch) {
      await Promise.all(
        Array.from({ length: batch }, (_, k) =>
          engine.enqueue({ queueType: 'wide', queueId: id(start + k), jobId: 'j', intervalMs: 0, payload: start + k }),
        ),
      );
    }
    assert.deepEqual(await engine.reads.typeGauges('wide'), { queued: QUEUES, active: 0, readyQueues: QUEUES, queues: QUEUES, delayed: 0, deadLetters: 0, pausedQueues: 0, typePaused: 0 });

    for (let i = 0; i < 100; i++) {
      const job = await engine.dequeue('wide');
      assert.equal(job.kind === 'job' && job.queueId, id(i));
    }
    // The rest in bursts of concurrent calls (still one connection, so still in order).
    const rest: string[] = [];
    for (let left = QUEUES - 100; left > 0; left -= batch) {
      const jobs = await Promise.all(Array.from({ length: Math.min(batch, left) }, () => engine.dequeue('wide')));
      for (const job of jobs) rest.push(job.kind === 'job' ? job.queueId : 'empty');
    }
    assert.deepEqual(rest, Array.from({ length: QUEUES - 100 }, (_, i) => id(i + 100)));
    assert.deepEqual(await engine.dequeue('wide'), { kind: 'empty' });
    assert.deepEqual(await engine.reads.typeGauges('wide'), { queued: 0, active: QUEUES, readyQueues: 0, queues: QUEUES, delayed: 0, deadLetters: 0, pausedQueues: 0, typePaused: 0 });
  });
});
