// The one request path of a worker: resolve the route from the table, read the body, run the
// handler (or hand an operational route to express), write the reply, log and count it.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { WriteStream } from 'node:fs';
import { HttpError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RequestSpan, RequestTracer } from '../tracing/request-tracer.js';
import { accessLogLine } from './access-log.js';
import { unauthorizedReply, type BearerAuth } from './auth.js';
import { readBody } from './body.js';
import { errorReply, writeReply } from './reply.js';
import { RouteResolver } from './resolve.js';
import type { Handler, Route, RouteDeps, RouteInput } from './types.js';

export interface ListenerOptions extends RouteDeps {
  logger: Logger;
  bodyLimitBytes: number;
  accessLog?: WriteStream;
  /** Told of every finished request (Prometheus); route is the template, not the raw path. */
  observeRequest?: (route: string, method: string, status: number, seconds: number) => void;
  /** Told when a request meets an unavailable Redis, so the outage is logged once, not per request. */
  onRedisUnavailable?: (error: unknown) => void;
  /** API tokens (SPEC 5.8); absent or without tokens: every route is open. */
  auth?: BearerAuth;
  /** Serves the table's `serve: 'express'` routes. */
  express: RequestListener;
  resolver?: RouteResolver;
  /** Makes a span of every request (SPEC 5.16); absent when tracing is off, so a request pays one check. */
  tracer?: RequestTracer;
}

/** A header as one string (node gives set-cookie only as an array; others come joined already). */
function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Ends the request's span once the reply is out or the connection is gone, with what is known by then. */
function endSpanOnClose(span: RequestSpan, req: IncomingMessage, res: ServerResponse, known: () => { route?: string; queueType?: string }): void {
  res.once('close', () => {
    span.end({
      method: req.method ?? '',
      ...known(),
      status: res.writableFinished ? res.statusCode : undefined,
      traceparent: headerOf(req, 'traceparent'),
      tracestate: headerOf(req, 'tracestate'),
    });
  });
}

function clientGone(res: ServerResponse): () => AbortSignal {
  let controller: AbortController | undefined;
  return () => {
    if (!controller) {
      const made = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) made.abort();
      });
      controller = made;
    }
    return controller.signal;
  };
}

export function createListener(options: ListenerOptions): RequestListener {
  const { observeRequest, accessLog, logger, tracer } = options;
  const resolver = options.resolver ?? new RouteResolver();

  function fail(error: unknown, req: IncomingMessage, res: ServerResponse, route: string): void {
    const reply = errorReply(error);
    if (reply.status === 503) options.onRedisUnavailable?.(error);
    if (reply.internal) {
      logger.error('request failed', { method: req.method, route, error: error instanceof Error ? error.stack : String(error) });
    }
    // The unread rest of a rejected body would be parsed as the next request: close instead.
    if (error instanceof HttpError && error.status === 413) res.setHeader('connection', 'close');
    if (!res.headersSent) writeReply(res, reply);
    else res.destroy();
  }

  async function serve(handler: Handler, route: Route, input: RouteInput, req: IncomingMessage, res: ServerResponse) {
    try {
      if (route.body) input.body = await readBody(req, options.bodyLimitBytes);
      writeReply(res, await handler(input, options));
    } catch (error) {
      fail(error, req, res, route.path);
    }
  }

  return (req, res) => {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt < 0 ? url : url.slice(0, queryAt);
    const query = queryAt < 0 ? '' : url.slice(queryAt + 1);
    let template = 'unmatched';
    let params: Record<string, string> | undefined;
    const span = tracer?.start();
    if (span !== undefined) {
      endSpanOnClose(span, req, res, () => (params === undefined ? {} : { route: template, queueType: params.queue_type }));
    }
    if (observeRequest || accessLog) {
      const started = process.hrtime.bigint();
      res.once('finish', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        observeRequest?.(template, req.method ?? '', res.statusCode, seconds);
        accessLog?.write(accessLogLine(req, res, seconds));
      });
    }
    let resolution;
    try {
      resolution = resolver.resolve(req.method, path, query);
    } catch (error) {
      fail(error, req, res, template);
      return;
    }
    if (resolution.kind === 'reply') {
      writeReply(res, resolution.reply);
      return;
    }
    const { route } = resolution;
    params = resolution.params;
    template = route.path;
    // 404/405/308/OPTIONS above tell only what the public route table says; routes need a token.
    if (!route.public && options.auth?.allows(req.headers.authorization) === false) {
      writeReply(res, unauthorizedReply(req.headers.authorization));
      return;
    }
    if (route.serve === 'express') options.express(req, res);
    else {
      const header = (name: string): string | undefined => headerOf(req, name);
      void serve(route.serve, route, { params, query, clientGone: clientGone(res), header, span }, req, res);
    }
  };
}
