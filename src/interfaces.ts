// Public types shared across the engine, the server and the process layer.

export type ConnType = 'tcp_sock' | 'unix_sock';
/** winston's npm levels; `http` logs one line a request when no access log file is set. */
export type LogLevel = 'error' | 'warn' | 'info' | 'http' | 'debug';

export interface SharqSection {
  /** A dequeued job not finished within this many ms is requeued by the next pass. */
  jobExpireIntervalMs: number;
  /** Pause between two requeue passes of the leader. */
  jobRequeueIntervalMs: number;
  /** requeue_limit for jobs enqueued without one: -1 forever, 0 never, N at most N times. */
  defaultJobRequeueLimit: number;
  /** Discarded jobs kept per queue type for inspection (newest first). */
  deadLetterLimit: number;
  /** Expired jobs moved per requeue script call; bounds how long one call holds Redis. */
  requeueBatchSize: number;
  /** How long a drained queue keeps its interval and stays known to the Interval API. */
  idleQueueTtlMs: number;
  /** backoff_ms of jobs enqueued without one: retry n waits it x 2^(n-1); 0 retries at once. */
  defaultBackoffMs: number;
}

export interface ServerSection {
  host: string;
  port: number;
  workers: number;
  /** Access-log file (combined log format); undefined: no access log. */
  accesslog?: string;
  logLevel: LogLevel;
  /** Largest accepted request body in bytes (413 beyond). */
  bodyLimitBytes: number;
  /** Separate port for Prometheus /metrics; undefined: only the main port serves it. */
  metricsPort?: number;
  /** Grace time for in-flight requests on SIGTERM/SIGINT. */
  shutdownTimeoutMs: number;
  /** How long start-up waits for Redis before giving up. */
  redisStartupTimeoutMs: number;
  /** Longest `wait` a long-polling dequeue may ask for. */
  maxWaitMs: number;
  /** Most jobs in one batch request (enqueue, finish) or dequeue `count`. */
  maxBatch: number;
  /** A Redis command not answered within this many ms fails (the request gets 503). */
  redisCommandTimeoutMs: number;
  /** Bearer tokens accepted by the API (SPEC 5.8); empty: no authentication. Never logged. */
  authTokens: string[];
  /** A request's headers must arrive within this many ms (slow-client guard). */
  headersTimeoutMs: number;
  /** A whole request (headers and body) must arrive within this many ms (slow-client guard). */
  requestTimeoutMs: number;
  /** OTLP/HTTP collector base URL for spans (SPEC 5.16); undefined: OTEL_EXPORTER_OTLP_ENDPOINT decides. */
  otelEndpoint?: string;
}

export interface RedisNode {
  host: string;
  port: number;
}

export interface RedisSection {
  db: number;
  keyPrefix: string;
  connType: ConnType;
  unixSocketPath?: string;
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls: boolean;
  /** PEM file of the CA that signed the Redis server's certificate (a private CA); undefined: the system's CAs. */
  tlsCaFile?: string;
  /** With N > 0, a state change is answered only once N replicas confirmed it (WAIT); else 503 (SPEC 5.9). */
  minReplicasAck: number;
  /** How long WAIT waits for the replicas, in ms. */
  replicaAckTimeoutMs: number;
  clustered: boolean;
  /** Seed nodes of a Redis Cluster; defaults to host:port. */
  clusterNodes: RedisNode[];
  /** Sentinel nodes; when set, the master named sentinelName is used. */
  sentinels: RedisNode[];
  sentinelName?: string;
}

/** Span export over OTLP/HTTP (SPEC 5.16), on when otel_endpoint or the OTLP environment variables say where. */
export interface TracingSettings {
  /** The traces URL (otel_endpoint + /v1/traces); undefined: the exporter reads OTEL_EXPORTER_OTLP_* itself. */
  tracesUrl?: string;
}

export interface Config {
  /** Absolute path of the file this config was read from. */
  path: string;
  sharq: SharqSection;
  server: ServerSection;
  redis: RedisSection;
  /** undefined: tracing is off, and nothing of the OpenTelemetry SDK is loaded. */
  tracing?: TracingSettings;
}

/** What happened to a job, as counted per queue type by the Prometheus counters. */
export type JobEvent =
  | 'enqueued'
  | 'dequeued'
  | 'finished'
  | 'rejected'
  | 'duplicate'
  | 'touched'
  | 'replayed'
  /** A fail ended a lease (then exactly one of the next two). */
  | 'failed'
  | 'fail_retried'
  | 'fail_dead';

/** A type-wide limit that held back a ready queue from a dequeue (SPEC 5.14; counted per type). */
export type TypeLimit = 'type_paused' | 'type_max_active' | 'type_rate';

export const TYPE_LIMITS: readonly TypeLimit[] = ['type_paused', 'type_max_active', 'type_rate'];

/** The batch requests whose sizes are counted (Prometheus histogram). */
export type BatchOperation = 'enqueue' | 'dequeue' | 'finish';
