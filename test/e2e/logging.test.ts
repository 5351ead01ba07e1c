// What sharq-server writes for a log pipeline and for a person: on a pipe every stdout line is
// JSON (the banner's facts too) or, with `accesslog : -`, an access-log line; on a TTY the
// original's banner art; requests at the `http` level when no access log is set; a crash logged
// as one entry with its stack before the process exits.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { freePort } from '../helpers/ports.js';
import { killOnExit } from '../helpers/process.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { cliPath, repoRoot, startServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

/** A server's start-up takes ~13 s at a load of 30 on 2 cores: a deadline for a loaded machine, not a hang. */
const START_TIMEOUT_MS = 90_000;
/** Tests that start servers: above the suite's 120 s default, for a loaded machine. */
const SLOW = { timeout: 300_000 };

const ACCESS_LINE = /^\S+ - - \[[^\]]+\] "(GET|POST|DELETE|PUT) \S+ HTTP\/1\.1" \d{3} (\d+|-) "[^"]*" "[^"]*" \d+\.\d{3}$/;

type Entry = Record<string, unknown>;

function jsonLines(stdout: string): Entry[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Entry);
}

let redis: RedisServerHandle;
const tmp = mkdtempSync(path.join(tmpdir(), 'sharq-logging-'));

before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('on a pipe', () => {
  test('with accesslog "-": every stdout line is a JSON entry or a combined-format access line; no file "-"', SLOW, async () => {
    const server = await startServer({ redisPort: redis.port, config: { 'sharq-server': { accesslog: '-' } }, startTimeoutMs: START_TIMEOUT_MS });
    try {
      assert.equal((await server.api.post('/enqueue/sms/q1/', { job_id: 'a', interval: 0, payload: {} })).status, 201);
      assert.equal((await server.api.get('/nope')).status, 404);
      await waitFor(() => server.stdout().includes('"GET /nope HTTP/1.1" 404'), { what: 'the access line of GET /nope', timeoutMs: 10_000 });
      for (const line of server.stdout().split('\n').filter((l) => l !== '')) {
        if (line.startsWith('{')) JSON.parse(line);
        else assert.match(line, ACCESS_LINE);
      }
      assert.match(server.stdout(), /"POST \/enqueue\/sms\/q1\/ HTTP\/1\.1" 201 /);
      // The banner's facts, as one entry whose message is the banner's own words.
      const banner = jsonLines(server.stdout()).filter((e) => String(e.message).startsWith('Listening on'));
      assert.equal(banner.length, 1);
      assert.equal(banner[0]?.message, `Listening on: 127.0.0.1:${server.port}`);
      assert.equal(banner[0]?.version, '0.1.0');
      assert.ok(!existsSync(path.join(repoRoot, '-')), 'accesslog "-" wrote a file named "-"');
      assert.doesNotMatch(server.stdout(), /"level":"http"/, 'requests are not logged twice');
    } finally {
      await server.stop();
    }
  });

  test('log_level http without an access log: one http entry a request, by route template; none at info', SLOW, async () => {
    const server = await startServer({ redisPort: redis.port, config: { 'sharq-server': { log_level: 'http' } }, startTimeoutMs: START_TIMEOUT_MS });
    const quiet = await startServer({ redisPort: redis.port, startTimeoutMs: START_TIMEOUT_MS });
    try {
      for (const s of [server, quiet]) {
        assert.equal((await s.api.post('/enqueue/sms/q-secret/', { job_id: 'id-secret', interval: 0, payload: {} })).status, 201);
      }
      const entry = await waitFor(
        () => jsonLines(server.stdout()).find((e) => e.level === 'http' && e.method === 'POST'),
        { what: 'the http entry of the enqueue', timeoutMs: 10_000 },
      );
      assert.equal(entry.message, 'request');
      assert.equal(entry.status, 201);
      assert.match(String(entry.route), /^\/enqueue\//);
      assert.doesNotMatch(String(entry.route), /secret/, 'ids stay out of the log');
      assert.equal(typeof entry.ms, 'number');
      assert.ok(!jsonLines(quiet.stdout()).some((e) => e.level === 'http'), 'info level logs no requests');
    } finally {
      await server.stop();
      await quiet.stop();
    }
  });
});

describe('on a TTY', () => {
  test("the original's banner art, version and address (a pseudo-terminal from util-linux script)", SLOW, async () => {
    const port = await freePort();
    const file = path.join(tmp, 'tty.conf');
    writeFileSync(
      file,
      `[sharq]\njob_expire_interval : 1000\njob_requeue_interval : 1000\n[sharq-server]\nhost : 127.0.0.1\nport : ${port}\nworkers : 1\n` +
        `[redis]\nhost : 127.0.0.1\nport : ${redis.port}\n`,
    );
    const command = [process.execPath, cliPath, '--config', file].map((w) => `'${w}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    killOnExit(child);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await waitFor(() => output.includes(`Listening on: 127.0.0.1:${port}`), { what: 'the banner on the TTY', timeoutMs: START_TIMEOUT_MS });
      assert.ok(output.includes(String.raw` / __| |_  __ _ _ _ / _ \  / __| ___ _ ___ _____ _ _`), output);
      assert.match(output, /Version: 0\.1\.0\r?\n/);
      assert.doesNotMatch(output, /"message":"Listening on/);
    } finally {
      try {
        process.kill(-(child.pid ?? 0), 'SIGTERM');
      } catch {
        // already gone
      }
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
    }
  });
});

describe('a crash', () => {
  for (const [what, trigger] of [
    ['an uncaught exception', "setTimeout(() => { throw new Error('boom in a timer'); }, 10);"],
    ['an unhandled rejection', "void Promise.reject(new Error('boom in a promise'));"],
  ] as const) {
    test(`${what}: one JSON entry with the stack on stdout, then exit 1`, async () => {
      const script = [
        `import { createLogger, exitOnUncaughtErrors } from ${JSON.stringify(path.join(repoRoot, 'src/logger.ts'))};`,
        "exitOnUncaughtErrors(createLogger('info', 'worker-7'));",
        trigger,
        'setTimeout(() => {}, 5000);',
      ].join('\n');
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise((resolve) => child.once('exit', (c) => resolve(c)));
      assert.equal(code, 1, stderr);
      const lines = stdout.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, stdout);
      const entry = JSON.parse(lines[0] ?? '') as Entry;
      assert.equal(entry.level, 'error');
      assert.match(String(entry.message), new RegExp(`^${what.replace('an ', '')}`));
      assert.equal(entry.role, 'worker-7');
      assert.match(String(entry.error), /^boom in a/);
      assert.match(String(entry.stack), /^Error: boom in a [a-z]+\n\s+at /);
      assert.equal(stderr.trim(), '', 'nothing but the JSON entry');
    });
  }
});
