// Command-line conventions of sharq-server: a bad flag value is reported as typed (`got "abc"`,
// never NaN); usage errors exit 2, a bad config file and an unreachable Redis exit 1, and each is
// one line on stderr.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { freePort } from '../helpers/ports.js';
import { cliPath, repoRoot } from '../helpers/server.js';

interface Run {
  code: number | string;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd: repoRoot,
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SHARQ_'))), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Generous: a start-up on a loaded 2-core machine takes seconds; a hang still fails.
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? 'unknown', stdout, stderr });
    }),
  );
}

/** Exactly one `sharq-server: ...` line on stderr. */
function errorLine(run: Run): string {
  const lines = run.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `expected one line on stderr:\n${run.stderr}`);
  assert.match(lines[0] ?? '', /^sharq-server: /);
  return lines[0] ?? '';
}

const dir = mkdtempSync(path.join(tmpdir(), 'sharq-cli-conventions-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}
const GOOD = config('good.conf', '[sharq]\njob_expire_interval : 1000\njob_requeue_interval : 1000\n');

describe('usage errors exit 2', () => {
  test('--port abc says got "abc", not NaN', async () => {
    const run = await runCli(['--config', GOOD, '--port', 'abc']);
    assert.equal(run.code, 2);
    assert.equal(errorLine(run), 'sharq-server: --port: expected a port 1-65535, got "abc"');
  });

  test('--workers many says got "many"', async () => {
    const run = await runCli(['--config', GOOD, '--workers', 'many']);
    assert.equal(run.code, 2);
    assert.equal(errorLine(run), 'sharq-server: --workers: expected a positive integer, got "many"');
  });

  test('an unknown flag, a bad --log-level and a missing --config', async () => {
    for (const args of [['--config', GOOD, '--colour'], ['--config', GOOD, '--log-level', 'verbose'], []]) {
      const run = await runCli(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      errorLine(run);
    }
  });
});

describe('config and Redis errors exit 1', () => {
  test('a bad value in the file, and SHARQ_PORT=abc in the environment', async () => {
    const bad = config('bad.conf', '[sharq]\njob_expire_interval : 1000\njob_requeue_interval : 1000\n[sharq-server]\nport : abc\n');
    const fromFile = await runCli(['--config', bad]);
    assert.equal(fromFile.code, 1);
    assert.match(errorLine(fromFile), /\[sharq-server\] port: expected a port 1-65535, got "abc"$/);
    const fromEnv = await runCli(['--config', GOOD], { SHARQ_PORT: 'abc' });
    assert.equal(fromEnv.code, 1);
    assert.equal(errorLine(fromEnv), 'sharq-server: SHARQ_PORT: expected a port 1-65535, got "abc"');
  });

  test('a missing config file', async () => {
    const run = await runCli(['--config', path.join(dir, 'missing.conf')]);
    assert.equal(run.code, 1);
    errorLine(run);
  });

  test('Redis unreachable at start', async () => {
    const file = config(
      'noredis.conf',
      `[sharq]\njob_expire_interval : 1000\njob_requeue_interval : 1000\n[sharq-server]\nhost : 127.0.0.1\nport : ${await freePort()}\n` +
        `workers : 1\nredis_startup_timeout : 1000\n[redis]\nhost : 127.0.0.1\nport : ${await freePort()}\n`,
    );
    const run = await runCli(['--config', file]);
    assert.equal(run.code, 1);
    errorLine(run);
  });
});
