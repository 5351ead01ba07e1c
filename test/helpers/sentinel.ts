// A real Sentinel setup for failover tests: one master, one replica, three redis-sentinel processes
// (Debian's), all on free ports, killed on process exit.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from './ports.js';
import { redisCli, startRedis, type RedisServerHandle } from './redis.js';
import { waitFor } from './wait.js';

export const MASTER_NAME = 'mymaster';

export interface SentinelSetupHandle {
  master: RedisServerHandle;
  replica: RedisServerHandle;
  sentinelPorts: number[];
  /** The master's port as the Sentinels see it now. */
  masterPort(): Promise<number>;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

async function startSentinel(masterPort: number, quorum: number): Promise<{ port: number; child: ChildProcess; dir: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sharq-sentinel-'));
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      'daemonize no',
      `dir ${dir}`,
      `logfile ${join(dir, 'sentinel.log')}`,
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} ${quorum}`,
      `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
      `sentinel failover-timeout ${MASTER_NAME} 10000`,
      `sentinel parallel-syncs ${MASTER_NAME} 1`,
      '',
    ].join('\n'),
  );
  const child = spawn('redis-sentinel', [conf], { stdio: 'ignore' });
  child.unref();
  children.add(child);
  child.once('exit', () => children.delete(child));
  await waitFor(async () => (await redisCli(port, 'ping')) === 'PONG', { what: `redis-sentinel on port ${port}` });
  return { port, child, dir };
}

export async function startSentinelSetup(opts: { extraArgs?: string[] } = {}): Promise<SentinelSetupHandle> {
  const extraArgs = opts.extraArgs ?? [];
  const master = await startRedis({ extraArgs });
  const replica = await startRedis({ extraArgs: [...extraArgs, '--replicaof', '127.0.0.1', String(master.port)] });
  await waitFor(async () => (await redisCli(replica.port, 'info', 'replication')).includes('master_link_status:up'), {
    what: 'the replica to sync with its master',
    timeoutMs: 20_000,
  });
  const sentinels: Awaited<ReturnType<typeof startSentinel>>[] = [];
  for (let i = 0; i < 3; i++) sentinels.push(await startSentinel(master.port, 2));
  const masterPort = async (): Promise<number> => {
    const reply = await redisCli(sentinels[0]?.port ?? 0, 'sentinel', 'get-master-addr-by-name', MASTER_NAME);
    return Number(reply.split('\n')[1]);
  };
  // Ready when every Sentinel knows the two others and the replica (so a failover can be agreed on).
  await waitFor(
    async () => {
      for (const s of sentinels) {
        const master = await redisCli(s.port, 'sentinel', 'master', MASTER_NAME);
        const fields = master.split('\n');
        const field = (name: string): string | undefined => fields[fields.indexOf(name) + 1];
        if (field('num-other-sentinels') !== '2' || field('num-slaves') !== '1') return false;
      }
      return true;
    },
    { what: 'three Sentinels to know each other and the replica', timeoutMs: 30_000 },
  );
  return {
    master,
    replica,
    sentinelPorts: sentinels.map((s) => s.port),
    masterPort,
    async stop() {
      for (const s of sentinels) {
        s.child.kill('SIGKILL');
        rmSync(s.dir, { recursive: true, force: true });
      }
      await Promise.all([master.stop(), replica.stop()]);
    },
  };
}
