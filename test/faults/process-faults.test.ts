// Process faults on the real CLI: the respawn back-off is for crash loops only (a worker that had
// served a while is replaced at once), and an uncaught exception is logged as one JSON line with the
// stack before the worker exits and is replaced.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { repoRoot, startServer, type ServerHandle } from '../helpers/server.js';
import { request } from '../helpers/fetch.js';
import { isAlive } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';

interface LogLine {
  message: string;
  pid: number;
  level: string;
  restartInMs?: number;
  servedMs?: number;
  stack?: string;
}

function logLines(server: ServerHandle): LogLine[] {
  return server
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Whether the process catches SIGUSR2 (bit 12 of SigCgt in /proc/<pid>/status). */
function handlesSigusr2(pid: number): boolean {
  const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0';
  return (BigInt(`0x${caught}`) & (1n << 11n)) !== 0n;
}

const deaths = (server: ServerHandle): LogLine[] => logLines(server).filter((l) => l.message.startsWith('worker died'));

/**
 * Waits for `count` "worker died" lines. The primary writes each before it forks the replacement, but
 * the test reads them through a pipe: the new worker's pid can show before the line does.
 */
async function deathsLogged(server: ServerHandle, count: number): Promise<LogLine[]> {
  return waitFor(() => (deaths(server).length >= count ? deaths(server) : false), { what: `${count} "worker died" lines`, timeoutMs: 10_000 });
}

/**
 * Waits until every dead worker's replacement has listened (or failed to start): only a listening
 * worker has its uncaught-exception handler, so the next test may pick any of them.
 */
async function replacementsSettled(server: ServerHandle): Promise<void> {
  await waitFor(
    () => {
      const lines = logLines(server);
      const settled = lines.filter((l) => l.message === 'replacement worker listening' || l.message === 'replacement worker failed to start');
      return settled.length >= deaths(server).length;
    },
    { what: 'every replacement worker to listen', timeoutMs: 60_000 },
  );
}

/** Waits until the server has `count` workers again, none of them in `gone`; returns their pids. */
async function workersReplaced(server: ServerHandle, gone: number[], count: number): Promise<number[]> {
  return waitFor(
    async () => {
      const pids = await server.workerPids();
      return pids.length === count && pids.every((p) => !gone.includes(p)) ? pids : false;
    },
    { what: `${count} workers, none of ${gone.join(',')}`, timeoutMs: 60_000 },
  );
}

describe('process faults', () => {
  let redis: RedisServerHandle;
  let server: ServerHandle;
  /** When every worker listened (the banner): they have served at least this long since. */
  let upAt = 0;
  const hook = pathToFileURL(path.join(repoRoot, 'test', 'faults', 'crash-hook.mjs')).href;
  before(async () => {
    redis = await startRedis();
    server = await startServer({ redisPort: redis.port, workers: 2, startTimeoutMs: 90_000, env: { NODE_OPTIONS: `--import=${hook}` } });
    upAt = Date.now();
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  test('a worker that served a while is replaced at once; only young deaths back off', async () => {
    const [first, second] = await server.workerPids();
    assert.ok(first !== undefined && second !== undefined);
    // Both have served more than 5 s (HEALTHY_AFTER_MS) once this wait is over: they listened before upAt.
    await waitFor(() => deaths(server).length === 0 && Date.now() - upAt >= 6000, { what: 'the workers to serve 6 s', timeoutMs: 10_000 });
    process.kill(first, 'SIGKILL');
    const afterFirst = await workersReplaced(server, [first], 2);
    process.kill(second, 'SIGKILL');
    const afterSecond = await workersReplaced(server, [first, second], 2);
    const [a, b] = await deathsLogged(server, 2);
    assert.equal(a?.restartInMs, 0, JSON.stringify(a));
    assert.equal(b?.restartInMs, 0, JSON.stringify(b));

    // A worker killed right after it started counts as a crash loop: back-off.
    const young = afterSecond.find((p) => !afterFirst.includes(p)) ?? afterSecond[0];
    assert.ok(young !== undefined);
    process.kill(young, 'SIGKILL');
    await workersReplaced(server, [first, second, young], 2);
    const c = (await deathsLogged(server, 3))[2];
    assert.ok((c?.restartInMs ?? 0) > 0, `a young worker's death backs off: ${JSON.stringify(c)}`);
    // A pooled connection to a killed worker fails once; the server itself answers.
    await waitFor(async () => (await request(`${server.url}/`)).status === 200, { what: 'GET / to answer 200', timeoutMs: 60_000 });
  });

  test('an uncaught exception: one JSON line with the stack, exit, replacement', async () => {
    await replacementsSettled(server);
    const pids = await server.workerPids();
    const victim = pids[0];
    assert.ok(victim !== undefined);
    // Until the hook is loaded, SIGUSR2 would just kill the process.
    await waitFor(() => handlesSigusr2(victim), { what: `worker ${victim} to load the crash hook`, timeoutMs: 60_000 });
    process.kill(victim, 'SIGUSR2');
    await waitFor(() => !isAlive(victim), { what: `worker ${victim} to exit`, timeoutMs: 10_000 });
    const crashLines = () => logLines(server).filter((l) => l.pid === victim && l.message === 'uncaught exception: exiting');
    // Written before the exit, read through a pipe: it may come a moment after the exit is seen.
    const crash = await waitFor(() => (crashLines().length > 0 ? crashLines() : false), { what: 'the crash line', timeoutMs: 10_000 });
    assert.equal(crash.length, 1, server.stdout());
    assert.equal(crash[0]?.level, 'error');
    assert.match(crash[0]?.stack ?? '', /boom: an uncaught exception injected by the test\n\s+at /);
    await workersReplaced(server, [victim], 2);
    await waitFor(
      async () => (await request(`${server.url}/enqueue/crash/q/`, { body: { job_id: 'j', interval: 0, payload: 1 } })).status === 201,
      { what: 'an enqueue to succeed after the crash', timeoutMs: 60_000 },
    );
  });
});

