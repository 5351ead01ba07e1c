// What the request path asks of tracing (SPEC 5.16). The SDK's implementation (./otel.ts) is loaded
// by ./load.ts only when tracing is on; with it off the listener has no tracer and pays one check.
import type { TraceContext } from '../engine/trace-context.js';

/** What a handler tells its request's span. */
export interface JobSpan {
  /** The jobs (maybe none) a request hands out of a queue type: the span links to each one's enqueue context. */
  handedOut(queueType: string, jobs: readonly { trace?: TraceContext }[]): void;
}

/** What the listener knows of a request once it is answered, or its client went away. */
export interface AnsweredRequest {
  method: string;
  /** The route's template; undefined when no route matched. */
  route?: string;
  queueType?: string;
  /** undefined when the connection closed before the reply was written. */
  status?: number;
  /** The request's own trace context headers: the span's parent when valid. */
  traceparent?: string;
  tracestate?: string;
}

export interface RequestSpan extends JobSpan {
  end(request: AnsweredRequest): void;
}

export interface RequestTracer {
  /** Starts timing a request; its span is made when it ends, with its links and outcome. */
  start(): RequestSpan;
  /** Exports the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}
