import { ValidationError } from '../errors.js';

const IDENTIFIER = /^[A-Za-z0-9_-]{1,100}$/;

export function identifier(field: string, value: unknown): string {
  if (value === undefined || value === null || value === '') {
    throw new ValidationError(field, `\`${field}\` is a mandatory parameter`);
  }
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw new ValidationError(
      field,
      `\`${field}\` has an invalid value: expected 1-100 characters of A-Z a-z 0-9 _ -`,
    );
  }
  return value;
}

function integerAtLeast(field: string, value: unknown, min: number, what: string): number {
  if (value === undefined || value === null) {
    throw new ValidationError(field, `\`${field}\` is a mandatory parameter`);
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ValidationError(field, `\`${field}\` has an invalid value: expected ${what}`);
  }
  return value;
}

export function intervalMs(value: unknown, field = 'interval'): number {
  return integerAtLeast(field, value, 0, 'a non-negative integer of milliseconds');
}

export function requeueLimit(value: unknown): number {
  return integerAtLeast('requeue_limit', value, -1, 'an integer >= -1 (-1 requeues forever)');
}

export function maxQueuedLength(value: unknown): number {
  return integerAtLeast('max_queued_length', value, 0, 'a non-negative integer');
}

export const MAX_COST = 1_000_000;

/** Intervals of its queue's rate limit a job's dequeue spends (SPEC 5.3). */
export function cost(value: unknown): number {
  const n = integerAtLeast('cost', value, 1, `an integer 1-${MAX_COST}`);
  if (n > MAX_COST) throw new ValidationError('cost', `\`cost\` has an invalid value: expected an integer 1-${MAX_COST}`);
  return n;
}

/** The payload as JSON text; any JSON value is accepted, a missing one is not. */
export function payloadJson(value: unknown): string {
  let json: string | undefined;
  try {
    json = value === undefined ? undefined : JSON.stringify(value);
  } catch (error) {
    // Only direct engine callers can pass what JSON cannot hold (BigInt, cycles).
    throw new ValidationError('payload', `\`payload\` is not JSON: ${(error as Error).message}`);
  }
  if (json === undefined) {
    throw new ValidationError('payload', '`payload` is a mandatory parameter');
  }
  return json;
}

function integerBetween(field: string, value: unknown, min: number, max: number, what: string): number {
  const n = integerAtLeast(field, value, min, what);
  if (n > max) throw new ValidationError(field, `\`${field}\` has an invalid value: expected ${what}`);
  return n;
}

export const MAX_DELAY_MS = 30 * 24 * 3600 * 1000;
export const MAX_EXTEND_MS = 24 * 3600 * 1000;

export function delayMs(value: unknown): number {
  return integerBetween('delay_ms', value, 0, MAX_DELAY_MS, `an integer of milliseconds from 0 to ${MAX_DELAY_MS} (30 days)`);
}

export const MAX_BACKOFF_MS = 24 * 3600 * 1000;
/** backoff_max_ms when an enqueue gives none (SPEC 5.13). */
export const DEFAULT_BACKOFF_MAX_MS = 3600 * 1000;
/** A fail's error text keeps this many characters; a longer one is cut, not refused. */
export const MAX_ERROR_CHARS = 2000;

export function backoffMs(value: unknown): number {
  return integerBetween('backoff_ms', value, 0, MAX_BACKOFF_MS, `an integer of milliseconds from 0 to ${MAX_BACKOFF_MS} (24 h)`);
}

export function backoffMaxMs(value: unknown): number {
  return integerBetween('backoff_max_ms', value, 0, MAX_DELAY_MS, `an integer of milliseconds from 0 to ${MAX_DELAY_MS} (30 days)`);
}

export function retryInMs(value: unknown): number {
  return integerBetween('retry_in_ms', value, 0, MAX_DELAY_MS, `an integer of milliseconds from 0 to ${MAX_DELAY_MS} (30 days)`);
}

export function holdQueueMs(value: unknown): number {
  return integerBetween('hold_queue_ms', value, 0, MAX_DELAY_MS, `an integer of milliseconds from 0 to ${MAX_DELAY_MS} (30 days)`);
}

/** A fail's error: a string, cut to its first MAX_ERROR_CHARS characters (whole code points). */
export function errorText(value: unknown): string {
  if (typeof value !== 'string') throw new ValidationError('error', '`error` has an invalid value: expected a string');
  if (value.length <= MAX_ERROR_CHARS) return value;
  return Array.from(value).slice(0, MAX_ERROR_CHARS).join('');
}

export function extendMs(value: unknown): number {
  return integerBetween('extend_ms', value, 1, MAX_EXTEND_MS, `an integer of milliseconds from 1 to ${MAX_EXTEND_MS} (24 h)`);
}

/** The page size of every paged read (dead letters, queues, jobs) when `limit` is not given, and its most. */
export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

/** A page size given in a query string (`limit`): digits only, 1 to max. */
export function pageLimit(
  value: string | undefined,
  fallback = DEFAULT_PAGE_LIMIT,
  max = MAX_PAGE_LIMIT,
  field = 'limit',
): number {
  if (value === undefined) return fallback;
  const n = /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= max)) {
    throw new ValidationError(field, `\`${field}\` has an invalid value: expected an integer from 1 to ${max}`);
  }
  return n;
}

/** A job's back-off as enqueue gives it (validated), with the defaults of SPEC 5.13. */
export function backoffOf(
  request: { backoffMs?: unknown; backoffMaxMs?: unknown },
  defaultBackoffMs: number,
): { backoffMs: number; backoffMaxMs: number } {
  return {
    backoffMs: request.backoffMs === undefined ? defaultBackoffMs : backoffMs(request.backoffMs),
    backoffMaxMs: request.backoffMaxMs === undefined ? DEFAULT_BACKOFF_MAX_MS : backoffMaxMs(request.backoffMaxMs),
  };
}

/** max_active of a queue or a type (SPEC 5.14): 1 to 1,000,000. */
export const MAX_ACTIVE_LIMIT = 1_000_000;

export function maxActive(value: unknown): number {
  return integerBetween('max_active', value, 1, MAX_ACTIVE_LIMIT, `an integer from 1 to ${MAX_ACTIVE_LIMIT}`);
}

/** A limit that may be given as null (removed) or left out (kept): undefined, null, or the checked value. */
export function nullable<T>(value: unknown, check: (value: unknown) => T): T | null | undefined {
  return value === undefined ? undefined : value === null ? null : check(value);
}

export const MAX_RATE_PER_S = 1_000_000;

/** A type's token-bucket rate in jobs per second: 1 to 1,000,000, fractions allowed. */
export function ratePerS(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1 || value > MAX_RATE_PER_S) {
    throw new ValidationError('rate_per_s', `\`rate_per_s\` has an invalid value: expected a number from 1 to ${MAX_RATE_PER_S}`);
  }
  return value;
}

/** The bucket's size in tokens (a job of cost c takes c): 1 to 1,000,000,000. */
export function burst(value: unknown): number {
  return integerBetween('burst', value, 1, 1_000_000_000, 'an integer from 1 to 1000000000');
}

/** How long a pause lasts: 1 ms to 30 days. */
export function forMs(value: unknown): number {
  return integerBetween('for_ms', value, 1, MAX_DELAY_MS, `an integer of milliseconds from 1 to ${MAX_DELAY_MS} (30 days)`);
}
