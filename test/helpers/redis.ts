// Real redis-server processes for tests (no mocks): each on its own free port and tmp dir,
// killed on process exit even when a test fails before its after() runs.

import type { RedisSection } from '../../src/interfaces.js';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

import { freePort } from './ports.js';
import { atExit, killOnExit } from './process.js';
import { waitFor } from './wait.js';

const execFileAsync = promisify(execFile);

export const HOST = '127.0.0.1';

export interface StartRedisOptions {
  /** Fixed port; default: a free one (never 6379). */
  port?: number;
  /** Appended to the command line, e.g. ['--requirepass', 'secret']. */
  extraArgs?: string[];
  /** Also listen on a unix socket in the tmp dir (see socketPath). */
  unixSocket?: boolean;
  /** How long to wait for PING to answer; default 10 s. */
  startTimeoutMs?: number;
}

export interface RedisServerHandle {
  readonly host: string;
  readonly port: number;
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  /** Set when started with unixSocket: true. */
  readonly socketPath: string | undefined;
  /** The server's --dir (nodes.conf, redis.log live here). */
  readonly dir: string;
  /** Pid of the current process, undefined while stopped. */
  readonly pid: number | undefined;
  /** SIGTERM, wait for exit, remove the tmp dir. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit (a crash); the tmp dir stays for restart(). */
  kill(): Promise<void>;
  /** Start again on the same port (stopping first if still running); for outage tests. */
  restart(): Promise<void>;
}

function assertOnPath(command: string): void {
  const found = (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!found) throw new Error(`${command} not found on PATH: install it with 'apt-get install -y redis-server'`);
}

/** Runs `redis-cli -h 127.0.0.1 -p PORT ...args` and returns its trimmed stdout. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('redis-cli', ['-h', HOST, '-p', String(port), ...args], {
    timeout: 5000,
  });
  return stdout.trim();
}

/** The last lines redis-server wrote, for start-up failure messages. */
function logTail(dir: string): string {
  const tail = ['output.txt', 'redis.log'].flatMap((name) => {
    try {
      return readFileSync(join(dir, name), 'utf8').trimEnd().split('\n').slice(-15);
    } catch {
      return [];
    }
  });
  return tail.join('\n').trim() || '(redis-server wrote nothing)';
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function spawnRedis(port: number, dir: string, socketPath: string | undefined, extraArgs: string[]): Running {
  const args = [
    '--port', String(port),
    '--bind', HOST,
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
    '--logfile', join(dir, 'redis.log'),
    '--daemonize', 'no',
    ...(socketPath === undefined ? [] : ['--unixsocket', socketPath, '--unixsocketperm', '700']),
    ...extraArgs,
  ];
  // Argument errors are printed before the log file is open; a file (not a pipe) keeps them
  // without holding the event loop.
  const outputFd = openSync(join(dir, 'output.txt'), 'w');
  const child = spawn('redis-server', args, { stdio: ['ignore', outputFd, outputFd] });
  closeSync(outputFd);
  // Unreferenced, so a test file that forgets stop() still exits, and the exit hook kills it.
  child.unref();
  killOnExit(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    // spawn failures (ENOENT, EACCES) emit 'error' and possibly no 'exit'.
    child.once('error', () => resolve());
  });
  return { child, exited };
}

/** Starts the process and waits for PING; on failure the process is killed and the log tail reported. */
async function launch(
  port: number,
  dir: string,
  socketPath: string | undefined,
  extraArgs: string[],
  timeoutMs: number,
): Promise<Running> {
  mkdirSync(dir, { recursive: true });
  // A fresh log, so a failure reports this start and not an earlier one.
  rmSync(join(dir, 'redis.log'), { force: true });
  const running = spawnRedis(port, dir, socketPath, extraArgs);
  try {
    const outcome = await waitFor(
      async () => {
        // Exiting early (port taken, bad argument) must fail now, not at the deadline.
        if (!isRunning(running.child)) return 'exited';
        return (await redisCli(port, 'ping')) === 'PONG' ? 'ready' : false;
      },
      { what: `redis-server on port ${port} to answer PING`, timeoutMs },
    );
    if (outcome === 'exited') {
      throw new Error(`redis-server on port ${port} exited during start-up:\n${logTail(dir)}`);
    }
    return running;
  } catch (err) {
    running.child.kill('SIGKILL');
    await running.exited;
    throw err;
  }
}

async function terminate(running: Running, signal: NodeJS.Signals): Promise<void> {
  if (isRunning(running.child)) running.child.kill(signal);
  const timer = setTimeout(() => running.child.kill('SIGKILL'), 5000);
  await running.exited;
  clearTimeout(timer);
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisServerHandle> {
  assertOnPath('redis-server');
  assertOnPath('redis-cli');
  const extraArgs = opts.extraArgs ?? [];
  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'sharq-redis-'));
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  let forgetDir = atExit(removeDir);
  // Kept short: unix socket paths are limited to ~107 bytes.
  const socketPath = opts.unixSocket === true ? join(dir, 'redis.sock') : undefined;

  let port = opts.port ?? 0;
  let running: Running | undefined;
  // A free port can be taken between the probe and redis-server's bind; pick another then.
  for (let attempt = 1; running === undefined; attempt++) {
    if (opts.port === undefined) {
      do port = await freePort();
      while (port === 6379);
    }
    try {
      running = await launch(port, dir, socketPath, extraArgs, timeoutMs);
    } catch (err) {
      const portTaken = err instanceof Error && err.message.includes('Address already in use');
      if (opts.port !== undefined || attempt >= 3 || !portTaken) {
        removeDir();
        forgetDir();
        throw err;
      }
    }
  }

  let current: Running | undefined = running;
  const fixedPort = port;
  return {
    host: HOST,
    port: fixedPort,
    url: `redis://${HOST}:${fixedPort}`,
    socketPath,
    dir,
    get pid() {
      return current !== undefined && isRunning(current.child) ? current.child.pid : undefined;
    },
    async stop() {
      if (current !== undefined) await terminate(current, 'SIGTERM');
      current = undefined;
      removeDir();
      forgetDir();
    },
    async kill() {
      if (current !== undefined) await terminate(current, 'SIGKILL');
      current = undefined;
    },
    async restart() {
      if (current !== undefined) await terminate(current, 'SIGTERM');
      current = undefined;
      forgetDir();
      forgetDir = atExit(removeDir);
      // The old process's socket file would make the unix socket bind fail.
      if (socketPath !== undefined) rmSync(socketPath, { force: true });
      current = await launch(fixedPort, dir, socketPath, extraArgs, timeoutMs);
    },
  };
}

/** A `[redis]` section pointing at a test server over TCP, for the production connection factory. */
export function tcpRedisSection(server: RedisServerHandle, keyPrefix: string): RedisSection {
  return {
    db: 0,
    keyPrefix,
    connType: 'tcp_sock',
    host: server.host,
    port: server.port,
    tls: false,
    minReplicasAck: 0,
    replicaAckTimeoutMs: 1000,
    clustered: false,
    clusterNodes: [],
    sentinels: [],
  };
}
