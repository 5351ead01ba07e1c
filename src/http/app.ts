import express, { type NextFunction, type Request, type Response } from 'express';
import type { WriteStream } from 'node:fs';
import type { Logger } from '../logger.js';
import { accessLogger } from './access-log.js';
import { errorReply, HttpError } from './errors.js';
import { ROUTES, type Reply, type RouteDeps } from './routes.js';

export interface AppOptions extends RouteDeps {
  logger: Logger;
  bodyLimitBytes: number;
  accessLog?: WriteStream;
  /** Told of every finished request (Prometheus); route is the template, not the raw path. */
  observeRequest?: (route: string, method: string, status: number, seconds: number) => void;
  /** Serves GET /metrics (Prometheus text); absent: 404. */
  prometheus?: (req: Request, res: Response) => Promise<void>;
  /** Told when a request meets an unavailable Redis, so the outage is logged once, not per request. */
  onRedisUnavailable?: (error: unknown) => void;
}

interface CompiledRoute {
  method: string;
  path: string;
  pattern: RegExp;
}

function compile(path: string, method: string): CompiledRoute {
  return { method, path, pattern: new RegExp(`^${path.replace(/:[a-z_]+/g, '[^/]+')}$`) };
}

const KNOWN: readonly CompiledRoute[] = [
  ...ROUTES.map((r) => compile(r.path, r.method)),
  compile('/metrics', 'GET'),
];

function send(res: Response, reply: Reply): void {
  res.status(reply.status).type('application/json');
  res.send(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
}

/** The express app of one worker: the SharQ routes, Prometheus, and JSON for every error. */
export function createApp(options: AppOptions): express.Express {
  const app = express();
  app.set('strict routing', true);
  app.set('case sensitive routing', true);
  app.set('x-powered-by', false);
  app.set('etag', false);

  if (options.accessLog) app.use(accessLogger(options.accessLog));

  const templateOf = new WeakMap<Request, string>();
  if (options.observeRequest) {
    const observe = options.observeRequest;
    app.use((req, res, next) => {
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        observe(templateOf.get(req) ?? 'unmatched', req.method, res.statusCode, seconds);
      });
      next();
    });
  }

  const readBody = express.raw({ type: () => true, limit: options.bodyLimitBytes });
  for (const route of ROUTES) {
    if (route.unsafe) {
      // A HEAD (monitoring probe, link checker) would otherwise take a job and throw it away.
      app.head(route.path, (req: Request, res: Response) => {
        templateOf.set(req, route.path);
        res.setHeader('Allow', route.method);
        send(res, { status: 405, body: { status: 'failure', message: `method HEAD not allowed on ${req.path}; allowed: ${route.method}` } });
      });
    }
    const handlers = [
      (req: Request, _res: Response, next: NextFunction) => {
        templateOf.set(req, route.path);
        next();
      },
      ...(route.hasBody ? [readBody] : []),
      async (req: Request, res: Response, next: NextFunction) => {
        try {
          send(res, await route.handle(req, options));
        } catch (error) {
          next(error);
        }
      },
    ];
    app[route.method === 'GET' ? 'get' : route.method === 'POST' ? 'post' : 'delete'](route.path, ...handlers);
  }

  if (options.prometheus) {
    const serve = options.prometheus;
    app.get('/metrics', async (req, res, next) => {
      templateOf.set(req, '/metrics');
      try {
        await serve(req, res);
      } catch (error) {
        next(error);
      }
    });
  }

  // No route took it: a known path without its trailing slash is redirected, a known path with
  // another method is a 405, anything else a 404.
  app.use((req: Request, res: Response) => {
    const matching = KNOWN.filter((r) => r.pattern.test(req.path));
    if (matching.length > 0) {
      const allow = [...new Set(matching.map((r) => r.method))].join(', ');
      res.setHeader('Allow', allow);
      send(res, { status: 405, body: { status: 'failure', message: `method ${req.method} not allowed on ${req.path}; allowed: ${allow}` } });
      return;
    }
    if (!req.path.endsWith('/') && KNOWN.some((r) => r.pattern.test(`${req.path}/`))) {
      const queryAt = req.originalUrl.indexOf('?');
      const location = `${req.path}/${queryAt >= 0 ? req.originalUrl.slice(queryAt) : ''}`;
      // 308 keeps the method and body, so a POST without its trailing slash still works.
      res.setHeader('Location', location);
      send(res, { status: 308, body: { status: 'redirect', location } });
      return;
    }
    send(res, { status: 404, body: { status: 'failure', message: `no such route: ${req.method} ${req.path}` } });
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const reply = toReply(error);
    if (reply.status === 503) options.onRedisUnavailable?.(error);
    if (reply.internal) {
      options.logger.error('request failed', {
        method: req.method,
        route: templateOf.get(req),
        error: error instanceof Error ? error.stack : String(error),
      });
    }
    if (res.headersSent) return;
    send(res, reply);
  });
  return app;
}

/** Errors of express and body-parser carry a 4xx status (413, 400...); the rest go through errorReply. */
function toReply(error: unknown): ReturnType<typeof errorReply> {
  const status = typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : NaN;
  if (status === 413) {
    const limit = (error as { limit?: number }).limit;
    return errorReply(new HttpError(413, `request body too large: the limit is ${limit ?? '?'} bytes`));
  }
  if (status >= 400 && status < 500) {
    return errorReply(new HttpError(status, error instanceof Error ? error.message : 'bad request'));
  }
  return errorReply(error);
}
