import { writeSync } from 'node:fs';

/**
 * An uncaught exception (or unhandled rejection) leaves the process in an unknown state: log it as
 * one JSON line with the stack, written synchronously so it is not lost, and exit 1. In a worker,
 * the primary then starts a replacement.
 */
export function exitOnUncaughtError(role: string): void {
  const die = (kind: string, error: unknown): void => {
    const line = {
      level: 'error',
      message: `${kind}: exiting`,
      role,
      pid: process.pid,
      timestamp: new Date().toISOString(),
      error: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    };
    try {
      writeSync(1, `${JSON.stringify(line)}\n`);
    } finally {
      process.exit(1);
    }
  };
  process.on('uncaughtException', (error) => die('uncaught exception', error));
  process.on('unhandledRejection', (reason) => die('unhandled rejection', reason));
}
