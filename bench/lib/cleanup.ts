// Children of the bench (redis-server, the server, ceiling apps) die with it: on normal exit, on an
// error and on Ctrl-C. Async cleanups run first (graceful stops); any pid still tracked then gets SIGKILL.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

type Cleanup = () => Promise<void> | void;

const cleanups = new Set<Cleanup>();
const pids = new Set<number>();
let installed = false;
let exiting = false;
let scratchDir: string | undefined;

/** One temporary directory for the whole bench (config files), removed at exit whatever happens. */
export function benchTempDir(): string {
  scratchDir ??= mkdtempSync(path.join(tmpdir(), 'sharq-bench-'));
  return scratchDir;
}

export function onCleanup(fn: Cleanup): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

export function trackPid(pid: number): void {
  pids.add(pid);
}

export function untrackPid(pid: number): void {
  pids.delete(pid);
}

export function killTrackedNow(): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  pids.clear();
  if (scratchDir !== undefined) rmSync(scratchDir, { recursive: true, force: true });
  scratchDir = undefined;
}

/** Runs the registered cleanups (newest first), each bounded in time, then kills what is left. */
export async function runCleanups(perStepMs = 15000): Promise<void> {
  const steps = [...cleanups].reverse();
  cleanups.clear();
  for (const step of steps) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(step),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, perStepMs);
        }),
      ]);
    } catch (err) {
      process.stderr.write(`cleanup step failed: ${String(err)}\n`);
    } finally {
      clearTimeout(timer);
    }
  }
  killTrackedNow();
}

/** True once a signal has started the shutdown: what fails after that is the shutdown itself. */
export function stoppingOnSignal(): boolean {
  return exiting;
}

export function installExitHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killTrackedNow);
  const onSignal = (signal: NodeJS.Signals): void => {
    if (exiting) {
      killTrackedNow();
      process.exit(130);
    }
    exiting = true;
    process.stderr.write(`\n${signal}: stopping children...\n`);
    void runCleanups(5000).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
}
