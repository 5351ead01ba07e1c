// Owned child processes: output, exit, stop with escalation, and waits that fail fast on an exit.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { descendantPids, isAlive, spawnChild, waitWhileRunning } from '../helpers/process.js';
import { waitFor, withDeadline } from '../helpers/wait.js';

const node = process.execPath;

describe('spawnChild', () => {
  test('keeps stdout and stderr apart and together, and resolves exited with the code', async () => {
    const child = spawnChild('echo', node, ['-e', "process.stdout.write('out'); process.stderr.write('err'); process.exit(3)"]);
    assert.equal(await child.exited, 3);
    assert.equal(child.hasExited(), true);
    assert.equal(child.stdout(), 'out');
    assert.equal(child.stderr(), 'err');
    assert.equal(child.output().length, 6);
  });

  test('stop() escalates to SIGKILL of the process and its children when SIGTERM is ignored', async () => {
    // A parent that ignores SIGTERM, with a child that ignores it too.
    const script = [
      "process.on('SIGTERM', () => {});",
      "const c = require('node:child_process').spawn(process.execPath, ['-e', \"process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)\"], { stdio: 'ignore' });",
      "console.log('child ' + c.pid);",
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const parent = spawnChild('stubborn', node, ['-e', script]);
    const grandchild = await waitWhileRunning(parent, () => Number(/child (\d+)/.exec(parent.stdout())?.[1]) || false, {
      what: 'the stubborn parent to start its child',
      timeoutMs: 30_000,
    });
    assert.deepEqual(descendantPids(parent.pid), [grandchild]);
    assert.equal(await parent.stop('SIGTERM', 300), 'SIGKILL');
    await waitFor(() => !isAlive(grandchild), { what: 'the grandchild to be killed', timeoutMs: 10_000 });
  });

  test('waitWhileRunning fails at once, with the output, when the child exits first', async () => {
    const child = spawnChild('quitter', node, ['-e', "console.error('cannot start'); process.exit(2)"]);
    const started = Date.now();
    await assert.rejects(
      waitWhileRunning(child, () => false, { what: 'a banner that never comes', timeoutMs: 60_000 }),
      /quitter exited \(2\) while waiting for a banner that never comes:\ncannot start/,
    );
    assert.ok(Date.now() - started < 30_000, 'not at the deadline');
  });
});

describe('withDeadline', () => {
  test('passes a result through and turns a hang into an error naming what hung', async () => {
    assert.equal(await withDeadline(Promise.resolve(7), 1000, 'seven'), 7);
    await assert.rejects(withDeadline(new Promise(() => {}), 20, 'a reply'), { message: 'timed out after 20ms waiting for a reply' });
  });
});
