// The request spans of a worker, made with the OpenTelemetry JS SDK and exported over OTLP/HTTP (JSON)
// in batches (SPEC 5.16). Imported only by loadRequestTracer, when tracing is on.
import {
  DiagLogLevel,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  createTraceState,
  diag,
  trace,
  type Attributes,
  type DiagLogFunction,
  type Link,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

import { traceContextOf, type TraceContext } from '../engine/trace-context.js';
import type { TracingSettings } from '../interfaces.js';
import type { Logger } from '../logger.js';
import { VERSION } from '../paths.js';
import type { AnsweredRequest, RequestSpan, RequestTracer } from './request-tracer.js';

/** The span context a valid traceparent (trace-context.ts) names, as a remote parent or a link. */
export function spanContextOf(context: TraceContext): SpanContext {
  const { traceparent, tracestate } = context;
  return {
    traceId: traceparent.slice(3, 35),
    spanId: traceparent.slice(36, 52),
    traceFlags: Number.parseInt(traceparent.slice(53, 55), 16),
    isRemote: true,
    ...(tracestate === undefined ? {} : { traceState: createTraceState(tracestate) }),
  };
}

/**
 * One request. The span is made when the request ends, from its start time: by then its route, links
 * and status are known, so the sampler sees them all and no span is open while the handler runs.
 */
class OtelRequestSpan implements RequestSpan {
  private readonly startTime = performance.timeOrigin + performance.now();
  private links: Link[] | undefined;
  private queueType: string | undefined;

  constructor(private readonly tracer: Tracer) {}

  handedOut(queueType: string, jobs: readonly { trace?: TraceContext }[]): void {
    this.queueType = queueType;
    for (const job of jobs) if (job.trace !== undefined) (this.links ??= []).push({ context: spanContextOf(job.trace) });
  }

  end(request: AnsweredRequest): void {
    const attributes: Attributes = { 'http.request.method': request.method };
    if (request.route !== undefined) attributes['http.route'] = request.route;
    // The handler's is validated (and is `default` for GET /dequeue/); the path's is what was asked.
    const queueType = this.queueType ?? request.queueType;
    if (queueType !== undefined) attributes['sharq.queue_type'] = queueType;
    if (request.status !== undefined) attributes['http.response.status_code'] = request.status;
    const parent = traceContextOf(request.traceparent, request.tracestate);
    const context = parent === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, spanContextOf(parent));
    const name = request.route === undefined ? request.method : `${request.method} ${request.route}`;
    const span = this.tracer.startSpan(name, { kind: SpanKind.SERVER, startTime: this.startTime, attributes, links: this.links }, context);
    // A server span is an error for its own faults only (5xx), as the HTTP conventions say.
    if (request.status === undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: 'the client went away before the reply' });
    else if (request.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }
}

/** The SDK's own complaints (a collector that does not answer) go to the log, at most one a minute. */
function logDiagnostics(logger: Logger): void {
  let quietUntil = 0;
  let dropped = 0;
  const report: DiagLogFunction = (message, ...args) => {
    const now = Date.now();
    if (now < quietUntil) {
      dropped += 1;
      return;
    }
    quietUntil = now + 60_000;
    logger.warn(`tracing: ${message}`, { details: args.map((arg) => (arg instanceof Error ? arg.message : String(arg))), dropped });
    dropped = 0;
  };
  const ignore: DiagLogFunction = () => undefined;
  diag.setLogger({ error: report, warn: report, info: ignore, debug: ignore, verbose: ignore }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}

export function createRequestTracer(settings: TracingSettings, logger: Logger): RequestTracer {
  logDiagnostics(logger);
  const exporter = new OTLPTraceExporter(settings.tracesUrl === undefined ? {} : { url: settings.tracesUrl });
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the name, as with any OpenTelemetry SDK.
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'sharq-server', 'service.version': VERSION }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  const tracer = provider.getTracer('sharq-server', VERSION);
  return {
    start: () => new OtelRequestSpan(tracer),
    shutdown: () => provider.shutdown(),
  };
}
