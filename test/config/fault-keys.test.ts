// The config keys of issue 13: auth tokens, Redis command timeout, replica acknowledgement,
// slow-client timeouts, a private CA for Redis TLS.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { parseConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/errors.js';

const MINIMAL = '[sharq]\njob_expire_interval : 1000\njob_requeue_interval : 1000\n';

function parse(text: string, env: NodeJS.ProcessEnv = {}) {
  return parseConfig(text, 'sharq.conf', env).config;
}

describe('fault and security keys', () => {
  test('defaults', () => {
    const config = parse(MINIMAL);
    assert.deepEqual(config.server.authTokens, []);
    assert.equal(config.server.redisCommandTimeoutMs, 2000);
    assert.equal(config.server.headersTimeoutMs, 20_000);
    assert.equal(config.server.requestTimeoutMs, 60_000);
    assert.equal(config.redis.minReplicasAck, 0);
    assert.equal(config.redis.replicaAckTimeoutMs, 1000);
    assert.equal(config.redis.tlsCaFile, undefined);
  });

  test('auth_tokens: comma separated, spaces trimmed, from the file or SHARQ_AUTH_TOKENS', () => {
    assert.deepEqual(parse(`${MINIMAL}[sharq-server]\nauth_tokens : old-token, new-token\n`).server.authTokens, [
      'old-token',
      'new-token',
    ]);
    assert.deepEqual(parse(MINIMAL, { SHARQ_AUTH_TOKENS: 'a1,b2' }).server.authTokens, ['a1', 'b2']);
  });

  test('a bad token is refused without echoing it', () => {
    assert.throws(
      () => parse(`${MINIMAL}[sharq-server]\nauth_tokens : good, bad\u00e9secret\n`),
      (error: unknown) =>
        error instanceof ConfigError && error.message.includes('auth_tokens') && !error.message.includes('secret'),
    );
  });

  test('redis keys and their environment variables', () => {
    const config = parse(MINIMAL, {
      SHARQ_REDIS_COMMAND_TIMEOUT: '750',
      SHARQ_REDIS_MIN_REPLICAS_ACK: '1',
      SHARQ_REDIS_REPLICA_ACK_TIMEOUT: '300',
      SHARQ_REDIS_TLS_CA_FILE: '/etc/ca.pem',
      SHARQ_HEADERS_TIMEOUT: '5000',
      SHARQ_REQUEST_TIMEOUT: '9000',
    });
    assert.equal(config.server.redisCommandTimeoutMs, 750);
    assert.equal(config.redis.minReplicasAck, 1);
    assert.equal(config.redis.replicaAckTimeoutMs, 300);
    assert.equal(config.redis.tlsCaFile, '/etc/ca.pem');
    assert.equal(config.server.headersTimeoutMs, 5000);
    assert.equal(config.server.requestTimeoutMs, 9000);
  });

  test('headers_timeout may not exceed request_timeout', () => {
    assert.throws(
      () => parse(`${MINIMAL}[sharq-server]\nheaders_timeout : 9000\nrequest_timeout : 5000\n`),
      /headers_timeout: must not exceed request_timeout/,
    );
  });

  test('min_replicas_ack is a non-negative integer', () => {
    assert.throws(() => parse(`${MINIMAL}[redis]\nmin_replicas_ack : -1\n`), /min_replicas_ack: expected a non-negative integer/);
  });
});
