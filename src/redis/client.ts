import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { RedisUnavailableError } from '../errors.js';
import type { RedisSection } from '../interfaces.js';

/** A connection to one Redis or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;

export interface ConnectionOptions {
  /** Shown in CLIENT LIST, to tell the server's connections apart. */
  connectionName?: string;
  /** Fail a command after this long rather than let a request hang on a stuck Redis. */
  commandTimeoutMs?: number;
  /** A pub/sub connection; on Redis Cluster it subscribes to sharded channels on their slot's node. */
  subscriber?: boolean;
}

/** Reconnect quickly at first, then at most once a second, forever: the server heals itself. */
function retryDelayMs(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 5), 1000);
}

/** TLS options: the server's certificate is always verified, against tls_ca_file when set. */
function tlsOptions(cfg: RedisSection): TlsOptions | undefined {
  if (!cfg.tls) return undefined;
  return cfg.tlsCaFile === undefined ? {} : { ca: readFileSync(cfg.tlsCaFile) };
}

function baseOptions(cfg: RedisSection, opts: ConnectionOptions): RedisOptions {
  return {
    username: cfg.username,
    password: cfg.password,
    tls: tlsOptions(cfg),
    connectionName: opts.connectionName,
    commandTimeout: opts.commandTimeoutMs ?? 5000,
    // While Redis is away, fail commands at once (the HTTP layer answers 503) instead of queueing them.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: retryDelayMs,
    // Many concurrent requests per worker: batch their commands into one write per tick.
    enableAutoPipelining: true,
    lazyConnect: true,
  };
}

/** One factory for every way the config can name a Redis: TCP, unix socket, Sentinel, Cluster. */
export function createRedis(cfg: RedisSection, opts: ConnectionOptions = {}): RedisClient {
  const base = baseOptions(cfg, opts);
  if (cfg.clustered) {
    const clusterOptions: ClusterOptions = {
      redisOptions: base,
      enableOfflineQueue: false,
      clusterRetryStrategy: retryDelayMs,
      enableAutoPipelining: true,
      lazyConnect: true,
      scaleReads: 'master',
      shardedSubscribers: opts.subscriber === true,
    };
    return new Cluster(cfg.clusterNodes, clusterOptions);
  }
  if (cfg.sentinels.length > 0) {
    // The Sentinels speak the same TLS as the data nodes when tls is on.
    const sentinelTLS = base.tls;
    return new Redis({ ...base, db: cfg.db, sentinels: cfg.sentinels, name: cfg.sentinelName, sentinelTLS, enableTLSForSentinelMode: sentinelTLS !== undefined });
  }
  if (cfg.connType === 'unix_sock') {
    return new Redis({ ...base, db: cfg.db, path: cfg.unixSocketPath });
  }
  return new Redis({ ...base, db: cfg.db, host: cfg.host, port: cfg.port });
}

/** Where the config points, for log lines and error messages. */
export function describeRedis(cfg: RedisSection): string {
  if (cfg.clustered) return `Redis Cluster ${cfg.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  if (cfg.sentinels.length > 0) return `Redis master "${cfg.sentinelName}" via Sentinel`;
  if (cfg.connType === 'unix_sock') return `Redis at unix socket ${cfg.unixSocketPath}`;
  return `Redis at ${cfg.host}:${cfg.port} db ${cfg.db}`;
}

// Redis replies that mean "Redis cannot serve now", not "the request is wrong".
// UNBLOCKED: a blocking command (our WAIT) cut short because the master became a replica.
const UNAVAILABLE_REPLY = /^(OOM|LOADING|READONLY|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|BUSY|NOREPLICAS|UNBLOCKED)\b/;
// ioredis's own words for a connection that is down, closed or too slow.
const UNAVAILABLE_CLIENT =
  /(Stream isn't writeable|Connection is closed|Command aborted due to connection close|Command timed out|Reached the max retries|None of startup nodes is available|Failed to refresh slots cache|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH)/;

/** The one place that decides whether an error means "Redis cannot serve now" (503), not a bug. */
export function isRedisUnavailable(error: unknown): boolean {
  if (error instanceof RedisUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  return UNAVAILABLE_REPLY.test(error.message) || UNAVAILABLE_CLIENT.test(error.message) || error.name === 'MaxRetriesPerRequestError';
}
