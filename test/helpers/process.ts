// Child processes a test or the bench owns (the CLI, redis-server, the bench's ceiling apps):
// output kept, exit awaited, stop() escalating to SIGKILL of the whole tree, and every child still
// alive killed when the owning process exits, even when a test fails before its after() runs.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

import { waitFor, type WaitOptions } from './wait.js';

/** An exit code, or the name of the signal that ended the process. */
export type ExitStatus = number | string;

export interface ChildHandle {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** stdout and stderr as they came, for error messages. */
  output(): string;
  readonly exited: Promise<ExitStatus>;
  hasExited(): boolean;
  /** Sends `signal`, waits up to `graceMs`, then SIGKILLs the process and its descendants. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<ExitStatus>;
}

const live = new Set<ChildProcess>();
const exitHooks = new Set<() => void>();
let safetyNetInstalled = false;

function killEverythingSync(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
  for (const hook of exitHooks) hook();
  exitHooks.clear();
}

function installSafetyNet(): void {
  if (safetyNetInstalled) return;
  safetyNetInstalled = true;
  process.on('exit', killEverythingSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killEverythingSync();
      // Keep the default "die on signal" unless someone else (the bench) handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** Kills `child` when this process exits, until it has exited by itself. */
export function killOnExit(child: ChildProcess): void {
  installSafetyNet();
  live.add(child);
  const forget = (): void => {
    live.delete(child);
  };
  child.once('exit', forget);
  // spawn failures (ENOENT, EACCES) emit 'error' and possibly no 'exit'.
  child.once('error', forget);
}

/** Runs `hook` (synchronous clean-up, e.g. removing a tmp dir) when this process exits; returns its removal. */
export function atExit(hook: () => void): () => void {
  installSafetyNet();
  exitHooks.add(hook);
  return () => exitHooks.delete(hook);
}

/** Direct children of a process (Linux /proc), e.g. the CLI's cluster workers. */
export function childPids(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tasks.flatMap((task) => {
    try {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      return text === '' ? [] : text.split(/\s+/).map(Number);
    } catch {
      return []; // the thread ended meanwhile
    }
  });
}

export function descendantPids(pid: number): number[] {
  const found: number[] = [];
  const stack = childPids(pid);
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (found.includes(next)) continue;
    found.push(next);
    stack.push(...childPids(next));
  }
  return found;
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

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}

export function spawnChild(name: string, command: string, args: string[], options: SpawnOptions = {}): ChildHandle {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const pid = child.pid;
  killOnExit(child);
  let out = '';
  let err = '';
  let both = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    both += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    both += chunk.toString();
  });
  child.once('error', (error) => (both += `\n[spawn error] ${error.message}\n`));
  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) =>
    child.once('exit', (code, signal) => {
      status = code ?? signal ?? 'unknown';
      resolve(status);
    }),
  );

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<ExitStatus> => {
    if (status !== undefined) return status;
    // Read before the signal: once the parent is gone its children are re-parented and unfindable.
    const others = descendantPids(pid);
    kill(pid, signal);
    const timer = setTimeout(() => {
      for (const p of [pid, ...others]) kill(p, 'SIGKILL');
    }, graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    name,
    pid,
    process: child,
    stdout: () => out,
    stderr: () => err,
    output: () => both,
    exited,
    hasExited: () => status !== undefined,
    stop,
  };
}

/**
 * waitFor, failing at once (with the child's output) when the child exits before `probe`
 * holds: a server that cannot start must not cost the whole deadline.
 */
export async function waitWhileRunning<T>(
  child: ChildHandle,
  probe: () => Promise<T | false> | T | false,
  options: WaitOptions,
): Promise<T> {
  const outcome = await waitFor<{ value: T } | 'exited'>(async () => {
    if (child.hasExited()) return 'exited';
    const value = await probe();
    return value ? { value } : false;
  }, options);
  if (outcome === 'exited') {
    throw new Error(`${child.name} exited (${String(await child.exited)}) while waiting for ${options.what}:\n${child.output().slice(-3000)}`);
  }
  return outcome.value;
}
