// The client without OpenTelemetry (SPEC 5.16): in a process where @opentelemetry/api cannot be
// imported, the built client still enqueues (a traceparent it is given still goes with the job) and
// runWorker still runs, finishes and fails jobs, only without spans.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';

import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { repoRoot, startServer, type ServerHandle } from '../helpers/server.js';

const execFileAsync = promisify(execFile);

let redis: RedisServerHandle;
let server: ServerHandle;

before(async () => {
  redis = await startRedis();
  server = await startServer({ redisPort: redis.port, workers: 1 });
});

after(async () => {
  await server?.stop();
  await redis?.stop();
});

test('enqueue and runWorker work where @opentelemetry/api is not installed', { timeout: 60_000 }, async () => {
  const here = path.join(repoRoot, 'test', 'client');
  const hook = pathToFileURL(path.join(here, 'no-otel-hook.mjs')).href;
  const client = pathToFileURL(path.join(repoRoot, 'dist', 'client', 'index.js')).href;
  const { stdout } = await execFileAsync(process.execPath, [`--import=${hook}`, path.join(here, 'without-otel-app.mjs'), server.url, client], {
    timeout: 50_000,
  });
  const result = JSON.parse(stdout) as { hidden: boolean; seen: [string, string | null][]; summary: Record<string, number> };
  assert.equal(result.hidden, true, 'the package really was out of reach');
  assert.deepEqual(result.seen, [
    ['plain', null],
    ['given', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
  ]);
  assert.deepEqual(result.summary, { finished: 1, failed: 1, retried: 1, dead: 0, lost: 0 });
});
