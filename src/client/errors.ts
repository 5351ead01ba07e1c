// One error class per kind of failure a caller handles differently; each carries the HTTP status and
// the server's message (a 400's message names the field).

export interface ErrorDetails {
  status?: number;
  /** The reply body as parsed JSON (or text). */
  body?: unknown;
  /** "METHOD /path/" of the request. */
  request?: string;
  cause?: unknown;
}

/** Base class: every error the client throws is a SharqError. */
export class SharqError extends Error {
  readonly status: number | undefined;
  readonly body: unknown;
  readonly request: string | undefined;
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.status = details.status;
    this.body = details.body;
    this.request = details.request;
  }
}

/** 400 or 413 (or 415): the request is wrong; retrying it as is will not help. */
export class SharqValidationError extends SharqError {}

/** 401: no token, or a token the server does not accept. */
export class SharqUnauthorizedError extends SharqError {}

/** 404 where it means an error: the job is not active (finish, touch) or the queue does not exist (interval). */
export class SharqNotFoundError extends SharqError {}

/** 429: the queue already holds `max_queued_length` jobs. */
export class SharqQueueFullError extends SharqError {
  constructor(
    message: string,
    readonly currentQueueLength: number,
    details: ErrorDetails = {},
  ) {
    super(message, details);
  }
}

/** 503, a connection error or a timeout: the server or its Redis cannot serve now; retry later. */
export class SharqUnavailableError extends SharqError {}

/** No reply within `timeoutMs` (a kind of unavailability). */
export class SharqTimeoutError extends SharqUnavailableError {}

/** Anything else the document does not promise (a 5xx other than 503, a reply that is not JSON). */
export class SharqProtocolError extends SharqError {}
