// A child process the bench owns: its output is kept (last lines) for error messages, its pid is
// tracked for the exit-time kill, and stop() escalates from a signal to SIGKILL after a deadline.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { onCleanup, trackPid, untrackPid } from './cleanup.js';
import { sleep } from './deadline.js';
import { descendantPids } from './procs.js';

const KEEP_CHARS = 8000;

export interface OwnedChild {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** The last few KB of stdout+stderr. */
  output(): string;
  /** Resolves once the process has exited (at once when it already has). */
  exited(): Promise<number | null>;
  hasExited(): boolean;
  /** Sends `signal`, waits up to `graceMs`, then SIGKILLs it and its descendants. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

export function spawnOwned(name: string, command: string, args: string[], options: SpawnOptions = {}): OwnedChild {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const pid = child.pid;
  trackPid(pid);
  let out = '';
  const keep = (chunk: Buffer): void => {
    out = (out + chunk.toString('utf8')).slice(-KEEP_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitCode: number | null | undefined;
  const exitPromise = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal === null ? null : -1);
      untrackPid(pid);
      resolve(exitCode);
    });
  });
  child.once('error', (err) => keep(Buffer.from(`\n[spawn error] ${err.message}\n`)));

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 10000): Promise<number | null> => {
    if (exitCode !== undefined) return exitCode;
    // Read before the signal: once the parent is gone its children are re-parented and unfindable.
    const others = descendantPids(pid);
    try {
      child.kill(signal);
    } catch {
      // gone already
    }
    const done = await Promise.race([exitPromise.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done) {
      for (const p of [pid, ...others]) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      await Promise.race([exitPromise, sleep(2000)]);
    }
    return exitCode ?? null;
  };
  const unregister = onCleanup(() => stop('SIGTERM', 3000).then(() => undefined));
  void exitPromise.then(unregister);

  return {
    name,
    pid,
    process: child,
    output: () => out,
    exited: () => exitPromise,
    hasExited: () => exitCode !== undefined,
    stop,
  };
}
