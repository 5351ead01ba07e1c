// One running server for the scenarios: started on first use, reused while the wanted settings
// stay the same (a FLUSHALL between scenarios resets the data, not the process), restarted when
// they change, stopped on demand (the storm's direct pass needs no leader) and at the end.

import type { ServerSettings } from './config.js';
import { onCleanup } from './cleanup.js';
import { LONG_EXPIRE_MS } from './fixtures.js';
import { startServer, type RunningServer } from './server.js';

export type ServerChoice = Partial<Omit<ServerSettings, 'redisPort'>>;

/** The leader's pass interval: short, so the requeue storm measures the pass, not the wait for it. */
export const LEADER_INTERVAL_MS = 100;

export class ServerPool {
  private current: { key: string; server: RunningServer } | undefined;

  constructor(
    private readonly redisPort: number,
    private readonly log: (line: string) => void,
  ) {
    onCleanup(() => this.stop());
  }

  async get(choice: ServerChoice = {}): Promise<RunningServer> {
    const settings: ServerSettings = {
      redisPort: this.redisPort,
      jobExpireIntervalMs: choice.jobExpireIntervalMs ?? LONG_EXPIRE_MS,
      jobRequeueIntervalMs: choice.jobRequeueIntervalMs ?? LEADER_INTERVAL_MS,
      workers: choice.workers ?? 2,
    };
    const key = JSON.stringify(settings);
    if (this.current?.key === key) return this.current.server;
    await this.stop();
    const server = await startServer(settings);
    this.log(`  server up in ${server.startupMs} ms (pid ${server.pid}, workers ${server.workerPids().join(', ')})`);
    this.current = { key, server };
    return server;
  }

  async stop(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    if (current !== undefined) await current.server.stop();
  }
}
