// The sharq-server command line, end to end: flags, config errors, start-up without Redis,
// overrides, warnings, the access log, and what the logs must never contain.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { freePort } from '../helpers/ports.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { httpClient } from '../helpers/http.js';
import { cliPath, repoRoot, startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

interface CliRun {
  code: number | string;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs dist/cli.js to completion (killed after timeoutMs, which then fails the assertions). */
function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 15_000): Promise<CliRun> {
  const started = Date.now();
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd: repoRoot,
    // No SHARQ_* from the developer's shell may change what these runs see.
    env: { ...withoutSharqEnv(process.env), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? 'unknown', stdout, stderr, ms: Date.now() - started });
    }),
  );
}

function withoutSharqEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('SHARQ_')));
}

/** stderr must be exactly one line `sharq-server: ...`; returns that line. */
function oneErrorLine(run: CliRun): string {
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${run.stderr}`);
  const line = lines[0] ?? '';
  assert.match(line, /^sharq-server: /);
  return line;
}

const tmpDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sharq-cli-test-'));
  tmpDirs.push(dir);
  return dir;
}

function writeConfig(text: string): string {
  const file = path.join(tempDir(), 'sharq.conf');
  writeFileSync(file, text);
  return file;
}

const VALID_SHARQ = '[sharq]\njob_expire_interval : 1000\njob_requeue_interval : 1000\n';

after(() => {
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

describe('flags and start-up errors (no Redis needed)', () => {
  test('--version prints the package version and exits 0', async () => {
    const run = await runCli(['--version']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), '0.1.0');
  });

  test('--help lists --config, --port and --workers and exits 0', async () => {
    const run = await runCli(['--help']);
    assert.equal(run.code, 0, run.stderr);
    for (const flag of ['--config', '--port', '--workers']) assert.ok(run.stdout.includes(flag), `${flag} missing:\n${run.stdout}`);
  });

  test('an unknown flag exits non-zero with one line', async () => {
    const run = await runCli(['--bogus-flag', '--config', '/dev/null']);
    assert.notEqual(run.code, 0);
    assert.match(oneErrorLine(run), /^sharq-server: Unknown argument: bogus-flag \(see --help\)$/);
  });

  test('an invalid flag value (--log-level) exits non-zero with one line', async () => {
    const run = await runCli(['--log-level', 'loud', '--config', '/dev/null']);
    assert.notEqual(run.code, 0);
    assert.match(oneErrorLine(run), /log-level.*loud/);
  });

  test('a missing config file exits 1 with one line naming the path', async () => {
    const missing = path.join(tempDir(), 'does-not-exist.conf');
    const run = await runCli(['--config', missing]);
    assert.equal(run.code, 1);
    assert.ok(oneErrorLine(run).includes(missing), run.stderr);
  });

  test('a bad value exits 1 with one line naming file, section and key', async () => {
    const file = writeConfig(`${VALID_SHARQ}[sharq-server]\nport : abc\n[redis]\nport : 6379\n`);
    const run = await runCli(['--config', file]);
    assert.equal(run.code, 1);
    const line = oneErrorLine(run);
    for (const part of [file, '[sharq-server]', 'port', 'abc']) assert.ok(line.includes(part), `${part} missing: ${line}`);
  });

  test('an unreachable Redis stops the server within a few seconds, saying what was tried and how to fix it', async () => {
    const redisPort = await freePort(); // nobody listens there
    const file = writeConfig(
      `${VALID_SHARQ}[sharq-server]\nhost : 127.0.0.1\nport : ${await freePort()}\nworkers : 1\nredis_startup_timeout : 1500\n` +
        `[redis]\nhost : 127.0.0.1\nport : ${redisPort}\n`,
    );
    const run = await runCli(['--config', file]);
    assert.notEqual(run.code, 0);
    // 1.5 s timeout plus process start; generous for a loaded machine, far below "hangs".
    assert.ok(run.ms < 10_000, `took ${run.ms} ms`);
    const line = oneErrorLine(run);
    assert.ok(line.includes(`127.0.0.1:${redisPort}`), `target missing: ${line}`);
    assert.match(line, /1500 ms/);
    // How to fix: start Redis, or point the config / environment at one.
    assert.match(line, /redis-server/);
    assert.ok(line.includes('[redis]') && line.includes('SHARQ_REDIS_PORT'), line);
    assert.doesNotMatch(run.stdout, /Listening on/);
  });
});

describe('a running server', () => {
  let redis: RedisServerHandle;
  const servers: ServerHandle[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await redis.stop();
  });

  /** Starts a server whose port may be overridden, and waits for the banner on `listenPort`. */
  async function startOn(listenPort: number, opts: Omit<Parameters<typeof startServer>[0], 'redisPort' | 'noWait'>): Promise<ServerHandle> {
    const server = await startServer({ ...opts, redisPort: redis.port, noWait: true });
    servers.push(server);
    let code: number | string | undefined;
    void server.exited.then((c) => (code = c));
    await waitFor(() => code !== undefined || server.stdout().includes(`Listening on: 127.0.0.1:${listenPort}`), {
      what: `the banner on port ${listenPort}`,
      timeoutMs: 60_000,
    });
    assert.equal(code, undefined, `server exited (${String(code)}):\n${server.stderr()}\n${server.stdout()}`);
    return server;
  }

  test('--port and --workers override the config file', async () => {
    const flagPort = await freePort();
    const server = await startOn(flagPort, { workers: 1, args: ['--port', String(flagPort), '--workers', '3'] });
    const res = await httpClient(`http://127.0.0.1:${flagPort}`).get('/');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { message: 'Hello, SharQ!' });
    assert.equal((await server.workerPids()).length, 3);
    // The config file's port is not used.
    await assert.rejects(fetch(`${server.url}/`));
    assert.equal(await server.stop(), 0);
  });

  test('SHARQ_PORT overrides [sharq-server] port', async () => {
    const envPort = await freePort();
    const server = await startOn(envPort, { workers: 1, env: { SHARQ_PORT: String(envPort) } });
    assert.equal((await httpClient(`http://127.0.0.1:${envPort}`).get('/')).status, 200);
    assert.equal(await server.stop(), 0);
  });

  test('an unknown config key is warned about and the server still starts', async () => {
    const server = await startServer({ redisPort: redis.port, workers: 1, config: { 'sharq-server': { no_such_key: '42' } } });
    servers.push(server);
    assert.equal((await server.api.get('/')).status, 200);
    const warning = server
      .stdout()
      .split('\n')
      .find((line) => line.includes('no_such_key'));
    assert.ok(warning, `no warning about no_such_key in:\n${server.stdout()}`);
    assert.match(warning, /unknown key/);
    assert.equal((JSON.parse(warning) as { level: string }).level, 'warn');
    assert.equal(await server.stop(), 0);
  });

  test('accesslog: one combined-log-format line per request, in a directory created for it, no payloads', async () => {
    const logFile = path.join(tempDir(), 'not', 'yet', 'access.log');
    assert.equal(existsSync(path.dirname(logFile)), false);
    const server = await startServer({ redisPort: redis.port, workers: 2, config: { 'sharq-server': { accesslog: logFile } } });
    servers.push(server);
    const marker = `secret-payload-${process.pid}-${Date.now()}`;
    const queueId = `q${Date.now()}`;
    const calls: { method: string; path: string; status: number }[] = [];
    const call = async (method: string, urlPath: string, body?: unknown): Promise<void> => {
      const res = await server.api.request(method, urlPath, body);
      calls.push({ method, path: urlPath, status: res.status });
    };
    await call('GET', '/');
    await call('GET', '/');
    await call('POST', `/enqueue/accesslog/${queueId}/`, { job_id: 'j1', interval: 0, payload: { marker } });
    await call('GET', '/dequeue/accesslog/');
    await call('POST', `/finish/accesslog/${queueId}/j1/`);
    await call('GET', '/no/such/route');
    assert.deepEqual(
      calls.map((c) => c.status),
      [200, 200, 201, 200, 200, 404],
    );

    const lines = await waitFor(
      () => {
        if (!existsSync(logFile)) return false;
        const text = readFileSync(logFile, 'utf8');
        const all = text.split('\n').filter((l) => l !== '');
        return all.length >= calls.length && text.endsWith('\n') ? all : false;
      },
      { what: `${calls.length} lines in ${logFile}`, timeoutMs: 10_000 },
    );
    assert.equal(lines.length, calls.length, lines.join('\n'));
    // host ident user [date] "request" status bytes "referer" "user-agent" (+ optional response time)
    const combined = /^(\S+) (\S+) (\S+) \[(\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] "([A-Z]+) (\S+) HTTP\/1\.1" (\d{3}) (\d+|-) "([^"]*)" "([^"]*)"/;
    const seen = lines.map((line) => {
      const m = combined.exec(line);
      assert.ok(m, `not combined log format: ${line}`);
      return { method: m[5], path: m[6], status: Number(m[7]) };
    });
    // Workers write independently, so the order across workers is not guaranteed.
    const key = (c: { method?: string; path?: string; status: number }): string => `${c.method} ${c.path} ${c.status}`;
    assert.deepEqual(seen.map(key).sort(), calls.map(key).sort());
    assert.equal(lines.filter((l) => l.includes('"GET / HTTP/1.1" 200')).length, 2);
    const text = readFileSync(logFile, 'utf8');
    assert.ok(!text.includes(marker), 'the access log contains a payload');
    assert.equal(await server.stop(), 0);
  });

  test('payload contents never appear in the logs at info level', async () => {
    const server = await startServer({ redisPort: redis.port, workers: 1 });
    servers.push(server);
    const marker = `marker-${process.pid}-${Date.now()}`;
    const queueId = `q${Date.now()}`;
    const enq = await server.api.post(`/enqueue/nolog/${queueId}/`, { job_id: 'j1', interval: 0, payload: { marker, nested: [marker] } });
    assert.equal(enq.status, 201);
    const deq = await server.api.get('/dequeue/nolog/');
    assert.equal(deq.status, 200);
    assert.deepEqual((deq.body as { payload: unknown }).payload, { marker, nested: [marker] });
    // Failed requests carrying a payload must not log it either.
    const bad = await server.api.post(`/enqueue/nolog/${queueId}/`, { job_id: 'j 2', interval: 0, payload: marker });
    assert.equal(bad.status, 400);
    const malformed = await server.api.request('POST', `/enqueue/nolog/${queueId}/`, undefined, { rawBody: `{"payload": "${marker}"` });
    assert.equal(malformed.status, 400);
    assert.equal(await server.stop(), 0);
    assert.match(server.stdout(), /Listening on/);
    assert.ok(!server.stdout().includes(marker), `stdout contains the payload:\n${server.stdout()}`);
    assert.ok(!server.stderr().includes(marker), `stderr contains the payload:\n${server.stderr()}`);
  });
});
