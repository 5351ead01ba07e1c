import { writeSync } from 'node:fs';
import winston from 'winston';
import type { LogLevel } from './interfaces.js';

export type Logger = winston.Logger;

/** Where winston keeps the formatted line of a log entry (logform's MESSAGE symbol). */
const FORMATTED = Symbol.for('message');

/**
 * One JSON object a line on stdout for log shippers; a readable line when a person watches a TTY.
 * Every line carries the process role and pid, since a primary and its workers share stdout.
 */
export function createLogger(level: LogLevel, role: string): Logger {
  const human = process.stdout.isTTY === true;
  return winston.createLogger({
    level,
    defaultMeta: { role, pid: process.pid },
    format: human
      ? winston.format.combine(
          winston.format.timestamp(),
          winston.format.colorize(),
          winston.format.printf(({ timestamp, level: lvl, message, role: r, pid, ...rest }) => {
            const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
            return `${String(timestamp)} ${lvl} [${String(r)} ${String(pid)}] ${String(message)}${extra}`;
          }),
        )
      : winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console()],
  });
}

/** An Error as loggable fields, without its stack unless asked (stacks go to debug only). */
export function errorFields(error: unknown): { error: string } {
  return { error: error instanceof Error ? error.message : String(error) };
}

/**
 * Writes one entry synchronously, formatted as the logger formats it: for the last words of a
 * process about to exit, which winston's stream pipeline might not flush in time.
 */
export function logSync(logger: Logger, level: LogLevel, message: string, fields: Record<string, unknown>): void {
  const entry = { ...logger.defaultMeta, ...fields, level, message } as winston.Logform.TransformableInfo;
  const formatted = logger.format.transform(entry, {});
  const line = formatted === false ? undefined : (formatted as unknown as Record<symbol, unknown>)[FORMATTED];
  writeSync(1, `${typeof line === 'string' ? line : JSON.stringify({ ...fields, level, message })}\n`);
}

/**
 * An uncaught exception or unhandled rejection leaves the process in an unknown state: log it as
 * one entry with its stack, then exit 1 (the primary replaces a worker that dies).
 */
export function exitOnUncaughtErrors(logger: Logger): void {
  const die = (kind: string, error: unknown): void => {
    const fields =
      error instanceof Error
        ? { error: error.message, errorName: error.name, stack: error.stack ?? '' }
        : { error: String(error) };
    try {
      logSync(logger, 'error', `${kind}: exiting`, fields);
    } finally {
      process.exit(1);
    }
  };
  process.on('uncaughtException', (error) => die('uncaught exception', error));
  process.on('unhandledRejection', (reason) => die('unhandled rejection', reason));
}
