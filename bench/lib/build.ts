// The server under test is the compiled CLI: rebuild dist/ when any file of src/ is newer.

import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

import { spawnChild } from '../../test/helpers/process.js';
import { cliPath, repoRoot } from '../../test/helpers/server.js';
import { withDeadline } from '../../test/helpers/wait.js';

function newestMtimeMs(dir: string, ext: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtimeMs(full, ext));
    else if (entry.name.endsWith(ext)) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function distIsFresh(): boolean {
  if (!existsSync(cliPath)) return false;
  const sources = Math.max(newestMtimeMs(path.join(repoRoot, 'src'), '.ts'), statSync(path.join(repoRoot, 'tsconfig.json')).mtimeMs);
  return newestMtimeMs(path.join(repoRoot, 'dist'), '.js') >= sources;
}

/** Runs `npm run build` unless dist/ is already newer than every source; throws with tsc's output on failure. */
export async function ensureBuilt(log: (line: string) => void): Promise<void> {
  if (distIsFresh()) {
    log('dist/ is fresh, not rebuilding');
    return;
  }
  log('building: npm run build');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const child = spawnChild('npm run build', npm, ['run', 'build'], { cwd: repoRoot });
  const code = await withDeadline(child.exited, 300000, 'npm run build');
  if (code !== 0) throw new Error(`npm run build failed (exit ${String(code)}):\n${child.output()}`);
}
