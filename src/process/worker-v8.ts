// How a worker process's V8 is set up for memory (issue 15; README "Capacity planning"). The
// primary passes these flags when it forks; measured with `npm run bench -- --scenario memory`.

/**
 * - `--max-semi-space-size=8`: the young generation stays within 2 x 8 MiB instead of V8's 2 x 16,
 *   16 MiB less RSS per worker under load. Smaller costs CPU per request (4 MiB: about +20%,
 *   1 MiB: +70% on the full cycle); 8 MiB measured no cost.
 * - `--v8-pool-size=1`: one V8 background thread rather than four. Each keeps a malloc arena of its
 *   own (3-7 MiB of freed compiler memory); with a worker per core, more GC and compile threads per
 *   process only compete with the other workers.
 * - `--expose-gc`: for compactWhenQuiet.
 */
export const WORKER_V8_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--v8-pool-size=1', '--expose-gc'];

/** V8 judges the allocation rate over its last 5 s: after that long idle, a full GC also shrinks the young generation. */
export const COMPACT_AFTER_MS = 5000;

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

/**
 * Loading modules leaves megabytes of garbage in a worker's heap and grows its young generation to
 * the maximum; V8 gives that back only after a full GC, which a worker that stays idle never has.
 * So, once the worker has listened for COMPACT_AFTER_MS: one full collection (which, the allocation
 * rate being low by then, also shrinks the young generation) and a second that returns the emptied
 * pages. A worker busy by then pays one full GC of a small heap (a few ms). A no-op without --expose-gc.
 */
export function compactWhenQuiet(): void {
  const collect = globalThis.gc;
  if (typeof collect !== 'function') return;
  setTimeout(() => {
    collect();
    collect();
  }, COMPACT_AFTER_MS).unref();
}
