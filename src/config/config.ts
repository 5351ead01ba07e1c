// Reads the INI config file (SharQ's format), applies SHARQ_* environment variables and
// command-line overrides, and validates everything into the typed Config once at start.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type {
  Config,
  ConnType,
  LogLevel,
  RedisNode,
  RedisSection,
  ServerSection,
  SharqSection,
  TracingSettings,
} from '../interfaces.js';
import { ConfigError } from '../errors.js';
import { parseIni, type IniFile } from './ini.js';

/** Command-line flags as typed: validated here, so `--port abc` reads `got "abc"`. */
export type ConfigOverrides = Partial<{ host: string; port: string | number; workers: string | number; logLevel: string }>;

/** A bad command-line flag value: a usage error (the CLI exits 2), not a bad config file. */
export class FlagValueError extends ConfigError {
  override name = 'FlagValueError';
}

export interface LoadedConfig {
  config: Config;
  warnings: string[];
}

// ---------------------------------------------------------------------------------------------
// Value parsers. Each throws InvalidValue with the "expected ..., got ..." part of the message;
// the caller prefixes where the value came from (file/section/key, env variable, or flag).

class InvalidValue extends Error {}

type Parser<T> = (raw: string) => T;

const got = (raw: string): string => `got ${JSON.stringify(raw)}`;

function integer(min: number, max?: number, unit?: string): Parser<number> {
  let what: string;
  if (max !== undefined) what = `an integer ${min}-${max}`;
  else if (min === 0) what = 'a non-negative integer';
  else if (min === 1) what = 'a positive integer';
  else what = `an integer >= ${min}`;
  if (unit !== undefined) what += ` (${unit})`;
  return (raw) => {
    const n = /^[+-]?\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) {
      throw new InvalidValue(`expected ${what}, ${got(raw)}`);
    }
    return n;
  };
}

const port: Parser<number> = (raw) => {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new InvalidValue(`expected a port 1-65535, ${got(raw)}`);
  return n;
};

const milliseconds = (min: number, max?: number): Parser<number> => integer(min, max, 'milliseconds');

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

// Same units as Express's body limit (1kb = 1024 bytes), so `1mb` means what users expect there.
const byteSize: Parser<number> = (raw) => {
  const match = /^(\d+)\s*([kmg]?b)?$/i.exec(raw);
  const factor = SIZE_UNITS[(match?.[2] ?? '').toLowerCase()];
  const n = match && factor !== undefined ? Number(match[1]) * factor : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidValue(`expected a size in bytes >= 1 (e.g. 1048576, 512kb, 1mb), ${got(raw)}`);
  }
  return n;
};

const BOOLEANS: Record<string, boolean> = {
  true: true, yes: true, on: true, '1': true,
  false: false, no: false, off: false, '0': false,
};

const boolean: Parser<boolean> = (raw) => {
  const b = BOOLEANS[raw.toLowerCase()];
  if (b === undefined) throw new InvalidValue(`expected true/false, yes/no, on/off or 1/0, ${got(raw)}`);
  return b;
};

function oneOf<T extends string>(choices: readonly T[]): Parser<T> {
  return (raw) => {
    const found = choices.find((c) => c === raw);
    if (found === undefined) throw new InvalidValue(`expected one of ${choices.join(', ')}, ${got(raw)}`);
    return found;
  };
}

const hostname: Parser<string> = (raw) => {
  if (raw === '' || /\s/.test(raw)) throw new InvalidValue(`expected a host name or IP address, ${got(raw)}`);
  return raw;
};

/** Empty means "not set" for optional strings (paths, credentials). */
const optionalString: Parser<string | undefined> = (raw) => (raw === '' ? undefined : raw);

const optionalPort: Parser<number | undefined> = (raw) => (raw === '' ? undefined : port(raw));

// An OTLP/HTTP endpoint as OTEL_EXPORTER_OTLP_ENDPOINT takes it: http(s), the signal's path added later.
const optionalHttpUrl: Parser<string | undefined> = (raw) => {
  if (raw === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new InvalidValue(`expected an http:// or https:// URL (e.g. http://127.0.0.1:4318), ${got(raw)}`);
  }
  return raw;
};

// Key names carry a {hash tag} so one queue's keys share a cluster slot; a brace in the prefix
// would end up as (or break) that tag.
const keyPrefix: Parser<string> = (raw) => {
  if (raw === '' || /[{}]/.test(raw)) {
    throw new InvalidValue(`expected a non-empty prefix without "{" or "}", ${got(raw)}`);
  }
  return raw;
};

// Comma-separated bearer tokens (several, so one can be rotated). The message never echoes the value:
// it is a secret.
const tokenList: Parser<string[]> = (raw) => {
  const tokens = raw.split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (tokens.some((t) => !/^[\x21-\x7e]+$/.test(t))) {
    throw new InvalidValue('expected comma-separated tokens of printable ASCII without spaces (value not shown)');
  }
  return tokens;
};

// `host:port`, with IPv6 hosts in brackets (`[::1]:6379`).
const nodeList: Parser<RedisNode[]> = (raw) => {
  if (raw === '') return [];
  return raw.split(',').map((item) => {
    const match = /^\s*(\[[^\]]+\]|[^\s:,[\]]+):(\d+)\s*$/.exec(item);
    const host = match?.[1]?.replace(/^\[(.*)\]$/, '$1');
    const portNumber = match?.[2] === undefined ? NaN : Number(match[2]);
    if (host === undefined || !(portNumber >= 1 && portNumber <= 65535)) {
      throw new InvalidValue(`expected a comma-separated list of host:port, ${got(raw)}`);
    }
    return { host, port: portNumber };
  });
};

// ---------------------------------------------------------------------------------------------
// The key table: every INI key, its Config field, parser and default, in one place. The mapped
// types make the compiler check that every Config field has exactly one key.

const REQUIRED = Symbol('required');

interface KeySpec<T> {
  readonly ini: string;
  readonly parse: Parser<T>;
  readonly fallback: T | typeof REQUIRED;
}

type SectionSpec<S> = { readonly [F in keyof S]-?: KeySpec<S[F]> };

export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'http', 'debug'];
const CONN_TYPES: readonly ConnType[] = ['tcp_sock', 'unix_sock'];

const SHARQ_KEYS: SectionSpec<SharqSection> = {
  jobExpireIntervalMs: { ini: 'job_expire_interval', parse: milliseconds(1), fallback: REQUIRED },
  jobRequeueIntervalMs: { ini: 'job_requeue_interval', parse: milliseconds(1), fallback: REQUIRED },
  defaultJobRequeueLimit: { ini: 'default_job_requeue_limit', parse: integer(-1), fallback: -1 },
  deadLetterLimit: { ini: 'dead_letter_limit', parse: integer(0), fallback: 1000 },
  requeueBatchSize: { ini: 'requeue_batch_size', parse: integer(1, 10000), fallback: 100 },
  idleQueueTtlMs: { ini: 'idle_queue_ttl', parse: milliseconds(0), fallback: 3_600_000 },
  defaultBackoffMs: { ini: 'default_backoff_ms', parse: milliseconds(0, 24 * 3600 * 1000), fallback: 0 },
};

const SERVER_KEYS: SectionSpec<ServerSection> = {
  host: { ini: 'host', parse: hostname, fallback: '127.0.0.1' },
  port: { ini: 'port', parse: port, fallback: 8080 },
  workers: { ini: 'workers', parse: integer(1), fallback: availableParallelism() },
  accesslog: { ini: 'accesslog', parse: optionalString, fallback: undefined },
  logLevel: { ini: 'log_level', parse: oneOf(LOG_LEVELS), fallback: 'info' },
  bodyLimitBytes: { ini: 'body_limit', parse: byteSize, fallback: 1048576 },
  metricsPort: { ini: 'metrics_port', parse: optionalPort, fallback: undefined },
  shutdownTimeoutMs: { ini: 'shutdown_timeout', parse: milliseconds(0), fallback: 10000 },
  redisStartupTimeoutMs: { ini: 'redis_startup_timeout', parse: milliseconds(0), fallback: 10000 },
  maxWaitMs: { ini: 'max_wait_ms', parse: milliseconds(0), fallback: 30000 },
  maxBatch: { ini: 'max_batch', parse: integer(1, 100_000), fallback: 1000 },
  redisCommandTimeoutMs: { ini: 'redis_command_timeout', parse: milliseconds(1), fallback: 2000 },
  authTokens: { ini: 'auth_tokens', parse: tokenList, fallback: [] },
  headersTimeoutMs: { ini: 'headers_timeout', parse: milliseconds(1), fallback: 20_000 },
  requestTimeoutMs: { ini: 'request_timeout', parse: milliseconds(1), fallback: 60_000 },
  otelEndpoint: { ini: 'otel_endpoint', parse: optionalHttpUrl, fallback: undefined },
};

const REDIS_KEYS: SectionSpec<RedisSection> = {
  db: { ini: 'db', parse: integer(0), fallback: 0 },
  keyPrefix: { ini: 'key_prefix', parse: keyPrefix, fallback: 'sharq_server' },
  connType: { ini: 'conn_type', parse: oneOf(CONN_TYPES), fallback: 'tcp_sock' },
  unixSocketPath: { ini: 'unix_socket_path', parse: optionalString, fallback: undefined },
  host: { ini: 'host', parse: hostname, fallback: '127.0.0.1' },
  port: { ini: 'port', parse: port, fallback: 6379 },
  username: { ini: 'username', parse: optionalString, fallback: undefined },
  password: { ini: 'password', parse: optionalString, fallback: undefined },
  tls: { ini: 'tls', parse: boolean, fallback: false },
  tlsCaFile: { ini: 'tls_ca_file', parse: optionalString, fallback: undefined },
  minReplicasAck: { ini: 'min_replicas_ack', parse: integer(0), fallback: 0 },
  replicaAckTimeoutMs: { ini: 'replica_ack_timeout', parse: milliseconds(1), fallback: 1000 },
  clustered: { ini: 'clustered', parse: boolean, fallback: false },
  // Empty here means "host:port"; filled in after the section is read.
  clusterNodes: { ini: 'cluster_nodes', parse: nodeList, fallback: [] },
  sentinels: { ini: 'sentinels', parse: nodeList, fallback: [] },
  sentinelName: { ini: 'sentinel_name', parse: optionalString, fallback: undefined },
};

type SectionName = 'sharq' | 'sharq-server' | 'redis';

function envName(section: SectionName, ini: string): string {
  return `SHARQ_${section === 'redis' ? 'REDIS_' : ''}${ini.toUpperCase()}`;
}

function specsOf(section: SectionName): KeySpec<unknown>[] {
  const table = section === 'sharq' ? SHARQ_KEYS : section === 'sharq-server' ? SERVER_KEYS : REDIS_KEYS;
  return Object.values<KeySpec<unknown>>(table);
}

const SECTIONS: readonly SectionName[] = ['sharq', 'sharq-server', 'redis'];

/** Every environment variable loadConfig reads; empty values count as unset. */
export const ENV_VARIABLES: readonly { name: string; section: string; key: string }[] = SECTIONS.flatMap(
  (section) => specsOf(section).map((spec) => ({ name: envName(section, spec.ini), section, key: spec.ini })),
);

// Flags the CLI passes in `overrides`, named as the user typed them in error messages.
const OVERRIDE_FLAGS: { readonly [F in keyof ConfigOverrides]-?: { field: F; flag: string } } = {
  host: { field: 'host', flag: '--host' },
  port: { field: 'port', flag: '--port' },
  workers: { field: 'workers', flag: '--workers' },
  logLevel: { field: 'logLevel', flag: '--log-level' },
};

// ---------------------------------------------------------------------------------------------
// Assembly.

/** One raw value and the label its errors are reported under. */
interface RawSource {
  raw: string;
  label: string;
  /** From a command-line flag: a bad value is a usage error. */
  flag?: boolean;
}

function parseFrom<T>(spec: KeySpec<T>, source: RawSource): T {
  try {
    return spec.parse(source.raw);
  } catch (err) {
    if (err instanceof InvalidValue) {
      const message = `${source.label}: ${err.message}`;
      throw source.flag === true ? new FlagValueError(message) : new ConfigError(message);
    }
    throw err;
  }
}

function assign<S, F extends keyof S>(target: Partial<S>, field: F, value: S[F]): void {
  target[field] = value;
}

function readSection<S extends object>(
  section: SectionName,
  table: SectionSpec<S>,
  file: string,
  ini: IniFile,
  env: NodeJS.ProcessEnv,
  extra: Partial<Record<keyof S, RawSource>>,
): S {
  const fileSection = ini.get(section);
  const out: Partial<S> = {};
  // Object.keys loses the key type; the table is typed by S, so its own keys are exactly keyof S.
  for (const field of Object.keys(table) as (keyof S)[]) {
    const spec = table[field];
    // Every layer is validated, even one a later layer replaces: a bad value is a bug either way.
    let value = spec.fallback;
    const fileValue = fileSection?.get(spec.ini);
    if (fileValue !== undefined) {
      value = parseFrom(spec, { raw: fileValue.value, label: `${file}: [${section}] ${spec.ini}` });
    }
    const name = envName(section, spec.ini);
    const envRaw = env[name]?.trim();
    // Unset and empty are the same, so `SHARQ_X=${X}` with X unset leaves the file value alone.
    if (envRaw !== undefined && envRaw !== '') value = parseFrom(spec, { raw: envRaw, label: name });
    const override = extra[field];
    if (override !== undefined) value = parseFrom(spec, override);
    if (value === REQUIRED) {
      throw new ConfigError(`${file}: [${section}] ${spec.ini}: required key is missing (or set ${name})`);
    }
    assign(out, field, value);
  }
  // Every field was assigned in the loop above.
  return out as S;
}

/** Edit distance (insertions, deletions, substitutions), case-insensitive. */
function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[y.length] ?? 0;
}

/** The known key closest to a typo, if close enough to be a likely meaning (a third of its length). */
function nearestName(key: string, names: Iterable<string>): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(key, name);
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  return best !== undefined && best.distance <= Math.max(1, Math.floor(key.length / 3)) ? best.name : undefined;
}

function unknownKeyWarnings(file: string, ini: IniFile): string[] {
  const warnings: string[] = [];
  for (const [section, keys] of ini) {
    const known = SECTIONS.find((s) => s === section);
    if (known === undefined) {
      const nearest = nearestName(section, SECTIONS);
      const hint = nearest === undefined ? '' : ` (did you mean [${nearest}]?)`;
      warnings.push(`${file}: [${section}]: unknown section, ignored${hint}`);
      continue;
    }
    const names = new Set(specsOf(known).map((spec) => spec.ini));
    for (const key of keys.keys()) {
      if (names.has(key)) continue;
      // Python's ConfigParser lower-cases keys, so old files may have `Port`; point at the fix.
      let hint = '';
      if (names.has(key.toLowerCase())) hint = ` (keys are lower-case: did you mean "${key.toLowerCase()}"?)`;
      else {
        const nearest = nearestName(key, names);
        if (nearest !== undefined) hint = ` (did you mean "${nearest}"?)`;
      }
      warnings.push(`${file}: [${section}] ${key}: unknown key, ignored${hint}`);
    }
  }
  return warnings;
}

function checkRedis(redis: RedisSection, file: string): RedisSection {
  const where = (key: string): string => `${file}: [redis] ${key}`;
  if (redis.connType === 'unix_sock' && redis.unixSocketPath === undefined) {
    throw new ConfigError(`${where('unix_socket_path')}: required when conn_type is unix_sock`);
  }
  if (redis.sentinels.length > 0 && redis.sentinelName === undefined) {
    throw new ConfigError(`${where('sentinel_name')}: required when sentinels is set`);
  }
  if (redis.clustered) {
    if (redis.sentinels.length > 0) {
      throw new ConfigError(`${where('sentinels')}: cannot be combined with clustered = true`);
    }
    if (redis.connType === 'unix_sock') {
      throw new ConfigError(`${where('conn_type')}: unix_sock cannot be combined with clustered = true`);
    }
    // Redis Cluster has a single database; SELECT fails on every node.
    if (redis.db !== 0) throw new ConfigError(`${where('db')}: Redis Cluster only has db 0, got ${redis.db}`);
  }
  const clusterNodes = redis.clusterNodes.length > 0 ? redis.clusterNodes : [{ host: redis.host, port: redis.port }];
  return { ...redis, clusterNodes };
}

function checkServer(server: ServerSection, file: string): void {
  if (server.headersTimeoutMs > server.requestTimeoutMs) {
    throw new ConfigError(`${file}: [sharq-server] headers_timeout: must not exceed request_timeout (${server.requestTimeoutMs})`);
  }
  if (server.metricsPort !== undefined && server.metricsPort === server.port) {
    throw new ConfigError(`${file}: [sharq-server] metrics_port: must differ from port (${server.port})`);
  }
}

/**
 * Tracing is on with otel_endpoint (file or SHARQ_OTEL_ENDPOINT), which wins, or with the standard
 * OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the exporter then reads them, and the
 * rest of OTEL_EXPORTER_OTLP_*, itself); OTEL_SDK_DISABLED=true turns it off.
 */
function tracingOf(server: ServerSection, env: NodeJS.ProcessEnv): TracingSettings | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  if (server.otelEndpoint !== undefined) return { tracesUrl: `${server.otelEndpoint.replace(/\/+$/, '')}/v1/traces` };
  const standard = [env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, env.OTEL_EXPORTER_OTLP_ENDPOINT];
  return standard.some((value) => value !== undefined && value.trim() !== '') ? {} : undefined;
}

/**
 * Builds the Config from INI text; `path` names the file in messages. Precedence, lowest first:
 * defaults, the file, SHARQ_* environment variables, `overrides` (command-line flags).
 */
export function parseConfig(
  text: string,
  path: string,
  env: NodeJS.ProcessEnv = process.env,
  overrides: ConfigOverrides = {},
): LoadedConfig {
  const ini = parseIni(text, path);
  const serverExtra: Partial<Record<keyof ServerSection, RawSource>> = {};
  for (const { field, flag } of Object.values(OVERRIDE_FLAGS)) {
    const value = overrides[field];
    if (value !== undefined) serverExtra[field] = { raw: String(value), label: flag, flag: true };
  }
  const sharq = readSection('sharq', SHARQ_KEYS, path, ini, env, {});
  const server = readSection('sharq-server', SERVER_KEYS, path, ini, env, serverExtra);
  const redis = checkRedis(readSection('redis', REDIS_KEYS, path, ini, env, {}), path);
  checkServer(server, path);
  const tracing = tracingOf(server, env);
  const config: Config = { path: resolve(path), sharq, server, redis, ...(tracing === undefined ? {} : { tracing }) };
  return { config, warnings: unknownKeyWarnings(path, ini) };
}

/** Reads and validates the config file; throws ConfigError with a one-line message. */
export function loadConfig(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
  overrides: ConfigOverrides = {},
): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError(`cannot read config file ${path}: ${reason}`);
  }
  return parseConfig(text, path, env, overrides);
}
