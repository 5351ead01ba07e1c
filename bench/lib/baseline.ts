// `--baseline <ref>`: that commit built in a temporary git worktree (node_modules linked to this
// tree's), so a scenario can run against it and against this tree in the same sitting.

import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { spawnChild } from '../../test/helpers/process.js';
import { repoRoot } from '../../test/helpers/server.js';
import { withDeadline } from '../../test/helpers/wait.js';
import { onCleanup } from './cleanup.js';

async function run(what: string, command: string, args: string[], cwd: string): Promise<string> {
  const child = spawnChild(what, command, args, { cwd });
  const code = await withDeadline(child.exited, 300_000, what);
  if (code !== 0) throw new Error(`${what} failed (exit ${String(code)}):\n${child.output()}`);
  return child.output();
}

/** Checks out and builds `ref`; returns its CLI's path. The worktree is removed when the bench ends. */
export async function buildBaseline(ref: string, log: (line: string) => void): Promise<string> {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'sharq-baseline-')), 'tree');
  const commit = (await run('git rev-parse', 'git', ['rev-parse', '--verify', `${ref}^{commit}`], repoRoot)).trim().split('\n').pop() ?? ref;
  log(`baseline ${ref} (${commit.slice(0, 12)}): checking out into ${dir}`);
  await run('git worktree add', 'git', ['worktree', 'add', '--detach', dir, commit], repoRoot);
  onCleanup(async () => {
    await run('git worktree remove', 'git', ['worktree', 'remove', '--force', dir], repoRoot).catch(() => undefined);
    rmSync(path.dirname(dir), { recursive: true, force: true });
  });
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
  log('baseline: building its server (tsc)');
  await run('baseline tsc', process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], dir);
  return path.join(dir, 'dist', 'cli.js');
}
