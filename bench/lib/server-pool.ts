// One running server for the scenarios: started on first use, reused while the wanted settings
// stay the same (a FLUSHALL between scenarios resets the data, not the process), restarted when
// they change, stopped on demand (the storm's direct pass needs no leader) and at the end.

import path from 'node:path';

import { startServer, type ServerHandle } from '../../test/helpers/server.js';
import { onCleanup } from './cleanup.js';
import { benchConfig, LONG_EXPIRE_MS, type ServerSettings } from './fixtures.js';

export type ServerChoice = Partial<ServerSettings>;

/** The leader's pass interval: short, so the requeue storm measures the pass, not the wait for it. */
export const LEADER_INTERVAL_MS = 100;

/** SHARQ_BENCH_CLI (another build, or a .ts entry run through tsx), or undefined for dist/cli.js. */
export function cliOverride(): string | undefined {
  const override = process.env.SHARQ_BENCH_CLI;
  return override !== undefined && override !== '' ? path.resolve(override) : undefined;
}

export class ServerPool {
  private current: { key: string; server: ServerHandle; settings: ServerSettings } | undefined;
  /** The CLI under test: SHARQ_BENCH_CLI, this tree's dist/cli.js (undefined), or a baseline's. */
  private cli: string | undefined = cliOverride();

  constructor(
    private readonly redisPort: number,
    private readonly log: (line: string) => void,
  ) {
    onCleanup(() => this.stop());
  }

  async get(choice: ServerChoice = {}): Promise<{ server: ServerHandle; settings: ServerSettings }> {
    const settings: ServerSettings = {
      jobExpireIntervalMs: choice.jobExpireIntervalMs ?? LONG_EXPIRE_MS,
      jobRequeueIntervalMs: choice.jobRequeueIntervalMs ?? LEADER_INTERVAL_MS,
    };
    const key = JSON.stringify({ ...settings, cli: this.cli });
    if (this.current?.key === key) return this.current;
    await this.stop();
    const server = await startServer({
      redisPort: this.redisPort,
      workers: 2,
      config: benchConfig(settings),
      cli: this.cli,
      env: { NODE_ENV: 'production' },
      startTimeoutMs: 120000,
    });
    this.log(`  server up in ${server.startupMs} ms (pid ${server.pid}, workers ${server.workerPids().join(', ')})`);
    this.current = { key, server, settings };
    return this.current;
  }

  /** The CLI under test (undefined: this tree's). */
  get cliUnderTest(): string | undefined {
    return this.cli;
  }

  /** Benches another CLI from the next get() on (undefined: the default one). */
  async useCli(cli: string | undefined): Promise<void> {
    if (cli === this.cli) return;
    await this.stop();
    this.cli = cli;
  }

  async stop(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    if (current === undefined) return;
    const status = await current.server.stop('SIGTERM', 15000);
    if (status !== 0) process.stderr.write(`sharq-server exited with ${status}:\n${current.server.stdout().slice(-2000)}${current.server.stderr().slice(-2000)}\n`);
  }
}
