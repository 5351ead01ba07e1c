// How a worker process's V8 is set up for memory (issue 15; docs/performance.md, "Capacity planning"). The
// primary passes these flags when it forks; measured with `npm run bench -- --scenario memory`.
import { getHeapSpaceStatistics } from 'node:v8';

/**
 * - `--max-semi-space-size=4`: the young generation stays within 2 x 4 MiB instead of V8's 2 x 16,
 *   about 24 MiB less RSS per worker under load (8 MiB of it against 2 x 8: 77-81 MiB at the peak of
 *   the cycle and batch loads, against 84-89). Measured as worker CPU per request at full load, three
 *   alternating runs of each: no more than with 8 (cycle 48-57 ticks per 1,000 cycles against 51-64,
 *   batch 292-311 against 317-328). 1 MiB cost about +70% on the full cycle.
 * - `--v8-pool-size=1`: one V8 background thread rather than four. Each keeps a malloc arena of its
 *   own (3-7 MiB of freed compiler memory); with a worker per core, more GC and compile threads per
 *   process only compete with the other workers.
 * - `--expose-gc`: for compactWhenQuiet.
 */
export const WORKER_V8_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--v8-pool-size=1', '--expose-gc'];

/** How often a worker just started tries a full GC that shrinks its young generation, and how many times. */
export const COMPACT_EVERY_MS = 2500;
export const COMPACT_TRIES = 4;

function flagName(arg: string): string {
  return (arg.split('=')[0] ?? '').replace(/_/g, '-');
}

/**
 * The workers' node arguments: ours, except any the operator set (on the command line or in
 * NODE_OPTIONS: those win), then the primary's own (a loader such as tsx, --inspect...).
 */
export function workerExecArgv(parentExecArgv: readonly string[], nodeOptions = ''): string[] {
  const given = new Set([...parentExecArgv, ...nodeOptions.split(/\s+/)].map(flagName));
  return [...WORKER_V8_FLAGS.filter((flag) => !given.has(flagName(flag))), ...parentExecArgv];
}

function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Loading modules leaves megabytes of garbage in a worker's heap and grows its young generation to
 * the maximum; V8 gives that back only after a full GC, which a worker that stays idle never has.
 * And V8 shrinks the young generation at a full GC only when the allocation rate since the previous
 * GC was low but not zero. So: one full GC as the worker listens (the start-up garbage goes, and the
 * rate is measured afresh from there); then, every COMPACT_EVERY_MS, a small allocation (so the rate
 * is not zero) and a full GC, until one shrinks the young generation (then one more returns the
 * emptied pages) or COMPACT_TRIES were made. A single GC 5 s after listening left an idle worker
 * 10 MiB larger about half the time: the start-up's bytes counted in its rate. A busy worker pays
 * a few full GCs of a small heap (a few ms each). A no-op without --expose-gc.
 */
export function compactWhenQuiet(): void {
  const collect = globalThis.gc;
  if (typeof collect !== 'function') return;
  collect();
  let tries = 0;
  let allocated: number[] = [];
  const timer = setInterval(() => {
    tries += 1;
    const before = youngGenerationBytes();
    // A few bytes since the last GC, so the rate V8 sees is low but not zero.
    allocated = new Array<number>(64).fill(tries);
    collect();
    if (youngGenerationBytes() < before || tries >= COMPACT_TRIES) {
      allocated = [];
      clearInterval(timer);
      collect();
    }
  }, COMPACT_EVERY_MS).unref();
}
