// Prometheus across node:cluster workers: the primary asks every worker for its registry over IPC,
// adds its own, and sums them with prom-client's aggregator. A worker that does not answer within
// the deadline is left out of that scrape rather than failing it.
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

export const METRICS_REQUEST = 'sharq:metrics-request';
export const METRICS_REPLY = 'sharq:metrics-reply';
export const SCRAPE_REQUEST = 'sharq:scrape-request';
export const SCRAPE_REPLY = 'sharq:scrape-reply';

export interface MetricsRequest {
  type: typeof METRICS_REQUEST;
  id: number;
}
export interface MetricsReply {
  type: typeof METRICS_REPLY;
  id: number;
  metrics: MetricsJson;
}
export interface ScrapeRequest {
  type: typeof SCRAPE_REQUEST;
  id: number;
}
export interface ScrapeReply {
  type: typeof SCRAPE_REPLY;
  id: number;
  text: string;
  contentType: string;
}

function isMessage<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}

const WORKER_REPLY_TIMEOUT_MS = 3000;
let nextId = 0;

/** In the primary: the Prometheus text of the whole instance. */
export async function collectInstanceMetrics(own: Registry): Promise<{ text: string; contentType: string }> {
  const id = nextId++;
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected());
  const replies = await Promise.all(
    workers.map(
      (worker) =>
        new Promise<MetricsJson | undefined>((resolve) => {
          const timer = setTimeout(() => finish(undefined), WORKER_REPLY_TIMEOUT_MS);
          function finish(value: MetricsJson | undefined): void {
            clearTimeout(timer);
            worker.off('message', onMessage);
            resolve(value);
          }
          function onMessage(message: unknown): void {
            if (isMessage<MetricsReply>(message, METRICS_REPLY) && message.id === id) finish(message.metrics);
          }
          worker.on('message', onMessage);
          const request: MetricsRequest = { type: METRICS_REQUEST, id };
          worker.send(request);
        }),
    ),
  );
  const all = [...replies.filter((r): r is MetricsJson => r !== undefined), (await own.getMetricsAsJSON()) as MetricsJson];
  const aggregated = AggregatorRegistry.aggregate(all);
  return { text: await aggregated.metrics(), contentType: aggregated.contentType };
}

/** In the primary: answer workers that were scraped on the main port. */
export function serveScrapesFromWorkers(own: Registry, beforeCollect: () => Promise<void>): void {
  cluster.on('message', (worker, message: unknown) => {
    if (!isMessage<ScrapeRequest>(message, SCRAPE_REQUEST)) return;
    void beforeCollect()
      .then(() => collectInstanceMetrics(own))
      .then(({ text, contentType }) => {
        const reply: ScrapeReply = { type: SCRAPE_REPLY, id: message.id, text, contentType };
        if (worker.isConnected()) worker.send(reply);
      });
  });
}

/** In a worker: hand our registry to the primary when it asks. */
export function answerMetricsRequests(registry: Registry): void {
  process.on('message', (message: unknown) => {
    if (!isMessage<MetricsRequest>(message, METRICS_REQUEST)) return;
    void registry.getMetricsAsJSON().then((metrics) => {
      const reply: MetricsReply = { type: METRICS_REPLY, id: message.id, metrics: metrics as MetricsJson };
      process.send?.(reply);
    });
  });
}

/** In a worker: ask the primary for the instance's metrics (served on GET /metrics). */
export function scrapeInstance(timeoutMs = 8000): Promise<{ text: string; contentType: string }> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error(`the primary did not return metrics within ${timeoutMs} ms`));
    }, timeoutMs);
    function onMessage(message: unknown): void {
      if (!isMessage<ScrapeReply>(message, SCRAPE_REPLY) || message.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve({ text: message.text, contentType: message.contentType });
    }
    process.on('message', onMessage);
    const request: ScrapeRequest = { type: SCRAPE_REQUEST, id };
    process.send?.(request);
  });
}
