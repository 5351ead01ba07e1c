// The V8 flags the primary gives its workers for memory (src/process/worker-v8.ts): workers run with
// them, the primary does not, and flags the operator set (command line or NODE_OPTIONS) win.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { COMPACT_EVERY_MS, COMPACT_TRIES, WORKER_V8_FLAGS, workerExecArgv } from '../../src/process/worker-v8.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer } from '../helpers/server.js';

const START_TIMEOUT_MS = 90_000;
const SLOW = { timeout: 300_000 };

function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

describe('workerExecArgv', () => {
  test('adds the worker flags before the primary own node arguments', () => {
    assert.deepEqual(workerExecArgv(['--import', 'tsx']), [...WORKER_V8_FLAGS, '--import', 'tsx']);
  });

  test('leaves out a flag the operator set, on the command line or in NODE_OPTIONS, in either spelling', () => {
    const argv = workerExecArgv(['--max_semi_space_size=16'], '--enable-source-maps --v8-pool-size=4');
    assert.ok(!argv.some((a) => a.startsWith('--max-semi-space-size')), argv.join(' '));
    assert.ok(!argv.some((a) => a.startsWith('--v8-pool-size')), argv.join(' '));
    assert.ok(argv.includes('--expose-gc'));
    assert.equal(argv.at(-1), '--max_semi_space_size=16');
  });
});

// A process like a worker just started: module loading grew the young generation to its maximum and
// left garbage behind. Prints the young generation's size (bytes) then, and once compactWhenQuiet's
// tries are over.
const AFTER_START_UP = `
  import { getHeapSpaceStatistics } from 'node:v8';
  import { compactWhenQuiet, COMPACT_EVERY_MS, COMPACT_TRIES } from './src/process/worker-v8.ts';
  const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
  let kept = [];
  for (let i = 0; i < 400000; i++) { kept.push({ i, text: 'x' + i }); if (kept.length > 5000) kept = []; }
  const grown = young();
  compactWhenQuiet();
  setTimeout(() => console.log(JSON.stringify({ grown, after: young() })), COMPACT_EVERY_MS * (COMPACT_TRIES + 1));
`;

describe('compactWhenQuiet', () => {
  test('an idle worker gives back the young generation its start-up grew', SLOW, async () => {
    const run = promisify(execFile);
    const { stdout } = await run(
      process.execPath,
      [...WORKER_V8_FLAGS, '--import', 'tsx', '--input-type=module', '-e', AFTER_START_UP],
      { cwd: new URL('../..', import.meta.url).pathname, timeout: COMPACT_EVERY_MS * (COMPACT_TRIES + 1) + 60_000 },
    );
    const { grown, after: afterCompact } = JSON.parse(stdout) as { grown: number; after: number };
    // 2 x 4 MiB semi-spaces at the start; V8 shrinks them to its smallest (2 x 1 MiB on 64-bit).
    assert.ok(grown >= 8 * 1024 * 1024, `the start-up did not grow the young generation: ${grown} bytes`);
    assert.ok(afterCompact <= grown / 4, `young generation ${grown} bytes after start-up, still ${afterCompact} after compacting`);
  });
});

describe('the running server', () => {
  let redis: RedisServerHandle;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  test('workers run with the flags, the primary without; the operator semi-space size wins', SLOW, async () => {
    const server = await startServer({ redisPort: redis.port, workers: 2, startTimeoutMs: START_TIMEOUT_MS });
    try {
      const workers = server.workerPids();
      assert.equal(workers.length, 2);
      for (const pid of workers) for (const flag of WORKER_V8_FLAGS) assert.ok(cmdline(pid).includes(flag), `worker ${pid}: ${cmdline(pid).join(' ')}`);
      for (const flag of WORKER_V8_FLAGS) assert.ok(!cmdline(server.pid).includes(flag));
      assert.equal((await server.api.post('/enqueue/sms/q1/', { job_id: 'a', interval: 0, payload: {} })).status, 201);
    } finally {
      await server.stop();
    }

    const tuned = await startServer({ redisPort: redis.port, workers: 1, nodeArgs: ['--max-semi-space-size=8'], startTimeoutMs: START_TIMEOUT_MS });
    try {
      const [pid] = tuned.workerPids();
      assert.ok(pid !== undefined);
      const args = cmdline(pid);
      assert.ok(args.includes('--max-semi-space-size=8'), args.join(' '));
      assert.ok(!args.includes('--max-semi-space-size=4'), args.join(' '));
      assert.ok(args.includes('--expose-gc'), args.join(' '));
    } finally {
      await tuned.stop();
    }
  });
});
