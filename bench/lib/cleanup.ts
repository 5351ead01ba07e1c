// Children of the bench (redis-server, the server, ceiling apps, threads) stop with it: on normal
// exit, on an error and on Ctrl-C the registered clean-ups (graceful stops) run first, each bounded
// in time; the harness then SIGKILLs any child still alive as the process exits.

type Cleanup = () => Promise<void> | void;

const cleanups = new Set<Cleanup>();
let installed = false;
let exiting = false;

export function onCleanup(fn: Cleanup): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Runs the registered cleanups, newest first, each bounded in time. */
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
}

/** True once a signal has started the shutdown: what fails after that is the shutdown itself. */
export function stoppingOnSignal(): boolean {
  return exiting;
}

export function installExitHandlers(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (exiting) process.exit(130); // a second Ctrl-C: the exit hook kills what is left
    exiting = true;
    process.stderr.write(`\n${signal}: stopping children...\n`);
    void runCleanups(5000).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
}
