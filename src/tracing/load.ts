// Brings in the OpenTelemetry SDK (./otel.ts) only when tracing is on (SPEC 5.16): a worker without
// tracing never imports it, so its memory stays what it was without.
import type { TracingSettings } from '../interfaces.js';
import type { Logger } from '../logger.js';
import type { RequestTracer } from './request-tracer.js';

/** The tracer of the settings, the SDK loaded now; undefined when tracing is off. */
export async function loadRequestTracer(settings: TracingSettings | undefined, logger: Logger): Promise<RequestTracer | undefined> {
  if (settings === undefined) return undefined;
  const { createRequestTracer } = await import('./otel.js');
  return createRequestTracer(settings, logger);
}
