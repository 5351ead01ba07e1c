// The job record of lua/include/common.lua (parse_job / format_job), read on the TypeScript side
// for the job status, the dead letters and the console's job pages. Three forms:
//   "~<remaining>|<limit>|<cost>|<retries>|<backoff_ms>|<backoff_max_ms>|<error_bytes>|<error><payload JSON>"
//   "<remaining>|<limit>|<cost>|<payload JSON>"   (no back-off, retry or error: most jobs)
//   "<remaining>|<payload JSON>"                  (written before requeue_limit and cost were kept)
// and a traced job (SPEC 5.16) has its trace context in front of one of them:
//   "@<trace_bytes>|<traceparent>[ <tracestate>]<record>"
import { decodeTraceContext, type TraceContext } from './trace-context.js';

export interface JobRecord {
  /** -1: requeued forever. */
  requeuesRemaining: number;
  requeueLimit: number;
  cost: number;
  /** Times the job went back after a delivery (a fail or an expiry). */
  retries: number;
  backoffMs: number;
  backoffMaxMs: number;
  /** The error of its latest fail that gave one. */
  lastError?: string;
  /** The payload as the JSON text it was enqueued with. */
  payloadJson: string;
  /** The W3C trace context of its enqueue; undefined: none. */
  trace?: TraceContext;
}

const WITH_RETRIES = /^~(-?\d+)\|(-?\d+)\|(\d+)\|(\d+)\|(\d+)\|(\d+)\|(\d+)\|/;
const CURRENT = /^(-?\d+)\|(-?\d+)\|(\d+)\|([\s\S]*)$/;
const FIRST = /^(-?\d+)\|([\s\S]*)$/;
const TRACED = /^@(\d+)\|/;

export function parseJobRecord(raw: string): JobRecord {
  if (!raw.startsWith('@')) return parseUntraced(raw);
  const traced = TRACED.exec(raw);
  if (!traced) throw new Error(`not a job record: ${raw.slice(0, 40)}`);
  // Its length is in bytes, as Lua counts it (the context itself is ASCII).
  const rest = Buffer.from(raw.slice(traced[0].length), 'utf8');
  const traceBytes = Number(traced[1]);
  const record = parseUntraced(rest.subarray(traceBytes).toString('utf8'));
  const trace = decodeTraceContext(rest.subarray(0, traceBytes).toString('utf8'));
  return trace === undefined ? record : { ...record, trace };
}

function parseUntraced(raw: string): JobRecord {
  const long = raw.startsWith('~') ? WITH_RETRIES.exec(raw) : null;
  if (long) {
    // The error's length is in bytes (as Lua counts it): cut the rest as UTF-8.
    const rest = Buffer.from(raw.slice(long[0].length), 'utf8');
    const errorBytes = Number(long[7]);
    const lastError = rest.subarray(0, errorBytes).toString('utf8');
    return {
      requeuesRemaining: Number(long[1]),
      requeueLimit: Number(long[2]),
      cost: Number(long[3]),
      retries: Number(long[4]),
      backoffMs: Number(long[5]),
      backoffMaxMs: Number(long[6]),
      ...(errorBytes > 0 ? { lastError } : {}),
      payloadJson: rest.subarray(errorBytes).toString('utf8'),
    };
  }
  const current = CURRENT.exec(raw);
  if (current) {
    return {
      requeuesRemaining: Number(current[1]),
      requeueLimit: Number(current[2]),
      cost: Number(current[3]),
      retries: 0,
      backoffMs: 0,
      backoffMaxMs: 0,
      payloadJson: current[4] ?? '',
    };
  }
  const first = FIRST.exec(raw);
  if (!first) throw new Error(`not a job record: ${raw.slice(0, 40)}`);
  const remaining = Number(first[1]);
  return { requeuesRemaining: remaining, requeueLimit: remaining, cost: 1, retries: 0, backoffMs: 0, backoffMaxMs: 0, payloadJson: first[2] ?? '' };
}
