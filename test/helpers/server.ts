// The real sharq-server CLI (dist/cli.js, built by `npm test`'s pretest) as a child process, with
// a temp config pointing at a test Redis. End-to-end tests speak HTTP to it.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { freePort } from './ports.js';
import { waitFor } from './wait.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliPath = path.join(repoRoot, 'dist', 'cli.js');

export interface StartServerOptions {
  redisPort: number;
  workers?: number;
  /** Extra `key : value` lines per section, e.g. { sharq: { job_expire_interval: '200' } }. */
  config?: Partial<Record<'sharq' | 'sharq-server' | 'redis', Record<string, string>>>;
  env?: NodeJS.ProcessEnv;
  /** Extra CLI arguments after --config. */
  args?: string[];
  /** Do not wait for the banner (for start-up failure tests). */
  noWait?: boolean;
  startTimeoutMs?: number;
}

export interface ServerHandle {
  readonly port: number;
  readonly url: string;
  readonly configPath: string;
  readonly child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** Sends the signal and waits for exit; kills with SIGKILL after timeoutMs. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
  /** Worker pids, read from the primary's children. */
  workerPids(): Promise<number[]>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function configText(redisPort: number, port: number, workers: number, extra: StartServerOptions['config'] = {}): string {
  const sections: Record<string, Record<string, string>> = {
    sharq: { job_expire_interval: '1000', job_requeue_interval: '1000', default_job_requeue_limit: '-1' },
    'sharq-server': { host: '127.0.0.1', port: String(port), workers: String(workers), shutdown_timeout: '5000' },
    redis: { db: '0', key_prefix: 'sharq_test', conn_type: 'tcp_sock', host: '127.0.0.1', port: String(redisPort) },
  };
  for (const [section, values] of Object.entries(extra)) Object.assign(sections[section] ?? {}, values);
  return Object.entries(sections)
    .map(([name, values]) => `[${name}]\n${Object.entries(values).map(([k, v]) => `${k} : ${v}`).join('\n')}\n`)
    .join('\n');
}

export async function startServer(opts: StartServerOptions): Promise<ServerHandle> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'sharq-server-test-'));
  const configPath = path.join(dir, 'sharq.conf');
  writeFileSync(configPath, configText(opts.redisPort, port, opts.workers ?? 2, opts.config));

  const child = spawn(process.execPath, [cliPath, '--config', configPath, ...(opts.args ?? [])], {
    cwd: repoRoot,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      rmSync(dir, { recursive: true, force: true });
      resolve(code ?? signal ?? 'unknown');
    }),
  );

  const handle: ServerHandle = {
    port,
    url: `http://127.0.0.1:${port}`,
    configPath,
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    async workerPids() {
      const { execFileSync } = await import('node:child_process');
      const text = execFileSync('ps', ['-o', 'pid=', '--ppid', String(child.pid)], { encoding: 'utf8' });
      return text
        .split('\n')
        .map((s) => Number(s.trim()))
        .filter((n) => n > 0);
    },
  };
  if (!opts.noWait) {
    let gone = false;
    void exited.then(() => (gone = true));
    await waitFor(() => gone || out.includes(`Listening on: 127.0.0.1:${port}`), {
      what: `sharq-server to print its banner on port ${port}`,
      timeoutMs: opts.startTimeoutMs ?? 20_000,
    });
    if (gone) throw new Error(`sharq-server exited during start-up:\n${err}\n${out}`);
  }
  return handle;
}

/** fetch with a JSON body; returns status, parsed body (or text) and headers. */
export async function request(
  url: string,
  init: { method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string>; redirect?: 'manual' | 'follow' | 'error' } = {},
): Promise<{ status: number; body: unknown; text: string; headers: Headers }> {
  const body = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  const res = await fetch(url, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    body,
    redirect: init.redirect ?? 'manual',
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (Prometheus text)
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

/** Whether a process with this pid still runs (signal 0 only checks). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
