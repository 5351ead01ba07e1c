import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { NextFunction, Request, Response } from 'express';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function clfDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())} +0000`;
}

function quoted(value: string | undefined): string {
  return value ? `"${value.replace(/["\\]/g, '\\$&')}"` : '"-"';
}

/** Opens the access log for appending (creating its directory); throws when it cannot. */
export function openAccessLog(file: string): WriteStream {
  mkdirSync(path.dirname(file), { recursive: true });
  return createWriteStream(file, { flags: 'a' });
}

/**
 * Writes one line per request in the Apache/NCSA combined log format (what Gunicorn writes),
 * followed by the response time in ms. Bodies are never logged.
 */
export function accessLogger(stream: WriteStream) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const length = res.getHeader('content-length');
      stream.write(
        `${req.socket.remoteAddress ?? '-'} - - [${clfDate(new Date())}] "${req.method} ${req.originalUrl} HTTP/${
          req.httpVersion
        }" ${res.statusCode} ${length === undefined ? '-' : String(length)} ${quoted(req.get('referer'))} ${quoted(
          req.get('user-agent'),
        )} ${ms.toFixed(3)}\n`,
      );
    });
    next();
  };
}
