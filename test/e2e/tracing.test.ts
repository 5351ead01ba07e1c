// SPEC 5.16 end to end: one trace from producer to handler. A real OTLP/HTTP receiver in this process
// collects what the real CLI (2 workers) exports and what this process's own OpenTelemetry SDK exports
// for the client; the producer's trace id must come back in the dequeue reply, in the server's spans
// (the enqueue's parent, the dequeue's link) and in the handler span's parent and link. With tracing off,
// nothing is exported and no process of the server has loaded the SDK.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { context, SpanKind, trace, type SpanContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

import { SharqClient } from '../../src/client/client.js';
import { runWorker } from '../../src/client/worker.js';
import { seeReply } from '../helpers/openapi-validator.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { repoRoot, startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const HOOK = pathToFileURL(path.join(repoRoot, 'test', 'e2e', 'loaded-modules-hook.mjs')).href;
/** The SDK's packages, as they appear in a module path; @opentelemetry/api alone is no SDK. */
const SDK_MODULES = /[\\/]@opentelemetry[\\/](sdk-trace|sdk-trace-base|exporter-trace-otlp-http|otlp-exporter-base|resources)[\\/]/;
/** Every variable that would turn tracing on, unset (empty counts as unset), whatever the test's own environment. */
const NO_OTEL_ENV = { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', SHARQ_OTEL_ENDPOINT: '' };

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CONSUMER = 5;
const STATUS_OK = 1;
const STATUS_ERROR = 2;

let redis: RedisServerHandle;
let receiver: OtlpReceiver;
const drift: string[] = [];
const moduleLogs: string[] = [];

before(async () => {
  redis = await startRedis();
  receiver = await startOtlpReceiver();
});

after(async () => {
  await receiver?.close();
  await redis?.stop();
  for (const dir of moduleLogs) rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(drift, []);
});

/** A server whose processes each write, on exit, the CommonJS modules they loaded (loaded-modules-hook.mjs). */
async function startLoggedServer(env: NodeJS.ProcessEnv, workers: number, config: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'sharq-modules-'));
  moduleLogs.push(dir);
  const server = await startServer({
    redisPort: redis.port,
    workers,
    config: { 'sharq-server': config },
    env: { ...NO_OTEL_ENV, ...env, NODE_OPTIONS: `--import=${HOOK}`, SHARQ_TEST_MODULE_LOG: dir },
  });
  return { server, dir };
}

/** Stops the server and reads the modules each of its processes (primary and workers) had loaded. */
async function stopAndReadModules(server: ServerHandle, dir: string): Promise<Map<number, string[]>> {
  const pids = [server.pid, ...server.workerPids()];
  assert.equal(await server.stop(), 0);
  const loaded = new Map<number, string[]>();
  for (const pid of pids) {
    const file = path.join(dir, `${pid}.json`);
    assert.ok(existsSync(file), `process ${pid} wrote its module list`);
    loaded.set(pid, JSON.parse(readFileSync(file, 'utf8')) as string[]);
  }
  return loaded;
}

function traceparentOf(span: SpanContext): string {
  return `00-${span.traceId}-${span.spanId}-0${span.traceFlags}`;
}

describe('tracing on: otel_endpoint set', () => {
  let server: ServerHandle;
  let dir: string;
  let provider: BasicTracerProvider;

  before(async () => {
    // The app's side: its own SDK, exporting at once to the same collector.
    provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'e2e-app' }),
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` }))],
    });
    trace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    // A short batch delay: the server's spans arrive while it runs, not only at its shutdown.
    ({ server, dir } = await startLoggedServer({ OTEL_BSP_SCHEDULE_DELAY: '50' }, 2, { otel_endpoint: receiver.url }));
  });

  after(async () => {
    await provider?.shutdown();
    trace.disable();
    context.disable();
    if (server?.child.exitCode === null) await server.stop();
  });

  test('one trace from the producer through the server to the handler', { timeout: 60_000 }, async () => {
    const client = new SharqClient({ url: server.url, onReply: (r) => drift.push(...seeReply(r)) });
    const producer = await trace.getTracer('e2e').startActiveSpan('send sms', { kind: SpanKind.PRODUCER }, async (span) => {
      // No traceparent given: the client takes the active span's.
      await client.enqueue({ queueType: 'traced', queueId: 'q', jobId: 'ok', interval: 0, payload: { n: 1 } });
      await client.enqueue({ queueType: 'traced', queueId: 'q', jobId: 'fails', interval: 0, payload: { n: 2 }, requeueLimit: 0 });
      span.end();
      return span.spanContext();
    });

    const handled = new Map<string, { traceparent?: string; handlerSpan?: SpanContext }>();
    const stop = new AbortController();
    const summary = await runWorker({
      url: server.url,
      queueType: 'traced',
      waitMs: 1000,
      signal: stop.signal,
      onReply: (r) => drift.push(...seeReply(r)),
      handler: (job) => {
        handled.set(job.jobId, { traceparent: job.traceparent, handlerSpan: trace.getActiveSpan()?.spanContext() });
        if (handled.size === 2) stop.abort();
        if (job.jobId === 'fails') throw new Error('the carrier said no');
      },
    });
    assert.deepEqual([summary.finished, summary.failed, summary.dead], [1, 1, 1]);

    // The dequeue replies (the plain dequeue's and the one finish-and-next brought) carry the producer's context.
    const expected = traceparentOf(producer);
    assert.deepEqual([handled.get('ok')?.traceparent, handled.get('fails')?.traceparent], [expected, expected]);

    const isProducer = (link: { traceId: string; spanId: string }): boolean => link.traceId === producer.traceId && link.spanId === producer.spanId;
    const serverSpans = (): ReceivedSpan[] => receiver.spans.filter((s) => s.service === 'sharq-server');
    const handlerSpans = (): ReceivedSpan[] => receiver.spans.filter((s) => s.service === 'e2e-app' && s.kind === SPAN_KIND_CONSUMER);
    await waitFor(
      () => serverSpans().filter((s) => s.links.some(isProducer)).length === 2 && handlerSpans().length === 2,
      { what: 'the server spans linked to the producer and both handler spans', timeoutMs: 20_000 },
    );

    // The enqueues: server spans in the producer's trace, children of its span.
    const enqueues = serverSpans().filter((s) => s.name === 'POST /enqueue/:queue_type/:queue_id/');
    assert.equal(enqueues.length, 2);
    for (const span of enqueues) {
      assert.deepEqual([span.kind, span.traceId, span.parentSpanId], [SPAN_KIND_SERVER, producer.traceId, producer.spanId]);
      assert.deepEqual(span.attributes, {
        'http.request.method': 'POST',
        'http.route': '/enqueue/:queue_type/:queue_id/',
        'sharq.queue_type': 'traced',
        'http.response.status_code': 201,
      });
    }

    // The dequeue that handed out `ok` links to the enqueue's context; finish-and-next handed out `fails`, and links too.
    const linked = serverSpans().filter((s) => s.links.some(isProducer));
    const dequeue = linked.find((s) => s.name === 'GET /dequeue/:queue_type/');
    assert.ok(dequeue, `a dequeue span links to the producer: ${JSON.stringify(linked.map((s) => s.name))}`);
    assert.notEqual(dequeue.traceId, producer.traceId, 'a dequeue is a trace of its own, linked to the jobs it hands out');
    assert.deepEqual([dequeue.attributes['sharq.queue_type'], dequeue.attributes['http.response.status_code']], ['traced', 200]);
    assert.ok(linked.some((s) => s.name === 'POST /finish/:queue_type/:queue_id/:job_id/'));

    // The handlers: spans of the producer's trace, linked to it, ended with their outcome.
    for (const span of handlerSpans()) {
      assert.equal(span.traceId, producer.traceId);
      assert.equal(span.parentSpanId, producer.spanId);
      assert.ok(span.links.some(isProducer), 'the handler span links to the producer');
      assert.equal(span.name, 'process traced');
      const jobId = span.attributes['messaging.message.id'];
      assert.equal(span.status.code, jobId === 'ok' ? STATUS_OK : STATUS_ERROR, `${String(jobId)}: ${JSON.stringify(span.status)}`);
      assert.equal(handled.get(String(jobId))?.handlerSpan?.spanId, span.spanId, 'the handler ran inside its span');
    }
    assert.equal(handlerSpans().find((s) => s.attributes['messaging.message.id'] === 'fails')?.status.message, 'the carrier said no');

    // The positive control of the check below: with tracing on, the workers did load the SDK.
    const loaded = await stopAndReadModules(server, dir);
    const workers = [...loaded].filter(([pid]) => pid !== server.pid);
    assert.equal(workers.length, 2);
    for (const [pid, modules] of workers) assert.ok(modules.some((m) => SDK_MODULES.test(m)), `worker ${pid} loaded the SDK`);
  });
});

describe('tracing off', () => {
  const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const OTHER = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const json = { 'content-type': 'application/json' };
  let server: ServerHandle;
  let dir: string;

  before(async () => {
    ({ server, dir } = await startLoggedServer({}, 1));
  });

  after(async () => {
    if (server?.child.exitCode === null) await server.stop();
  });

  test('the trace context is kept with each job and comes back in every reply that hands it out', async () => {
    const { api } = server;
    const enqueue = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      api.request('POST', path, body, { headers: { ...json, ...headers } });
    const job = (jobId: string, extra: Record<string, unknown> = {}) => ({ job_id: jobId, interval: 0, payload: { jobId }, ...extra });

    assert.equal((await enqueue('/enqueue/ctx/q/', job('headers'), { traceparent: PARENT, tracestate: 'congo=t61rcWkgMzE' })).status, 201);
    assert.equal((await enqueue('/enqueue/ctx/q/', job('plain'))).status, 201);
    // A malformed traceparent is ignored, not refused, and its tracestate with it.
    assert.equal((await enqueue('/enqueue/ctx/q/', job('malformed'), { traceparent: 'garbage', tracestate: 'a=b' })).status, 201);
    const batch = await enqueue(
      '/enqueue/ctx/',
      {
        jobs: [
          { queue_id: 'q', ...job('own'), traceparent: OTHER, tracestate: 'rojo=1' },
          { queue_id: 'q', ...job('inherits') },
          { queue_id: 'q', ...job('bad-own'), traceparent: 'not-one' },
        ],
      },
      { traceparent: PARENT },
    );
    assert.deepEqual(batch.body, { status: 'success', results: [{ status: 'queued' }, { status: 'queued' }, { status: 'queued' }] });

    const single = await api.get('/dequeue/ctx/');
    assert.deepEqual(single.body, {
      status: 'success', queue_id: 'q', job_id: 'headers', payload: { jobId: 'headers' }, requeues_remaining: -1,
      current_queue_length: 5, attempt: 1, traceparent: PARENT, tracestate: 'congo=t61rcWkgMzE',
    });
    const next = await api.post('/finish/ctx/q/headers/?next=1');
    assert.deepEqual(next.body, {
      status: 'success',
      next: { queue_id: 'q', job_id: 'plain', payload: { jobId: 'plain' }, requeues_remaining: -1, current_queue_length: 4, attempt: 1 },
    });
    const counted = await api.get('/dequeue/ctx/?count=10');
    const jobs = (counted.body as { jobs: { job_id: string; traceparent?: string; tracestate?: string }[] }).jobs;
    assert.deepEqual(
      jobs.map((j) => [j.job_id, j.traceparent, j.tracestate]),
      [
        ['malformed', undefined, undefined],
        ['own', OTHER, 'rojo=1'],
        ['inherits', PARENT, undefined],
        ['bad-own', PARENT, undefined],
      ],
    );
  });

  test('with neither otel_endpoint nor an OTLP variable, no process of the server loads the SDK', { timeout: 60_000 }, async () => {
    const client = new SharqClient({ url: server.url, onReply: (r) => drift.push(...seeReply(r)) });
    await client.enqueue({ queueType: 'untraced', queueId: 'q', jobId: 'j', interval: 0, payload: 1, traceparent: PARENT, tracestate: 'a=b' });
    const job = await client.dequeue({ queueType: 'untraced' });
    assert.deepEqual([job?.traceparent, job?.tracestate], [PARENT, 'a=b']);
    const loaded = await stopAndReadModules(server, dir);
    assert.equal(loaded.size, 2, 'the primary and its worker');
    for (const [pid, modules] of loaded) {
      assert.ok(modules.length > 10, `process ${pid} listed its modules`);
      assert.deepEqual(modules.filter((m) => SDK_MODULES.test(m)), [], `process ${pid} loaded none of the SDK`);
    }
  });

  test('OTEL_SDK_DISABLED=true beside an endpoint: nothing is exported, not even at shutdown, and no SDK is loaded', { timeout: 60_000 }, async () => {
    const quiet = await startOtlpReceiver();
    try {
      const disabled = await startLoggedServer({ OTEL_EXPORTER_OTLP_ENDPOINT: quiet.url, OTEL_SDK_DISABLED: 'true', OTEL_BSP_SCHEDULE_DELAY: '50' }, 1);
      const client = new SharqClient({ url: disabled.server.url, onReply: (r) => drift.push(...seeReply(r)) });
      await client.enqueue({ queueType: 'disabled', queueId: 'q', jobId: 'j', interval: 0, payload: 1, traceparent: PARENT });
      assert.equal((await client.dequeue({ queueType: 'disabled' }))?.traceparent, PARENT);
      // A tracing server exports what it still holds when it stops: after the exit, nothing can come.
      const loaded = await stopAndReadModules(disabled.server, disabled.dir);
      assert.equal(quiet.requests(), 0);
      for (const [pid, modules] of loaded) assert.deepEqual(modules.filter((m) => SDK_MODULES.test(m)), [], `process ${pid}`);
    } finally {
      await quiet.close();
    }
  });
});
