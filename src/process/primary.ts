import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { announceListening } from './banner.js';
import { errorReply, failure, writeReply } from '../http/reply.js';
import { PROMETHEUS_PATH } from '../http/routes.js';
import { engineOptions, QueueEngine } from '../engine/engine.js';
import type { Config } from '../interfaces.js';
import { isWorkerMessage, WORKER_CONFIG_ENV } from './ipc.js';
import type { Logger } from '../logger.js';
import { errorFields, logScriptsAsEval } from '../logger.js';
import { collectInstanceMetrics, serveScrapesFromWorkers } from '../metrics/collect.js';
import { PrimaryMetrics } from '../metrics/primary-metrics.js';
import type { RedisClient } from '../redis/client.js';
import { RequeueLeader } from './requeue-leader.js';
import { DelayedPromoter } from './delayed-promoter.js';
import { workerExecArgv } from './worker-v8.js';
import { StartupError } from '../errors.js';

/** Deaths within this window count towards the respawn back-off. */
const CRASH_WINDOW_MS = 60_000;
/**
 * A worker that served this long before dying was healthy: its death is replaced at once and clears
 * the back-off, which is only for crash loops at start-up (a kill every 10 s must not leave one
 * worker serving alone for seconds).
 */
const HEALTHY_AFTER_MS = 5_000;
const MAX_RESPAWN_DELAY_MS = 30_000;

/**
 * The primary process: forks the HTTP workers (all on one port), replaces the ones that die,
 * campaigns for the requeue leadership, and coordinates shutdown. It serves no requests itself.
 */
export class Primary {
  private stopping = false;
  private readonly recentDeaths: number[] = [];
  private readonly forkedAt = new Map<number, number>();
  private readonly leader: RequeueLeader;
  private readonly promoter: DelayedPromoter;
  private readonly metrics: PrimaryMetrics;
  private metricsServer: http.Server | undefined;

  constructor(
    private readonly config: Config,
    private readonly redis: RedisClient,
    private readonly logger: Logger,
  ) {
    const engine = new QueueEngine(redis, engineOptions(config, { onScriptsAsEval: logScriptsAsEval(logger) }));
    this.metrics = new PrimaryMetrics(engine);
    this.promoter = new DelayedPromoter(engine, logger, { onPromoted: this.metrics.delayedPromoted });
    this.leader = new RequeueLeader(engine, logger, {
      requeueIntervalMs: config.sharq.jobRequeueIntervalMs,
      onLeadership: (leading) => {
        this.metrics.setLeader(leading);
        // The leader alone promotes delayed jobs on a timer (enqueue and dequeue also do, bounded).
        if (leading) this.promoter.start();
        else void this.promoter.stop();
      },
      onPass: this.metrics.requeuePass,
    });
    this.metrics.setLeader(false);
  }

  /** Forks the workers and resolves once all listen; rejects if one cannot. */
  async start(): Promise<void> {
    // Workers run their own entry module (same extension as ours: .js built, .ts under tsx).
    const self = fileURLToPath(import.meta.url);
    cluster.setupPrimary({
      exec: path.join(path.dirname(self), `worker-main${path.extname(self)}`),
      execArgv: workerExecArgv(process.execArgv, process.env.NODE_OPTIONS),
    });
    serveScrapesFromWorkers(this.metrics.registry, () => this.metrics.readRedisGauges());
    cluster.on('exit', (worker, code, signal) => this.onWorkerExit(worker, code, signal));
    const listening = Array.from({ length: this.config.server.workers }, () => this.fork());
    await Promise.all(listening);
    if (this.config.server.metricsPort !== undefined) await this.startMetricsServer(this.config.server.metricsPort);
    announceListening(this.logger, this.config.server.host, this.config.server.port);
    this.logger.info('workers listening', { workers: this.config.server.workers, port: this.config.server.port });
    this.leader.start();
    process.on('SIGTERM', () => void this.shutdown('SIGTERM'));
    process.on('SIGINT', () => void this.shutdown('SIGINT'));
  }

  /** Forks a worker; resolves with it once it listens. */
  private fork(): Promise<Worker> {
    const worker = cluster.fork({ [WORKER_CONFIG_ENV]: JSON.stringify(this.config) });
    this.forkedAt.set(worker.id, Date.now());
    return new Promise((resolve, reject) => {
      worker.on('message', (message: unknown) => {
        if (!isWorkerMessage(message)) return;
        if (message.type === 'sharq:listening') resolve(worker);
        else reject(new StartupError(message.message));
      });
      worker.once('exit', () => reject(new StartupError(`worker ${worker.id} exited before listening`)));
    });
  }

  private onWorkerExit(worker: Worker, code: number | null, signal: string | null): void {
    if (this.stopping) return;
    const now = Date.now();
    const servedMs = now - (this.forkedAt.get(worker.id) ?? now);
    this.forkedAt.delete(worker.id);
    if (servedMs >= HEALTHY_AFTER_MS) this.recentDeaths.length = 0;
    else this.recentDeaths.push(now);
    while ((this.recentDeaths[0] ?? now) < now - CRASH_WINDOW_MS) this.recentDeaths.shift();
    // Back off exponentially while workers keep dying young, so a crash loop does not spin the CPU.
    const delay =
      this.recentDeaths.length === 0 ? 0 : Math.min(MAX_RESPAWN_DELAY_MS, 100 * 2 ** (this.recentDeaths.length - 1));
    this.logger.error('worker died; starting a replacement', {
      worker: worker.id,
      exitCode: code,
      signal,
      servedMs,
      restartInMs: delay,
    });
    setTimeout(() => {
      if (this.stopping) return;
      this.fork().then(
        (replacement) => this.logger.info('replacement worker listening', { worker: replacement.id, workerPid: replacement.process.pid }),
        (error: unknown) => this.logger.error('replacement worker failed to start', errorFields(error)),
      );
    }, delay);
  }

  private startMetricsServer(port: number): Promise<void> {
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== PROMETHEUS_PATH) {
        writeReply(res, failure(404, `only GET ${PROMETHEUS_PATH} is served on metrics_port`));
        return;
      }
      void this.metrics
        .readRedisGauges()
        .then(() => collectInstanceMetrics(this.metrics.registry))
        .then(({ text, contentType }) => res.writeHead(200, { 'content-type': contentType }).end(text))
        .catch((error: unknown) => {
          this.logger.error('metrics scrape failed', errorFields(error));
          writeReply(res, errorReply(error));
        });
    });
    this.metricsServer = server;
    return new Promise((resolve, reject) => {
      server.once('error', (error) => reject(new StartupError(`cannot listen on metrics_port ${port}: ${error.message}`)));
      server.listen(port, this.config.server.host, () => resolve());
    });
  }

  /** Stops the workers gracefully, releases the leader lock, exits 0; a second signal exits at once. */
  async shutdown(signal: string): Promise<void> {
    if (this.stopping) {
      this.logger.warn(`second ${signal}: exiting now`);
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }
    this.stopping = true;
    this.logger.info(`${signal} received: shutting down`);
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    const exited = Promise.all(
      workers.map((w) => (w.isDead() ? Promise.resolve() : new Promise<void>((resolve) => w.once('exit', () => resolve())))),
    );
    for (const worker of workers) if (worker.isConnected()) worker.send({ type: 'sharq:shutdown' });
    this.metricsServer?.close();
    await this.promoter.stop();
    await this.leader.stop();
    const grace = this.config.server.shutdownTimeoutMs + 2000;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), grace).unref()),
    ]);
    if (timedOut) {
      this.logger.warn('workers did not stop in time: killing them');
      for (const worker of workers) worker.process.kill('SIGKILL');
    }
    await this.redis.quit().catch(() => undefined);
    this.logger.info('stopped');
    process.exit(0);
  }
}
