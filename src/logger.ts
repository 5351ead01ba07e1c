import winston from 'winston';
import type { LogLevel } from './interfaces.js';

export type Logger = winston.Logger;

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
