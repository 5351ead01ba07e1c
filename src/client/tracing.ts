// OpenTelemetry in the client (SPEC 5.16), optional: `@opentelemetry/api` is imported the first time
// it is wanted, and without it enqueues carry no context and handlers run without a span. No public
// type names the package, so the client type-checks and runs where it is not installed. The app's own
// SDK set-up (a tracer provider, a context manager) decides where spans go, as for any library.

/** A W3C trace context as the server keeps it with a job. */
export interface TraceFields {
  traceparent?: string;
  tracestate?: string;
}

type OtelApi = typeof import('@opentelemetry/api');
type SpanContext = import('@opentelemetry/api').SpanContext;

let loading: Promise<OtelApi | undefined> | undefined;
/** The package once loadOtel() has found it. */
let loaded: OtelApi | undefined;

/** Imports @opentelemetry/api once; undefined when it is not installed. */
export function loadOtel(): Promise<OtelApi | undefined> {
  loading ??= import('@opentelemetry/api').then(
    (api) => (loaded = api),
    () => undefined,
  );
  return loading;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/** The span context a traceparent names (the producer's), or undefined when it names none. */
function producerContext(api: OtelApi, fields: TraceFields): SpanContext | undefined {
  const m = fields.traceparent === undefined ? null : TRACEPARENT.exec(fields.traceparent);
  if (!m) return undefined;
  const context: SpanContext = {
    traceId: m[1] ?? '',
    spanId: m[2] ?? '',
    traceFlags: Number.parseInt(m[3] ?? '0', 16),
    isRemote: true,
    ...(fields.tracestate === undefined ? {} : { traceState: api.createTraceState(fields.tracestate) }),
  };
  return api.trace.isSpanContextValid(context) ? context : undefined;
}

/** The active span's context as W3C headers: {} without @opentelemetry/api or an active span. */
export async function activeTraceHeaders(): Promise<Record<string, string>> {
  const api = await loadOtel();
  const context = api?.trace.getActiveSpan()?.spanContext();
  if (api === undefined || context === undefined || !api.trace.isSpanContextValid(context)) return {};
  const flags = (context.traceFlags & 0xff).toString(16).padStart(2, '0');
  const headers: Record<string, string> = { traceparent: `00-${context.traceId}-${context.spanId}-${flags}` };
  const state = context.traceState?.serialize();
  if (state !== undefined && state !== '') headers.tracestate = state;
  return headers;
}

/** What a handler's span says of its job. */
export interface TracedJob extends TraceFields {
  queueType: string;
  queueId: string;
  jobId: string;
  attempt: number;
}

/**
 * Runs a job's handler in a span of the producer's trace: a child of the job's traceparent, linked to
 * it too (as messaging conventions ask of a consumer), ended ok or with the handler's error. Without
 * @opentelemetry/api (or before loadOtel() found it) it just runs the handler. Either way the handler
 * starts before this returns, as a plain call would: a handler that stops the worker does so before
 * its poller can send another dequeue.
 */
export function inJobSpan(job: TracedJob, handler: () => Promise<void>): Promise<void> {
  const api = loaded;
  if (api === undefined) return handler();
  const producer = producerContext(api, job);
  const parent = producer === undefined ? api.context.active() : api.trace.setSpanContext(api.context.active(), producer);
  const tracer = api.trace.getTracer('sharq-server/client');
  const options = {
    kind: api.SpanKind.CONSUMER,
    attributes: {
      'messaging.system': 'sharq',
      'messaging.operation.type': 'process',
      'messaging.destination.name': job.queueType,
      'messaging.message.id': job.jobId,
      'sharq.queue_id': job.queueId,
      'sharq.attempt': job.attempt,
    },
    links: producer === undefined ? [] : [{ context: producer }],
  };
  return tracer.startActiveSpan(`process ${job.queueType}`, options, parent, async (span) => {
    try {
      await handler();
      span.setStatus({ code: api.SpanStatusCode.OK });
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}
