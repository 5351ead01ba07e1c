import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type winston from 'winston';
import type { LogLevel } from './interfaces.js';

/** Where winston keeps the formatted line of a log entry (logform's MESSAGE symbol). */
const FORMATTED = Symbol.for('message');

/** winston's npm levels (lower is more severe), for the ones this server logs at. */
const SEVERITY: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, http: 3, debug: 5 };

const requireCjs = createRequire(import.meta.url);

type LogMethod = (message: string, ...meta: unknown[]) => void;

/** What the server's modules log through: a winston logger, or the LazyLogger in front of one. */
export interface Logger {
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  http: LogMethod;
  debug: LogMethod;
  isLevelEnabled(level: LogLevel): boolean;
}

/**
 * A winston logger built on its first entry at an enabled level. A worker that serves requests
 * logs nothing unless something goes wrong (or the level is http/debug), so it never loads
 * winston and its dependencies: about 4 MiB of RSS per worker.
 */
export class LazyLogger implements Logger {
  private built: winston.Logger | undefined;

  constructor(
    readonly level: LogLevel,
    private readonly role: string,
  ) {}

  readonly error: LogMethod = (message, ...meta) => this.log('error', message, meta);
  readonly warn: LogMethod = (message, ...meta) => this.log('warn', message, meta);
  readonly info: LogMethod = (message, ...meta) => this.log('info', message, meta);
  readonly http: LogMethod = (message, ...meta) => this.log('http', message, meta);
  readonly debug: LogMethod = (message, ...meta) => this.log('debug', message, meta);

  isLevelEnabled(level: LogLevel): boolean {
    return SEVERITY[level] <= SEVERITY[this.level];
  }

  /** The winston logger itself, built now if it was not yet. */
  winston(): winston.Logger {
    this.built ??= buildWinston(this.level, this.role);
    return this.built;
  }

  private log(level: LogLevel, message: string, meta: unknown[]): void {
    if (this.isLevelEnabled(level)) this.winston()[level](message, ...meta);
  }
}

/**
 * One JSON object a line on stdout for log shippers; a readable line when a person watches a TTY.
 * Every line carries the process role and pid, since a primary and its workers share stdout.
 */
function buildWinston(level: LogLevel, role: string): winston.Logger {
  // Synchronous, so the entry that builds the logger is written in its turn (winston is CommonJS).
  const w = requireCjs('winston') as typeof winston;
  const human = process.stdout.isTTY === true;
  return w.createLogger({
    level,
    defaultMeta: { role, pid: process.pid },
    format: human
      ? w.format.combine(
          w.format.timestamp(),
          w.format.colorize(),
          w.format.printf(({ timestamp, level: lvl, message, role: r, pid, ...rest }) => {
            const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
            return `${String(timestamp)} ${lvl} [${String(r)} ${String(pid)}] ${String(message)}${extra}`;
          }),
        )
      : w.format.combine(w.format.timestamp(), w.format.json()),
    transports: [new w.transports.Console()],
  });
}

export function createLogger(level: LogLevel, role: string): LazyLogger {
  return new LazyLogger(level, role);
}

/** The engine's hook for a Redis that cannot run the scripts as functions: one line per connection. */
export function logScriptsAsEval(logger: Logger): (reason: string) => void {
  return (reason) => logger.info('scripts run by EVALSHA: Redis cannot run them as functions', { reason });
}

/** An Error as loggable fields, without its stack unless asked (stacks go to debug only). */
export function errorFields(error: unknown): { error: string } {
  return { error: error instanceof Error ? error.message : String(error) };
}

/**
 * Writes one entry synchronously, formatted as the logger formats it: for the last words of a
 * process about to exit, which winston's stream pipeline might not flush in time.
 */
export function logSync(logger: LazyLogger, level: LogLevel, message: string, fields: Record<string, unknown>): void {
  const built = logger.winston();
  const entry = { ...built.defaultMeta, ...fields, level, message } as winston.Logform.TransformableInfo;
  const formatted = built.format.transform(entry, {});
  const line = formatted === false ? undefined : (formatted as unknown as Record<symbol, unknown>)[FORMATTED];
  writeSync(1, `${typeof line === 'string' ? line : JSON.stringify({ ...fields, level, message })}\n`);
}

/**
 * An uncaught exception or unhandled rejection leaves the process in an unknown state: log it as
 * one entry with its stack, then exit 1 (the primary replaces a worker that dies).
 */
export function exitOnUncaughtErrors(logger: LazyLogger): void {
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
