import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ENV_VARIABLES, loadConfig, parseConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/errors.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const MINIMAL = '[sharq]\njob_expire_interval : 1000\njob_requeue_interval : 1000\n';

const tmp = mkdtempSync(join(tmpdir(), 'sharq-config-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Parses text as if it were the file sharq.conf, with no environment. */
function parse(text: string, env: NodeJS.ProcessEnv = {}) {
  return parseConfig(text, 'sharq.conf', env);
}

function assertConfigError(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.message, message);
    assert.ok(!err.message.includes('\n'), 'the message is one line');
    return true;
  });
}

describe('seed sample files, byte for byte', () => {
  test('the server README sample loads', () => {
    const { config, warnings } = loadConfig(join(fixtures, 'seed-server.conf'), {});
    assert.deepEqual(warnings, []);
    assert.equal(config.path, resolve(fixtures, 'seed-server.conf'));
    assert.deepEqual(config.sharq, {
      jobExpireIntervalMs: 1000,
      jobRequeueIntervalMs: 1000,
      defaultJobRequeueLimit: -1,
      deadLetterLimit: 1000,
      requeueBatchSize: 100,
      idleQueueTtlMs: 3_600_000,
      defaultBackoffMs: 0,
    });
    assert.deepEqual(config.server, {
      host: '127.0.0.1',
      port: 8080,
      workers: 1,
      accesslog: '/var/log/sharq-server/sharq.log',
      logLevel: 'info',
      bodyLimitBytes: 1048576,
      metricsPort: undefined,
      shutdownTimeoutMs: 10000,
      redisStartupTimeoutMs: 10000,
      maxWaitMs: 30000,
      maxBatch: 1000,
      redisCommandTimeoutMs: 2000,
      authTokens: [],
      headersTimeoutMs: 20_000,
      requestTimeoutMs: 60_000,
      otelEndpoint: undefined,
    });
    assert.deepEqual(config.redis, {
      db: 0,
      keyPrefix: 'sharq_server',
      connType: 'unix_sock',
      unixSocketPath: '/tmp/redis.sock',
      host: '127.0.0.1',
      port: 6379,
      username: undefined,
      password: undefined,
      tls: false,
      tlsCaFile: undefined,
      minReplicasAck: 0,
      replicaAckTimeoutMs: 1000,
      clustered: false,
      clusterNodes: [{ host: '127.0.0.1', port: 6379 }],
      sentinels: [],
      sentinelName: undefined,
    });
  });

  test('the library README sample (no [sharq-server]) loads with server defaults', () => {
    const { config, warnings } = loadConfig(join(fixtures, 'seed-library.conf'), {});
    assert.deepEqual(warnings, []);
    assert.equal(config.sharq.defaultJobRequeueLimit, -1);
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.server.port, 8080);
    assert.equal(config.server.workers, availableParallelism());
    assert.equal(config.server.accesslog, undefined);
    assert.equal(config.redis.connType, 'tcp_sock');
    assert.equal(config.redis.unixSocketPath, '/tmp/redis.sock');
  });

  test('a relative path becomes absolute in config.path', () => {
    const relative = join('test', 'fixtures', 'seed-library.conf');
    const cwd = process.cwd();
    process.chdir(resolve(fixtures, '..', '..'));
    try {
      assert.equal(loadConfig(relative, {}).config.path, resolve(relative));
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('INI syntax', () => {
  test('key = value, comments, blank lines, whitespace and CRLF', () => {
    const text = [
      '# a hash comment',
      '; a semicolon comment',
      ';; a double one',
      '',
      '  [sharq]  ',
      'job_expire_interval=2000',
      '   job_requeue_interval   =   3000   # trailing hash comment',
      'default_job_requeue_limit = 5 ; trailing semicolon comment',
      '[sharq-server] ; comment after a header',
      'accesslog = /var/log/a;b#c.log',
      '[redis]',
      'password = p@ss:w=rd',
      'cluster_nodes = 10.0.0.1:7000, 10.0.0.2:7001,[::1]:7002',
    ].join('\r\n');
    const { config } = parse(text);
    assert.equal(config.sharq.jobExpireIntervalMs, 2000);
    assert.equal(config.sharq.jobRequeueIntervalMs, 3000);
    assert.equal(config.sharq.defaultJobRequeueLimit, 5);
    assert.equal(config.server.accesslog, '/var/log/a;b#c.log', 'no whitespace before ; or #: part of the value');
    assert.equal(config.redis.password, 'p@ss:w=rd', 'only the first separator splits');
    assert.deepEqual(config.redis.clusterNodes, [
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
  });

  test('empty values: optional keys unset, defaulted keys error only if invalid', () => {
    const { config } = parse(`${MINIMAL}[sharq-server]\naccesslog :\nmetrics_port : ; none\n[redis]\npassword =\n`);
    assert.equal(config.server.accesslog, undefined);
    assert.equal(config.server.metricsPort, undefined);
    assert.equal(config.redis.password, undefined);
  });

  test('a line that is not key/value, header or comment', () => {
    assertConfigError(
      () => parse(`${MINIMAL}just some words\n`),
      'sharq.conf: line 4: expected "key : value", "key = value", "[section]" or a comment, got "just some words"',
    );
  });

  test('a malformed section header', () => {
    assertConfigError(() => parse('[sharq\n'), 'sharq.conf: line 1: malformed section header "[sharq"');
  });

  test('a key before any section', () => {
    assertConfigError(
      () => parse('port : 1\n[sharq]\n'),
      'sharq.conf: line 1: key "port" appears before any [section] header',
    );
  });

  test('a duplicate key', () => {
    assertConfigError(
      () => parse(`${MINIMAL}[redis]\nport : 1\nhost : h\nport : 2\n`),
      'sharq.conf: [redis] port: duplicate key (lines 5 and 7)',
    );
  });
});

describe('values and defaults', () => {
  test('defaults for a minimal file', () => {
    const { config } = parse(MINIMAL);
    assert.equal(config.sharq.deadLetterLimit, 1000);
    assert.equal(config.sharq.requeueBatchSize, 100);
    assert.equal(config.server.logLevel, 'info');
    assert.equal(config.server.bodyLimitBytes, 1048576);
    assert.equal(config.redis.keyPrefix, 'sharq_server');
    assert.equal(config.redis.connType, 'tcp_sock');
    assert.deepEqual(config.redis.sentinels, []);
  });

  test('every key set', () => {
    const { config, warnings } = parse(
      [
        '[sharq]',
        'job_expire_interval : 5000',
        'job_requeue_interval : 250',
        'default_job_requeue_limit : 0',
        'dead_letter_limit : 0',
        'requeue_batch_size : 10000',
        'idle_queue_ttl : 60000',
        'default_backoff_ms : 2500',
        '[sharq-server]',
        'host : 0.0.0.0',
        'port : 65535',
        'workers : 4',
        'accesslog : access.log',
        'log_level : debug',
        'body_limit : 2mb',
        'metrics_port : 9100',
        'shutdown_timeout : 0',
        'redis_startup_timeout : 30000',
        'max_wait_ms : 120000',
        'max_batch : 50',
        '[redis]',
        'db : 3',
        'key_prefix : my:prefix',
        'host : redis.internal',
        'port : 6380',
        'username : sharq',
        'password : secret',
        'tls : YES',
        'sentinels : s1:26379,s2:26380',
        'sentinel_name : mymaster',
      ].join('\n'),
    );
    assert.deepEqual(warnings, []);
    assert.deepEqual(config.sharq, {
      jobExpireIntervalMs: 5000,
      jobRequeueIntervalMs: 250,
      defaultJobRequeueLimit: 0,
      deadLetterLimit: 0,
      requeueBatchSize: 10000,
      idleQueueTtlMs: 60_000,
      defaultBackoffMs: 2500,
    });
    assert.deepEqual(config.server, {
      host: '0.0.0.0',
      port: 65535,
      workers: 4,
      accesslog: 'access.log',
      logLevel: 'debug',
      bodyLimitBytes: 2 * 1024 * 1024,
      metricsPort: 9100,
      shutdownTimeoutMs: 0,
      redisStartupTimeoutMs: 30000,
      maxWaitMs: 120000,
      maxBatch: 50,
      redisCommandTimeoutMs: 2000,
      authTokens: [],
      headersTimeoutMs: 20_000,
      requestTimeoutMs: 60_000,
      otelEndpoint: undefined,
    });
    assert.equal(config.redis.db, 3);
    assert.equal(config.redis.keyPrefix, 'my:prefix');
    assert.equal(config.redis.username, 'sharq');
    assert.equal(config.redis.password, 'secret');
    assert.equal(config.redis.tls, true);
    assert.deepEqual(config.redis.clusterNodes, [{ host: 'redis.internal', port: 6380 }]);
    assert.deepEqual(config.redis.sentinels, [
      { host: 's1', port: 26379 },
      { host: 's2', port: 26380 },
    ]);
    assert.equal(config.redis.sentinelName, 'mymaster');
  });

  test('booleans', () => {
    for (const [raw, expected] of [
      ['true', true], ['Yes', true], ['ON', true], ['1', true],
      ['false', false], ['no', false], ['Off', false], ['0', false],
    ] as const) {
      assert.equal(parse(`${MINIMAL}[redis]\nclustered : ${raw}\n`).config.redis.clustered, expected, raw);
    }
    assertConfigError(
      () => parse(`${MINIMAL}[redis]\ntls : maybe\n`),
      'sharq.conf: [redis] tls: expected true/false, yes/no, on/off or 1/0, got "maybe"',
    );
  });

  test('body_limit sizes', () => {
    const limit = (raw: string) => parse(`${MINIMAL}[sharq-server]\nbody_limit : ${raw}\n`).config.server.bodyLimitBytes;
    assert.equal(limit('100'), 100);
    assert.equal(limit('512kb'), 512 * 1024);
    assert.equal(limit('1MB'), 1024 * 1024);
    assert.equal(limit('1 mb'), 1024 * 1024);
    assertConfigError(
      () => limit('1.5mb'),
      'sharq.conf: [sharq-server] body_limit: expected a size in bytes >= 1 (e.g. 1048576, 512kb, 1mb), got "1.5mb"',
    );
    assertConfigError(
      () => limit('0'),
      'sharq.conf: [sharq-server] body_limit: expected a size in bytes >= 1 (e.g. 1048576, 512kb, 1mb), got "0"',
    );
  });
});

describe('errors name the file, section and key', () => {
  const cases: [string, string][] = [
    [
      '[sharq]\njob_expire_interval : abc\njob_requeue_interval : 1000\n',
      'sharq.conf: [sharq] job_expire_interval: expected a positive integer (milliseconds), got "abc"',
    ],
    [
      '[sharq]\njob_expire_interval : 1000abc\njob_requeue_interval : 1000\n',
      'sharq.conf: [sharq] job_expire_interval: expected a positive integer (milliseconds), got "1000abc"',
    ],
    [
      '[sharq]\njob_expire_interval : 1000\njob_requeue_interval : 1.5\n',
      'sharq.conf: [sharq] job_requeue_interval: expected a positive integer (milliseconds), got "1.5"',
    ],
    [
      '[sharq]\njob_expire_interval : 0\njob_requeue_interval : 1000\n',
      'sharq.conf: [sharq] job_expire_interval: expected a positive integer (milliseconds), got "0"',
    ],
    [
      `${MINIMAL}default_job_requeue_limit : -2\n`,
      'sharq.conf: [sharq] default_job_requeue_limit: expected an integer >= -1, got "-2"',
    ],
    [`${MINIMAL}dead_letter_limit : -1\n`, 'sharq.conf: [sharq] dead_letter_limit: expected a non-negative integer, got "-1"'],
    [
      `${MINIMAL}requeue_batch_size : 10001\n`,
      'sharq.conf: [sharq] requeue_batch_size: expected an integer 1-10000, got "10001"',
    ],
    [
      `${MINIMAL}default_backoff_ms : 86400001\n`,
      'sharq.conf: [sharq] default_backoff_ms: expected an integer 0-86400000 (milliseconds), got "86400001"',
    ],
    [`${MINIMAL}[sharq-server]\nport : 0\n`, 'sharq.conf: [sharq-server] port: expected a port 1-65535, got "0"'],
    [`${MINIMAL}[sharq-server]\nport : 65536\n`, 'sharq.conf: [sharq-server] port: expected a port 1-65535, got "65536"'],
    [`${MINIMAL}[sharq-server]\nport :\n`, 'sharq.conf: [sharq-server] port: expected a port 1-65535, got ""'],
    [`${MINIMAL}[sharq-server]\nworkers : 0\n`, 'sharq.conf: [sharq-server] workers: expected a positive integer, got "0"'],
    [
      `${MINIMAL}[sharq-server]\nlog_level : loud\n`,
      'sharq.conf: [sharq-server] log_level: expected one of error, warn, info, http, debug, got "loud"',
    ],
    [
      `${MINIMAL}[sharq-server]\nmetrics_port : 8080\n`,
      'sharq.conf: [sharq-server] metrics_port: must differ from port (8080)',
    ],
    [
      `${MINIMAL}[sharq-server]\nshutdown_timeout : -1\n`,
      'sharq.conf: [sharq-server] shutdown_timeout: expected a non-negative integer (milliseconds), got "-1"',
    ],
    [`${MINIMAL}[redis]\ndb : -1\n`, 'sharq.conf: [redis] db: expected a non-negative integer, got "-1"'],
    [
      `${MINIMAL}[redis]\nconn_type : tcp\n`,
      'sharq.conf: [redis] conn_type: expected one of tcp_sock, unix_sock, got "tcp"',
    ],
    [
      `${MINIMAL}[redis]\nconn_type : unix_sock\n`,
      'sharq.conf: [redis] unix_socket_path: required when conn_type is unix_sock',
    ],
    [
      `${MINIMAL}[redis]\nkey_prefix : sharq{x}\n`,
      'sharq.conf: [redis] key_prefix: expected a non-empty prefix without "{" or "}", got "sharq{x}"',
    ],
    [
      `${MINIMAL}[redis]\nkey_prefix : ; empty\n`,
      'sharq.conf: [redis] key_prefix: expected a non-empty prefix without "{" or "}", got ""',
    ],
    [
      `${MINIMAL}[redis]\ncluster_nodes : a:1,b\n`,
      'sharq.conf: [redis] cluster_nodes: expected a comma-separated list of host:port, got "a:1,b"',
    ],
    [`${MINIMAL}[redis]\nsentinels : s1:26379\n`, 'sharq.conf: [redis] sentinel_name: required when sentinels is set'],
    [
      `${MINIMAL}[redis]\nclustered : true\nsentinels : s:1\nsentinel_name : m\n`,
      'sharq.conf: [redis] sentinels: cannot be combined with clustered = true',
    ],
    [
      `${MINIMAL}[redis]\nclustered : true\nconn_type : unix_sock\nunix_socket_path : /s\n`,
      'sharq.conf: [redis] conn_type: unix_sock cannot be combined with clustered = true',
    ],
    [`${MINIMAL}[redis]\nclustered : true\ndb : 2\n`, 'sharq.conf: [redis] db: Redis Cluster only has db 0, got 2'],
    [
      '[sharq]\njob_requeue_interval : 1000\n',
      'sharq.conf: [sharq] job_expire_interval: required key is missing (or set SHARQ_JOB_EXPIRE_INTERVAL)',
    ],
    ['', 'sharq.conf: [sharq] job_expire_interval: required key is missing (or set SHARQ_JOB_EXPIRE_INTERVAL)'],
  ];
  for (const [text, message] of cases) {
    test(message, () => assertConfigError(() => parse(text), message));
  }

  test('a missing file', () => {
    const missing = join(tmp, 'nope.conf');
    assertConfigError(
      () => loadConfig(missing, {}),
      `cannot read config file ${missing}: ENOENT: no such file or directory, open '${missing}'`,
    );
  });

  test('a directory instead of a file', () => {
    assert.throws(() => loadConfig(tmp, {}), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, new RegExp(`^cannot read config file ${tmp}: EISDIR`));
      return true;
    });
  });

  test('errors from a file on disk use the path as given', () => {
    const file = join(tmp, 'bad.conf');
    writeFileSync(file, '[sharq]\njob_expire_interval : 1000 ; ms\njob_requeue_interval : soon\n');
    assertConfigError(
      () => loadConfig(file, {}),
      `${file}: [sharq] job_requeue_interval: expected a positive integer (milliseconds), got "soon"`,
    );
  });
});

describe('unknown keys and sections', () => {
  test('warn, not fail', () => {
    const { config, warnings } = parse(
      `${MINIMAL}colour : blue\n[sharq-server]\nPort : 9000\n[redis]\nhostname : x\n[extra]\na : 1\n`,
    );
    assert.equal(config.server.port, 8080);
    assert.deepEqual(warnings, [
      'sharq.conf: [sharq] colour: unknown key, ignored',
      'sharq.conf: [sharq-server] Port: unknown key, ignored (keys are lower-case: did you mean "port"?)',
      'sharq.conf: [redis] hostname: unknown key, ignored',
      'sharq.conf: [extra]: unknown section, ignored',
    ]);
  });
});

describe('environment overrides', () => {
  test('ENV_VARIABLES lists every key once, with unique names', () => {
    const names = ENV_VARIABLES.map((v) => v.name);
    assert.equal(new Set(names).size, names.length);
    for (const expected of [
      'SHARQ_JOB_EXPIRE_INTERVAL', 'SHARQ_PORT', 'SHARQ_HOST', 'SHARQ_WORKERS', 'SHARQ_ACCESSLOG',
      'SHARQ_LOG_LEVEL', 'SHARQ_BODY_LIMIT', 'SHARQ_METRICS_PORT', 'SHARQ_REDIS_HOST', 'SHARQ_REDIS_PORT',
      'SHARQ_REDIS_PASSWORD', 'SHARQ_REDIS_CLUSTERED', 'SHARQ_REDIS_KEY_PREFIX',
    ]) {
      assert.ok(names.includes(expected), expected);
    }
    assert.deepEqual(
      ENV_VARIABLES.find((v) => v.name === 'SHARQ_REDIS_KEY_PREFIX'),
      { name: 'SHARQ_REDIS_KEY_PREFIX', section: 'redis', key: 'key_prefix' },
    );
  });

  test('env replaces file values and supplies missing required keys', () => {
    const { config } = parse('[sharq]\njob_requeue_interval : 1000\n[redis]\nhost : file-host\n', {
      SHARQ_JOB_EXPIRE_INTERVAL: '750',
      SHARQ_PORT: '9090',
      SHARQ_REDIS_HOST: 'env-host',
      SHARQ_REDIS_PORT: '7000',
      SHARQ_REDIS_CLUSTERED: 'true',
      SHARQ_REDIS_PASSWORD: 'from-env',
      SHARQ_BODY_LIMIT: '64kb',
    });
    assert.equal(config.sharq.jobExpireIntervalMs, 750);
    assert.equal(config.server.port, 9090);
    assert.equal(config.redis.host, 'env-host');
    assert.equal(config.redis.clustered, true);
    assert.equal(config.redis.password, 'from-env');
    assert.equal(config.server.bodyLimitBytes, 64 * 1024);
    assert.deepEqual(config.redis.clusterNodes, [{ host: 'env-host', port: 7000 }]);
  });

  test('an empty env variable counts as unset', () => {
    const { config } = parse(`${MINIMAL}[sharq-server]\nport : 9000\n`, { SHARQ_PORT: '', SHARQ_REDIS_HOST: '  ' });
    assert.equal(config.server.port, 9000);
    assert.equal(config.redis.host, '127.0.0.1');
  });

  test('env errors name the variable', () => {
    assertConfigError(() => parse(MINIMAL, { SHARQ_PORT: 'x' }), 'SHARQ_PORT: expected a port 1-65535, got "x"');
    assertConfigError(
      () => parse(MINIMAL, { SHARQ_REDIS_KEY_PREFIX: 'a}b' }),
      'SHARQ_REDIS_KEY_PREFIX: expected a non-empty prefix without "{" or "}", got "a}b"',
    );
    assertConfigError(
      () => parse(MINIMAL, { SHARQ_REDIS_CONN_TYPE: 'unix_sock' }),
      'sharq.conf: [redis] unix_socket_path: required when conn_type is unix_sock',
    );
  });

  test('precedence: file < env < overrides', () => {
    const text = `${MINIMAL}[sharq-server]\nhost : file\nport : 1111\nworkers : 1\nlog_level : error\n`;
    const env = { SHARQ_HOST: 'env', SHARQ_PORT: '2222', SHARQ_WORKERS: '2' };
    const fileOnly = parseConfig(text, 'sharq.conf', {}).config.server;
    assert.deepEqual([fileOnly.host, fileOnly.port, fileOnly.workers, fileOnly.logLevel], ['file', 1111, 1, 'error']);
    const withEnv = parseConfig(text, 'sharq.conf', env).config.server;
    assert.deepEqual([withEnv.host, withEnv.port, withEnv.workers, withEnv.logLevel], ['env', 2222, 2, 'error']);
    const all = parseConfig(text, 'sharq.conf', env, { port: 3333, logLevel: 'debug' }).config.server;
    assert.deepEqual([all.host, all.port, all.workers, all.logLevel], ['env', 3333, 2, 'debug']);
  });

  test('overrides are validated and errors name the flag', () => {
    assertConfigError(() => parseConfig(MINIMAL, 'sharq.conf', {}, { port: 0 }), '--port: expected a port 1-65535, got "0"');
    assertConfigError(
      () => parseConfig(MINIMAL, 'sharq.conf', {}, { workers: 1.5 }),
      '--workers: expected a positive integer, got "1.5"',
    );
    assertConfigError(
      () => parseConfig(MINIMAL, 'sharq.conf', {}, { port: Number.NaN }),
      '--port: expected a port 1-65535, got "NaN"',
    );
  });

  test('loadConfig reads process.env by default', () => {
    const saved = process.env.SHARQ_REDIS_DB;
    process.env.SHARQ_REDIS_DB = '5';
    try {
      assert.equal(loadConfig(join(fixtures, 'seed-library.conf')).config.redis.db, 5);
    } finally {
      if (saved === undefined) delete process.env.SHARQ_REDIS_DB;
      else process.env.SHARQ_REDIS_DB = saved;
    }
  });
});

describe('tracing (SPEC 5.16)', () => {
  const SERVER = `${MINIMAL}[sharq-server]\n`;

  test('off unless otel_endpoint or an OTLP endpoint variable says where', () => {
    assert.equal(parse(MINIMAL).config.tracing, undefined);
    assert.equal('tracing' in parse(MINIMAL).config, false, 'the workers get no tracing field at all');
    assert.deepEqual(parse(`${SERVER}otel_endpoint : http://collector:4318\n`).config.tracing, {
      tracesUrl: 'http://collector:4318/v1/traces',
    });
    assert.deepEqual(parse(`${SERVER}otel_endpoint = https://otel.example/base/\n`).config.tracing, {
      tracesUrl: 'https://otel.example/base/v1/traces',
    });
    // The standard variables: the exporter reads them itself.
    assert.deepEqual(parse(MINIMAL, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).config.tracing, {});
    assert.deepEqual(parse(MINIMAL, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }).config.tracing, {});
    assert.equal(parse(MINIMAL, { OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }).config.tracing, undefined);
  });

  test('otel_endpoint (file or SHARQ_OTEL_ENDPOINT) wins over the standard variables; OTEL_SDK_DISABLED turns it off', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:4318', SHARQ_OTEL_ENDPOINT: 'http://mine:4318' };
    assert.deepEqual(parse(MINIMAL, env).config.tracing, { tracesUrl: 'http://mine:4318/v1/traces' });
    assert.equal(parse(`${SERVER}otel_endpoint : http://collector:4318\n`, { OTEL_SDK_DISABLED: 'TRUE' }).config.tracing, undefined);
    assert.equal(parse(MINIMAL, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }).config.tracing, undefined);
  });

  test('a bad otel_endpoint stops the start with the key named', () => {
    assertConfigError(
      () => parse(`${SERVER}otel_endpoint : collector:4318\n`),
      'sharq.conf: [sharq-server] otel_endpoint: expected an http:// or https:// URL (e.g. http://127.0.0.1:4318), got "collector:4318"',
    );
    assertConfigError(
      () => parse(MINIMAL, { SHARQ_OTEL_ENDPOINT: 'grpc://collector:4317' }),
      'SHARQ_OTEL_ENDPOINT: expected an http:// or https:// URL (e.g. http://127.0.0.1:4318), got "grpc://collector:4317"',
    );
  });
});
