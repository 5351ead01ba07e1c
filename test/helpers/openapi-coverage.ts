// What the whole test suite saw of openapi.json. `node --test` runs each test file in its own child
// process, so no one process sees every reply: each appends the (operationId status) pairs it saw
// valid to its own file in a run folder, as it sees them (a process killed mid-file keeps what it
// wrote). `npm test` clears the folder first (pretest) and checks it afterwards (posttest, through
// test/openapi-coverage.ts): a documented reply no test made fails the run.

import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The run folder (git-ignored); OPENAPI_SEEN_DIR moves it, for the tests of this mechanism. */
export function seenDir(): string {
  return process.env.OPENAPI_SEEN_DIR ?? path.join(repoRoot, 'test', '.openapi-seen');
}

/** "operationId status", the unit of coverage. */
export function pairKey(operationId: string, status: number | string): string {
  return `${operationId} ${status}`;
}

const recordedHere = new Set<string>();

/** Notes a pair this process saw valid: once per process, appended to `<dir>/<pid>.txt`. */
export function recordSeen(pair: string, dir = seenDir()): void {
  if (recordedHere.has(`${dir}\n${pair}`)) return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(path.join(dir, `${process.pid}.txt`), `${pair}\n`);
  recordedHere.add(`${dir}\n${pair}`);
}

/** Every pair any process of the run recorded. */
export function readSeen(dir = seenDir()): Set<string> {
  let files: string[];
  try {
    files = readdirSync(dir).filter((name) => name.endsWith('.txt'));
  } catch {
    return new Set();
  }
  const seen = new Set<string>();
  for (const name of files) {
    for (const line of readFileSync(path.join(dir, name), 'utf8').split('\n')) if (line !== '') seen.add(line);
  }
  return seen;
}

/** Empties the run folder (before a run). */
export function clearSeen(dir = seenDir()): void {
  rmSync(dir, { recursive: true, force: true });
}

interface DocumentShape {
  paths: Record<string, Record<string, unknown>>;
}

/** Every documented (operationId status) pair, in the document's order. */
export function documentedPairs(document: DocumentShape): string[] {
  const pairs: string[] = [];
  for (const item of Object.values(document.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters') continue;
      const { operationId, responses } = op as { operationId: string; responses: Record<string, unknown> };
      for (const status of Object.keys(responses)) pairs.push(pairKey(operationId, status));
    }
  }
  return pairs;
}

/** The documented pairs not in `seen`. */
export function unseenPairs(document: DocumentShape, seen: ReadonlySet<string>): string[] {
  return documentedPairs(document).filter((pair) => !seen.has(pair));
}
