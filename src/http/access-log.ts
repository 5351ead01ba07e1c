import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function clfDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())} +0000`;
}

function quoted(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? value.join(', ') : value;
  return text ? `"${text.replace(/["\\]/g, '\\$&')}"` : '"-"';
}

/** Opens the access log for appending (creating its directory); throws when it cannot. */
export function openAccessLog(file: string): WriteStream {
  mkdirSync(path.dirname(file), { recursive: true });
  return createWriteStream(file, { flags: 'a' });
}

/**
 * One line in the Apache/NCSA combined log format (what Gunicorn writes), followed by the
 * response time in ms. Bodies are never logged.
 */
export function accessLogLine(req: IncomingMessage, res: ServerResponse, seconds: number): string {
  const length = res.getHeader('content-length');
  return (
    `${req.socket.remoteAddress ?? '-'} - - [${clfDate(new Date())}] "${req.method ?? '-'} ${req.url ?? '-'} HTTP/${
      req.httpVersion
    }" ${res.statusCode} ${length === undefined ? '-' : String(length)} ${quoted(req.headers.referer)} ${quoted(
      req.headers['user-agent'],
    )} ${(seconds * 1000).toFixed(3)}\n`
  );
}
