// express has one job here: the operational routes that the table marks `serve: 'express'`
// (Prometheus text and the console's static files), where its response helpers and static
// serving earn their keep. The SharQ API never passes
// through it, and the table (not express) decides 404/405/308/OPTIONS before it is called.
import express, { type NextFunction, type Request, type Response } from 'express';
import { HttpError } from '../errors.js';
import type { Logger } from '../logger.js';
import { mountConsole } from './console-static.js';
import { errorReply, failure, writeReply } from './reply.js';
import { PROMETHEUS_PATH } from './routes.js';

export interface OperationalOptions {
  logger: Logger;
  /** The instance's Prometheus text (aggregated over all workers). */
  prometheus: () => Promise<{ text: string; contentType: string }>;
}

export function createOperationalApp(options: OperationalOptions): express.Express {
  const app = express();
  app.set('strict routing', true);
  app.set('case sensitive routing', true);
  app.set('x-powered-by', false);
  app.set('etag', false);

  app.get(PROMETHEUS_PATH, async (_req, res, next) => {
    try {
      const { text, contentType } = await options.prometheus();
      res.status(200).type(contentType).send(text);
    } catch (error) {
      next(error);
    }
  });

  mountConsole(app);

  // Only reached if a table entry says 'express' but no handler here serves it.
  app.use((req: Request, res: Response) => writeReply(res, failure(404, `no such route: ${req.method} ${req.path}`)));

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    // express's own errors carry a 4xx status (a bad %-escape is 400).
    const status = typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : NaN;
    const reply = errorReply(status >= 400 && status < 500 ? new HttpError(status, (error as Error).message) : error);
    if (reply.internal) {
      options.logger.error('request failed', { method: req.method, path: req.path, error: error instanceof Error ? error.stack : String(error) });
    }
    if (!res.headersSent) writeReply(res, reply);
  });
  return app;
}
