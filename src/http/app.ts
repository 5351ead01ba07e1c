import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../logger.js';
import { allowedMethods, missesTrailingSlash, PROMETHEUS_PATH } from './dispatch.js';
import { errorReply, HttpError } from './errors.js';
import { writeReply } from './listener.js';
import { mountConsole } from './console-static.js';

export interface FallbackOptions {
  logger: Logger;
  /** Serves GET /metrics (Prometheus text); absent: 404. */
  prometheus?: (req: Request, res: Response) => Promise<void>;
}

/**
 * The express app behind the SharQ routes (src/http/listener.ts dispatches those itself):
 * Prometheus, and a JSON answer for everything else — 405 for a known path with another method,
 * 308 for a known path without its trailing slash, 404 otherwise.
 */
export function createFallbackApp(options: FallbackOptions): express.Express {
  const app = express();
  app.set('strict routing', true);
  app.set('case sensitive routing', true);
  app.set('x-powered-by', false);
  app.set('etag', false);

  if (options.prometheus) {
    const serve = options.prometheus;
    app.get(PROMETHEUS_PATH, async (req, res, next) => {
      try {
        await serve(req, res);
      } catch (error) {
        next(error);
      }
    });
  }

  mountConsole(app);

  app.use((req: Request, res: Response) => {
    const allowed = allowedMethods(req.path);
    if (allowed.length > 0) {
      const allow = allowed.join(', ');
      res.setHeader('Allow', allow);
      writeReply(res, {
        status: 405,
        body: { status: 'failure', message: `method ${req.method} not allowed on ${req.path}; allowed: ${allow}` },
      });
      return;
    }
    if (missesTrailingSlash(req.path)) {
      const queryAt = req.originalUrl.indexOf('?');
      const location = `${req.path}/${queryAt >= 0 ? req.originalUrl.slice(queryAt) : ''}`;
      // 308 keeps the method and body, so a POST without its trailing slash still works.
      res.setHeader('Location', location);
      writeReply(res, { status: 308, body: { status: 'redirect', location } });
      return;
    }
    writeReply(res, { status: 404, body: { status: 'failure', message: `no such route: ${req.method} ${req.path}` } });
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const reply = toReply(error);
    if (reply.internal) {
      options.logger.error('request failed', { method: req.method, path: req.path, error: error instanceof Error ? error.stack : String(error) });
    }
    if (!res.headersSent) writeReply(res, reply);
  });
  return app;
}

/** Errors of express carry a 4xx status (a bad %-escape is 400); the rest go through errorReply. */
function toReply(error: unknown): ReturnType<typeof errorReply> {
  const status = typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : NaN;
  if (status >= 400 && status < 500) {
    return errorReply(new HttpError(status, error instanceof Error ? error.message : 'bad request'));
  }
  return errorReply(error);
}
