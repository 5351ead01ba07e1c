import cluster from 'node:cluster';
import http, { type RequestListener } from 'node:http';
import type { WriteStream } from 'node:fs';
import type { Socket } from 'node:net';
import { engineOptions, QueueEngine } from '../engine/engine.js';
import { BearerAuth } from '../http/auth.js';
import { createListener } from '../http/listener.js';
import { logRequestsAtHttpLevel, openAccessLog } from '../http/access-log.js';
import type { Config } from '../interfaces.js';
import { isPrimaryMessage, type WorkerMessage } from './ipc.js';
import { createLogger, errorFields, exitOnUncaughtErrors, logScriptsAsEval } from '../logger.js';
import { answerMetricsRequests, scrapeInstance } from '../metrics/collect.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import { WaitBatchMetrics } from '../metrics/wait-batch-metrics.js';
import { createLongPoll } from '../wake/long-poll.js';
import { createRedis, describeRedis } from '../redis/client.js';
import { RedisStatus } from '../redis/status.js';
import { loadRequestTracer } from '../tracing/load.js';
import { compactWhenQuiet } from './worker-v8.js';

function tell(message: WorkerMessage): void {
  process.send?.(message);
}

/** One HTTP worker: serves the API on the shared port until told to stop. */
export async function runWorker(config: Config): Promise<void> {
  const logger = createLogger(config.server.logLevel, `worker-${cluster.worker?.id ?? 0}`);
  exitOnUncaughtErrors(logger);
  const redis = createRedis(config.redis, {
    connectionName: 'sharq-worker',
    commandTimeoutMs: config.server.redisCommandTimeoutMs,
  });
  const status = new RedisStatus(redis, logger, describeRedis(config.redis));
  // Listen once Redis is ready, so the first requests do not meet a connection still opening. If
  // it does not come within the start-up wait, listen anyway: ioredis keeps retrying and requests
  // get 503 until it is back.
  await Promise.race([
    redis.connect().catch(() => undefined),
    new Promise((resolve) => setTimeout(resolve, config.server.redisStartupTimeoutMs).unref()),
  ]);

  const metrics = new WorkerMetrics(() => status.isUp);
  answerMetricsRequests(metrics.registry);
  const engine = new QueueEngine(
    redis,
    engineOptions(config, { observeCommand: metrics.redisCommand, onRefused: metrics.refused, onScriptsAsEval: logScriptsAsEval(logger) }),
  );
  const waitBatchMetrics = new WaitBatchMetrics(metrics.registry);
  const longPoll = createLongPoll(
    config,
    engine,
    { onWaiting: waitBatchMetrics.waiting, onAnswered: waitBatchMetrics.answered },
    logger,
  );

  // The OpenTelemetry SDK is imported here only when tracing is on (SPEC 5.16).
  const tracer = await loadRequestTracer(config.tracing, logger);

  let accessLog: WriteStream | undefined;
  if (config.server.accesslog) accessLog = openAccessLog(config.server.accesslog);

  // express (and what it pulls in) is loaded on the first operational request, not at start: an
  // idle worker that only serves the SharQ API never pays its memory.
  let operational: Promise<RequestListener> | undefined;
  const express: RequestListener = (req, res) => {
    operational ??= import('../http/app.js').then((m) => m.createOperationalApp({ logger, prometheus: () => scrapeInstance() }));
    void operational.then((app) => app(req, res));
  };
  const listener = createListener({
    engine,
    logger,
    bodyLimitBytes: config.server.bodyLimitBytes,
    auth: new BearerAuth(config.server.authTokens),
    accessLog,
    onJobEvent: metrics.jobEvent,
    room: longPoll.room,
    limits: { maxWaitMs: config.server.maxWaitMs, maxBatch: config.server.maxBatch },
    onBatchSize: waitBatchMetrics.batchSize,
    observeRequest: accessLog ? metrics.request : logRequestsAtHttpLevel(logger, metrics.request),
    onRedisUnavailable: status.markDown,
    express,
    tracer,
  });

  const { headersTimeoutMs, requestTimeoutMs } = config.server;
  const server = http.createServer(
    {
      // Slow clients (headers trickled, bodies never finished) are cut off after these, answered 408,
      // so they hold no socket and no memory for long; checked at least every second.
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, headersTimeoutMs),
    },
    listener,
  );
  // Longer than common load balancers' idle timeouts, so they close first and never hit a closing socket.
  server.keepAliveTimeout = 65_000;
  server.on('error', (error) => {
    tell({ type: 'sharq:listen-error', message: `cannot listen on ${config.server.host}:${config.server.port}: ${error.message}` });
    process.exit(1);
  });
  // Requests too malformed for node:http's parser (before any route sees them) still get a JSON error, never Node's bare 400.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    // headers_timeout runs from the moment a connection opens. One that has not sent a byte yet holds
    // no request to answer: it is closed without a word, as an idle keep-alive connection is. Clients
    // open pooled connections ahead of use (undici does after an aborted request), and a 408 written on
    // one would be read as the answer to a request sent on it at that moment, which is then lost.
    if (timedOut && (socket as Socket).bytesRead === 0) {
      socket.destroy();
      return;
    }
    const status = timedOut
      ? '408 Request Timeout'
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : '400 Bad Request';
    const message = timedOut
      ? 'request not received in time (headers_timeout / request_timeout)'
      : `malformed HTTP request: ${error.code ?? error.message}`;
    const body = JSON.stringify({ status: 'failure', message });
    // Closed once the reply is out, reading nothing more: the rest of a request cut off with a 408 may
    // still arrive, and must not be served after the client was told it was not.
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  });
  server.listen(config.server.port, config.server.host, () => {
    tell({ type: 'sharq:listening' });
    compactWhenQuiet();
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      logger.info('stopping: finishing in-flight requests');
      // Long-polling requests are answered (404) now: a wait never holds up a shutdown.
      await longPoll.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), config.server.shutdownTimeoutMs).unref(),
      );
      if ((await Promise.race([closed, deadline])) === 'timeout') {
        logger.warn('shutdown timeout reached: closing remaining connections');
        server.closeAllConnections();
      }
      status.closing();
      // The spans of the last requests go out now; a collector that does not answer holds the exit 2 s at most.
      if (tracer !== undefined) {
        await Promise.race([
          tracer.shutdown().catch((error: unknown) => logger.debug('tracing shutdown failed', errorFields(error))),
          new Promise((resolve) => setTimeout(resolve, 2000).unref()),
        ]);
      }
      await redis.quit().catch((error: unknown) => logger.debug('redis quit failed', errorFields(error)));
      accessLog?.end();
      process.exit(0);
    })();
    return stopping;
  };
  process.on('message', (message: unknown) => {
    if (isPrimaryMessage(message)) void stop();
  });
  // A signal sent to the whole process group (Ctrl-C) reaches workers too; the primary coordinates.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => void stop());
  // The primary is gone (killed): do not linger as an orphan holding the port.
  process.on('disconnect', () => void stop());
  // Keep-alive connections idle during shutdown are closed as soon as their response is done.
  server.on('request', (_req, res) => {
    if (stopping) res.setHeader('Connection', 'close');
  });
}
