// What both killed-midway tests share: the queues they fill, the rounds of SIGKILLed runs, and the
// final check that every job moved exactly once, in order.
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';

import { queueKeys, typeKeys } from '../../src/engine/keys.js';
import { waitFor } from '../helpers/wait.js';
import { runMigrate, startMigrate } from './python-layout.js';

export const QUEUES = ['q0', 'q1', 'q2', 'q3'];
export const JOBS_PER_QUEUE = 5000;
const KILLS = 3;
export const idsOf = (queue: string): string[] => Array.from({ length: JOBS_PER_QUEUE }, (_, i) => `${queue}-${i}`);

export async function movedSoFar(target: Redis): Promise<number> {
  return Number((await target.hget(typeKeys('sharq_test', 'work').totals, 'queued')) ?? 0);
}

export async function killedRuns(args: string[], target: Redis, check: (round: number) => Promise<void>): Promise<void> {
  for (let round = 1; round <= KILLS; round++) {
    const before = await movedSoFar(target);
    const run = startMigrate([...args, '--step-jobs', '10']);
    await waitFor(async () => (await movedSoFar(target)) >= before + 2000 || run.child.exitCode !== null, {
      what: 'the migration to move 2000 more jobs',
      timeoutMs: 60_000,
    });
    assert.equal(run.child.exitCode, null, `round ${round}: still running when killed (${run.stderr()})`);
    run.child.kill('SIGKILL');
    await run.exited;
    await check(round);
  }
  const last = await runMigrate(args);
  assert.equal(last.code, 0, last.stderr);
}

export async function assertAllMovedOnce(source: Redis, target: Redis): Promise<void> {
  for (const queue of QUEUES) {
    const q = queueKeys('sharq_test', 'work', queue);
    assert.deepEqual(await target.lrange(q.queue, 0, -1), idsOf(queue), `${queue} in order, each once`);
    assert.equal(await target.hlen(q.jobs), JOBS_PER_QUEUE);
    assert.equal(await target.exists(q.migrating), 0, 'no journal left');
    assert.equal(await source.exists(`py:work:${queue}`), 0);
  }
  assert.equal(await movedSoFar(target), QUEUES.length * JOBS_PER_QUEUE);
  assert.equal(await source.hlen('py:payload'), 0);
}
