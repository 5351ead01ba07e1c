// RedisStatus logs a connection outage once and its end once; a refusal over a live connection
// (OOM, a timeout) is logged at most every 30 s and leaves a later real outage to be logged.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import winston from 'winston';

import { createRedis, type RedisClient } from '../../src/redis/client.js';
import { RedisStatus } from '../../src/redis/status.js';
import { startRedis, tcpRedisSection, type RedisServerHandle } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

function capturingLogger(): { logger: winston.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(String(chunk).trim());
      done();
    },
  });
  return { logger: winston.createLogger({ transports: [new winston.transports.Stream({ stream })] }), lines };
}

describe('RedisStatus', () => {
  let server: RedisServerHandle;
  let client: RedisClient;
  before(async () => {
    server = await startRedis();
    client = createRedis(tcpRedisSection(server, 'status'), { connectionName: 'status-test', commandTimeoutMs: 1000 });
    await client.connect();
  });
  after(async () => {
    client?.disconnect();
    await server?.stop();
  });

  test('refusals are logged at most every 30 s and do not hide a later outage', async () => {
    const { logger, lines } = capturingLogger();
    let nowMs = 1_000_000;
    const status = new RedisStatus(client, logger, 'test-redis', () => nowMs);
    const oom = new Error('OOM command not allowed when used memory > maxmemory');
    status.markDown(oom);
    status.markDown(oom);
    nowMs += 10_000;
    status.markDown(oom);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0] ?? '', /refused or did not answer/);
    assert.match(lines[0] ?? '', /OOM command not allowed/);
    nowMs += 30_000;
    status.markDown(oom);
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[1] ?? '', /"refusalsSinceLastLog":2/);

    await server.kill();
    await waitFor(() => lines.some((l) => l.includes('Redis is unavailable')), { what: 'the outage to be logged' });
    await server.restart();
    await waitFor(() => lines.some((l) => l.includes('Redis is back')), { what: 'the recovery to be logged', timeoutMs: 20_000 });
    assert.equal(lines.filter((l) => l.includes('Redis is unavailable')).length, 1, lines.join('\n'));
  });
});
