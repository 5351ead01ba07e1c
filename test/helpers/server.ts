// The real sharq-server CLI (dist/cli.js, built by `npm test`'s pretest and by the bench) as a
// child process, with a temp config pointing at a test Redis. Tests and the bench speak HTTP to it.

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { configText, type ConfigOverrides } from './config.js';
import { httpClient, onResponse, type HttpClient } from './http.js';
import { checkExchange } from './openapi-validator.js';
import { freePort } from './ports.js';
import { atExit, childPids, spawnChild, waitWhileRunning, type ChildHandle, type ExitStatus } from './process.js';

// Every reply of the servers the tests start is checked against openapi.json (SPEC 5.10): a reply that
// drifts from the document fails the request, and so the test that made it.
onResponse(checkExchange);

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliPath = path.join(repoRoot, 'dist', 'cli.js');

export interface StartServerOptions {
  redisPort: number;
  workers?: number;
  /** Extra `key : value` lines per section, e.g. { sharq: { job_expire_interval: '200' } }. */
  config?: ConfigOverrides;
  env?: NodeJS.ProcessEnv;
  /** Extra CLI arguments after --config. */
  args?: string[];
  /** Do not wait for the banner (for start-up failure tests). */
  noWait?: boolean;
  startTimeoutMs?: number;
  /** The CLI to run instead of dist/cli.js (another build); a .ts file runs through tsx. */
  cli?: string;
  /** Node options before the CLI (e.g. V8 flags, which workers inherit unless the primary sets its own). */
  nodeArgs?: string[];
}

export interface ServerHandle {
  readonly port: number;
  readonly url: string;
  /** A client of `url` (a fresh connection per request). */
  readonly api: HttpClient;
  readonly configPath: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** From spawn until the banner (every worker listens); 0 with noWait. */
  readonly startupMs: number;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<ExitStatus>;
  /** Sends the signal and waits for exit; kills the process tree with SIGKILL after timeoutMs. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitStatus>;
  /** Worker pids: the primary's children. */
  workerPids(): number[];
}

export async function startServer(opts: StartServerOptions): Promise<ServerHandle> {
  // freePort's port is free when probed, but another process (a test file running beside this one,
  // or any outgoing connection, whose local ports come from the same ephemeral range) may take it
  // before the server binds: then start again on another port, as startRedis does.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const startedAt = Date.now();
    const { child, configPath } = launch(port, opts);
    if (opts.noWait) return handle(port, child, configPath, 0);
    try {
      // The primary prints the banner only once every worker listens.
      await waitWhileRunning(child, () => child.stdout().includes(`Listening on: 127.0.0.1:${port}`), {
        what: `sharq-server to print its banner on port ${port}`,
        timeoutMs: opts.startTimeoutMs ?? 60_000,
      });
    } catch (err) {
      const output = child.hasExited() ? child.output() : '';
      const portTaken = output.includes(`cannot listen on 127.0.0.1:${port}:`) && output.includes('EADDRINUSE');
      if (!portTaken || attempt >= 3) throw err;
      continue;
    }
    return handle(port, child, configPath, Date.now() - startedAt);
  }
}

/** Writes a config for `port` in a temp folder (removed when the process exits) and starts the CLI. */
function launch(port: number, opts: StartServerOptions): { child: ChildHandle; configPath: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sharq-server-test-'));
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  const forgetDir = atExit(removeDir);
  const configPath = path.join(dir, 'sharq.conf');
  writeFileSync(configPath, configText({ redisPort: opts.redisPort, port, workers: opts.workers, overrides: opts.config }));

  const cli = opts.cli ?? cliPath;
  const loader = cli.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawnChild('sharq-server', process.execPath, [...(opts.nodeArgs ?? []), ...loader, cli, '--config', configPath, ...(opts.args ?? [])], {
    cwd: repoRoot,
    env: { ...process.env, ...opts.env },
  });
  void child.exited.then(() => {
    removeDir();
    forgetDir();
  });
  return { child, configPath };
}

function handle(port: number, child: ChildHandle, configPath: string, startupMs: number): ServerHandle {
  const url = `http://127.0.0.1:${port}`;
  return {
    port,
    url,
    api: httpClient(url),
    configPath,
    child: child.process,
    pid: child.pid,
    startupMs,
    stdout: child.stdout,
    stderr: child.stderr,
    exited: child.exited,
    stop: child.stop,
    workerPids: () => childPids(child.pid),
  };
}
