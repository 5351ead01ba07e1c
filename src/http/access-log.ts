import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Logger } from '../logger.js';

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

/** `accesslog : -` means stdout, as in gunicorn: what containers collect. */
export const ACCESS_LOG_STDOUT = '-';

/**
 * Opens the access log for appending (creating its directory); throws when it cannot. `-` is
 * stdout (fd 1, never closed by end()); each line is one write, under PIPE_BUF, so lines from
 * several workers and the JSON log do not tear each other.
 */
export function openAccessLog(file: string): WriteStream {
  if (file === ACCESS_LOG_STDOUT) return createWriteStream('/dev/stdout', { fd: 1, autoClose: false });
  mkdirSync(path.dirname(file), { recursive: true });
  return createWriteStream(file, { flags: 'a' });
}

/**
 * Without an access log, each request is logged at the `http` level (route template, not the
 * raw path: ids stay out of the logs) when the log level shows it.
 */
export function logRequestsAtHttpLevel(
  logger: Logger,
  observe: (route: string, method: string, status: number, seconds: number) => void,
): (route: string, method: string, status: number, seconds: number) => void {
  if (!logger.isLevelEnabled('http')) return observe;
  return (route, method, status, seconds) => {
    observe(route, method, status, seconds);
    logger.http('request', { method, route, status, ms: Number((seconds * 1000).toFixed(3)) });
  };
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
