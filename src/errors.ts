// One error type per kind of failure; src/http/reply.ts maps each to a status code.

/** A request value is invalid; `field` names it for the client. */
export class ValidationError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** Redis could not be reached or did not answer in time. */
export class RedisUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisUnavailableError';
  }
}

/** A config problem that must stop the server; the message is one line naming where it is. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A request problem the HTTP layer itself finds (bad JSON, body too large, bad query parameter...). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Start-up failures that stop the server with one clear line and a non-zero exit. */
export class StartupError extends Error {
  override name = 'StartupError';
}
