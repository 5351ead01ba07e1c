// Starts the real sharq-server CLI (dist/cli.js) against the private Redis, with a temp config.

import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnOwned } from './child.js';
import { configText, type ServerSettings } from './config.js';
import { benchTempDir, onCleanup } from './cleanup.js';
import { sleep, waitFor } from './deadline.js';
import { probeStatus } from './http.js';
import { cliPath, repoRoot } from './paths.js';
import { freePort } from './ports.js';
import { childPids } from './procs.js';

export interface RunningServer {
  readonly url: string;
  readonly pid: number;
  readonly settings: ServerSettings;
  /** From spawn until /deepstatus/ answered 200 with every worker forked. */
  readonly startupMs: number;
  workerPids(): number[];
  stop(): Promise<void>;
}

/** dist/cli.js, or SHARQ_BENCH_CLI (another build, or a .ts entry run through tsx). */
export function serverCli(): string {
  const override = process.env.SHARQ_BENCH_CLI;
  return override !== undefined && override !== '' ? path.resolve(override) : cliPath;
}

export async function startServer(settings: ServerSettings): Promise<RunningServer> {
  const startedAt = Date.now();
  const port = await freePort();
  const configPath = path.join(benchTempDir(), `sharq-${port}.conf`);
  writeFileSync(configPath, configText(settings, port));
  const cli = serverCli();
  const loader = cli.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawnOwned('sharq-server', process.execPath, [...loader, cli, '--config', configPath], {
    cwd: repoRoot,
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const url = `http://127.0.0.1:${port}`;
  const workers = settings.workers ?? 2;
  const stop = async (): Promise<void> => {
    const code = await child.stop('SIGTERM', 15000);
    rmSync(configPath, { force: true });
    if (code !== 0 && code !== null) process.stderr.write(`sharq-server exited with ${code}:\n${child.output().slice(-2000)}\n`);
  };
  onCleanup(stop);
  try {
    await waitFor(
      async () => {
        if (child.hasExited()) throw new Error('sharq-server exited during start-up');
        return childPids(child.pid).length >= workers && (await probeStatus(`${url}/deepstatus/`, 1000)) === 200;
      },
      { timeoutMs: 30000, intervalMs: 100, what: `sharq-server /deepstatus/ on ${url}` },
    );
    // Both workers are forked; give the later one a moment to listen too before load starts.
    await sleep(300);
  } catch (err) {
    await stop();
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${message}\n--- server output ---\n${child.output().slice(-3000)}`);
  }
  return { url, pid: child.pid, settings, startupMs: Date.now() - startedAt, workerPids: () => childPids(child.pid), stop };
}
