import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { pruneUnusedFunctions, withoutComments } from '../../src/engine/scripts/lua-prune.js';
import { loadScriptSource } from '../../src/engine/scripts/runner.js';

const functionNames = (source: string): string[] => [...source.matchAll(/^local function (\w+)/gm)].map((m) => m[1] as string);

describe('pruning the include functions a script does not use', () => {
  test('keeps what the body calls, directly or through kept functions, and drops the rest', () => {
    const source = [
      'local LIMIT = 3',
      'local function key_of(tag) return tag .. ":k" end',
      'local function unused_key(tag) return tag .. ":u" end',
      'local function helper(x)',
      '  return x + LIMIT',
      'end',
      '-- not_called() is only mentioned in this comment',
      'local function not_called()',
      "  return redis.call('GET', 'x')",
      'end',
      'local function top(tag)',
      '  return helper(1), key_of(tag)',
      'end',
      "return top('t')",
    ].join('\n');
    const pruned = pruneUnusedFunctions(source);
    assert.deepEqual(functionNames(pruned), ['key_of', 'helper', 'top']);
    assert.match(pruned, /^local LIMIT = 3$/m);
    assert.match(pruned, /^-- not_called\(\) is only mentioned in this comment$/m);
  });

  test("comments go, a '--' inside a string stays", () => {
    assert.equal(withoutComments("local a = '--x' -- f()\nlocal b = \"it's -- \\\" f\" -- g()"), "local a = '--x' \nlocal b = \"it's -- \\\" f\" ");
  });

  test('a function without its closing end line is an error at load time', () => {
    assert.throws(() => pruneUnusedFunctions('local function f()\n  return 1\n  end\nreturn f()'), /no closing 'end'/);
  });

  test('finish keeps only the helpers of finish_job', () => {
    const names = functionNames(loadScriptSource('finish'));
    assert.ok(names.includes('finish_job') && names.includes('forget_queue'));
    assert.ok(!names.includes('promote_due') && !names.includes('enqueue_job') && !names.includes('dequeue_job'), names.join(' '));
  });
});
