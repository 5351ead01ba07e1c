import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { WriteStream } from 'node:fs';
import type { Logger } from '../logger.js';
import { accessLogLine } from './access-log.js';
import { isPublicRequest, unauthorizedReply, WWW_AUTHENTICATE, type BearerAuth } from './auth.js';
import { readBody } from './body.js';
import { matchRoute, PROMETHEUS_PATH, type RouteMatch } from './dispatch.js';
import { errorReply, HttpError } from './errors.js';
import type { Reply, RouteDeps } from './routes.js';

export interface ListenerOptions extends RouteDeps {
  logger: Logger;
  bodyLimitBytes: number;
  accessLog?: WriteStream;
  /** Told of every finished request (Prometheus); route is the template, not the raw path. */
  observeRequest?: (route: string, method: string, status: number, seconds: number) => void;
  /** Told when a request meets an unavailable Redis, so the outage is logged once, not per request. */
  onRedisUnavailable?: (error: unknown) => void;
  /** API tokens; absent or empty: every route is open. */
  auth?: BearerAuth;
  /** Everything that is not a SharQ route: Prometheus, 404, 405, 308 (the express app). */
  fallback: RequestListener;
}

export function writeReply(res: ServerResponse, reply: Reply): void {
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The request listener of a worker. The SharQ routes are dispatched here directly, with no
 * framework between the socket and the engine (they are the hot path); the rest goes to express.
 * Access log and HTTP metrics cover both.
 */
export function createListener(options: ListenerOptions): RequestListener {
  const { observeRequest, accessLog, fallback } = options;

  async function serve(match: RouteMatch, req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const body = match.route.hasBody ? await readBody(req, options.bodyLimitBytes) : undefined;
      writeReply(res, await match.route.handle({ params: match.params, body }, options));
    } catch (error) {
      const reply = errorReply(error);
      if (reply.status === 503) options.onRedisUnavailable?.(error);
      if (reply.internal) {
        options.logger.error('request failed', {
          method: req.method,
          route: match.route.path,
          error: error instanceof Error ? error.stack : String(error),
        });
      }
      // The unread rest of a rejected body would be parsed as the next request: close instead.
      if (error instanceof HttpError && error.status === 413) res.setHeader('connection', 'close');
      if (!res.headersSent) writeReply(res, reply);
    }
  }

  return (req, res) => {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt < 0 ? url : url.slice(0, queryAt);
    let match: RouteMatch | undefined;
    let badPath = false;
    try {
      match = matchRoute(req.method, path);
    } catch {
      badPath = true; // a malformed %-escape
    }
    if (observeRequest || accessLog) {
      const started = process.hrtime.bigint();
      const template = match?.route.path ?? (path === PROMETHEUS_PATH ? PROMETHEUS_PATH : 'unmatched');
      res.once('finish', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        observeRequest?.(template, req.method ?? '', res.statusCode, seconds);
        accessLog?.write(accessLogLine(req, res, seconds));
      });
    }
    const authorization = req.headers.authorization;
    if (options.auth?.allows(authorization) === false && !isPublicRequest(req.method, path)) {
      res.setHeader('WWW-Authenticate', WWW_AUTHENTICATE);
      writeReply(res, unauthorizedReply(authorization));
    } else if (match) void serve(match, req, res);
    else if (badPath) writeReply(res, errorReply(new HttpError(400, `malformed %-escape in path ${path}`)));
    else fallback(req, res);
  };
}
