// Linux /proc readers: the children of a process (the server's cluster workers) and their RSS.

import { readFileSync, readdirSync } from 'node:fs';

export function childPids(pid: number): number[] {
  const found: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return found;
  }
  for (const task of tasks) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const part of text.split(/\s+/)) {
        const child = Number(part);
        if (part !== '' && Number.isInteger(child)) found.push(child);
      }
    } catch {
      // the task ended meanwhile
    }
  }
  return found;
}

export function descendantPids(pid: number): number[] {
  const all: number[] = [];
  const stack = childPids(pid);
  while (stack.length > 0) {
    const next = stack.pop();
    if (next === undefined || all.includes(next)) continue;
    all.push(next);
    stack.push(...childPids(next));
  }
  return all;
}

/** Resident set size in MiB, from /proc/<pid>/status VmRSS; undefined when the process is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] === undefined ? undefined : Number(match[1]) / 1024;
  } catch {
    return undefined;
  }
}
