// The W3C Trace Context of an enqueue (SPEC 5.16, https://www.w3.org/TR/trace-context/), kept with
// its job and handed back with it. Checked as the W3C asks: a malformed `traceparent` is ignored,
// never refused, and a `tracestate` is kept only beside a valid `traceparent`.

export interface TraceContext {
  /** `00-<trace id>-<parent id>-<flags>`: 55 characters (a later version is kept as its first 55). */
  traceparent: string;
  /** The vendors' list, at most TRACESTATE_MAX_MEMBERS members and TRACESTATE_MAX_CHARS characters. */
  tracestate?: string;
}

/** Version, trace id, parent id, flags; a version after 00 may add `-...` (ignored, as the W3C asks). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$/;
const ALL_ZEROS = /^0+$/;
/** Length of the four fields every version starts with. */
const TRACEPARENT_CHARS = 55;

export const TRACESTATE_MAX_MEMBERS = 32;
export const TRACESTATE_MAX_CHARS = 512;
/** Members this long go first when a tracestate must be cut (the W3C's advice). */
const LONG_MEMBER_CHARS = 128;
const TRACESTATE_KEY = /^(?:[a-z][a-z0-9_*/-]{0,255}|[a-z0-9][a-z0-9_*/-]{0,240}@[a-z][a-z0-9_*/-]{0,13})$/;
const TRACESTATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const OWS = /^[ \t]+|[ \t]+$/g;

/** A valid traceparent as kept (a later version cut to the fields we know), or undefined. */
export function validTraceparent(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TRACEPARENT.exec(value);
  if (!m) return undefined;
  const [, version, traceId, parentId, extra] = m;
  if (version === 'ff' || (version === '00' && extra !== undefined)) return undefined;
  if (ALL_ZEROS.test(traceId ?? '') || ALL_ZEROS.test(parentId ?? '')) return undefined;
  return value.slice(0, TRACEPARENT_CHARS);
}

/**
 * A valid tracestate (its members without the spaces around them), cut as the W3C advises when over
 * TRACESTATE_MAX_CHARS: long members first, then from the end. undefined when malformed or empty.
 */
export function validTracestate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  let members = value
    .split(',')
    .map((member) => member.replace(OWS, ''))
    .filter((member) => member !== '');
  if (members.length === 0 || members.length > TRACESTATE_MAX_MEMBERS) return undefined;
  const keys = new Set<string>();
  for (const member of members) {
    const eq = member.indexOf('=');
    const key = member.slice(0, eq);
    if (eq <= 0 || !TRACESTATE_KEY.test(key) || !TRACESTATE_VALUE.test(member.slice(eq + 1)) || keys.has(key)) return undefined;
    keys.add(key);
  }
  const length = (list: string[]): number => list.join(',').length;
  if (length(members) > TRACESTATE_MAX_CHARS) members = members.filter((member) => member.length <= LONG_MEMBER_CHARS);
  while (length(members) > TRACESTATE_MAX_CHARS) members = members.slice(0, -1);
  return members.length === 0 ? undefined : members.join(',');
}

/** The context of a request's (or a batch job's) fields; undefined without a valid traceparent. */
export function traceContextOf(traceparent: unknown, tracestate: unknown): TraceContext | undefined {
  const parent = validTraceparent(traceparent);
  if (parent === undefined) return undefined;
  const state = validTracestate(tracestate);
  return state === undefined ? { traceparent: parent } : { traceparent: parent, tracestate: state };
}

// As the scripts keep it (lua/include/common.lua): "<traceparent>" or "<traceparent> <tracestate>";
// '' for none. A traceparent never holds a space, so the first one splits the two.

export function encodeTraceContext(trace: TraceContext | undefined): string {
  if (trace === undefined) return '';
  return trace.tracestate === undefined ? trace.traceparent : `${trace.traceparent} ${trace.tracestate}`;
}

export function decodeTraceContext(stored: string): TraceContext | undefined {
  if (stored === '') return undefined;
  const space = stored.indexOf(' ');
  return space < 0 ? { traceparent: stored } : { traceparent: stored.slice(0, space), tracestate: stored.slice(space + 1) };
}
