// The README is the user's reference: every route, flag, config key and environment variable the code
// has must be documented there; every metric in README or the pages of docs/ it links to.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Redis } from 'ioredis';

import { ENV_VARIABLES } from '../../src/config/config.js';
import { QueueEngine } from '../../src/engine/engine.js';
import { ROUTES } from '../../src/http/routes.js';
import { PrimaryMetrics } from '../../src/metrics/primary-metrics.js';
import { WorkerMetrics } from '../../src/metrics/worker-metrics.js';
import { repoRoot } from '../helpers/server.js';

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
/** README and every docs/*.md page: the metrics table lives in docs/operations.md. */
const userDocs = [
  readme,
  ...readdirSync(path.join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => readFileSync(path.join(repoRoot, 'docs', name), 'utf8')),
].join('\n');

test('every route is documented', () => {
  for (const route of ROUTES) {
    const documented = route.path.replace(/:([a-z_]+)/g, '<$1>');
    assert.ok(readme.includes(`${route.method} ${documented}`), `README lacks ${route.method} ${documented}`);
  }
  assert.ok(readme.includes('`GET /metrics`'));
});

test('every config key and environment variable is documented', () => {
  for (const v of ENV_VARIABLES) {
    assert.ok(readme.includes(`| \`${v.key}\` |`), `README lacks [${v.section}] ${v.key}`);
    assert.ok(readme.includes(`\`${v.name}\``), `README lacks ${v.name}`);
  }
  assert.ok(readme.includes('`SHARQ_CONFIG`'));
});

test('every CLI flag is documented', () => {
  for (const flag of ['--config', '-c', '--host', '--port', '--workers', '--log-level', '--version', '--help']) {
    assert.ok(readme.includes(`\`${flag}`), `README lacks ${flag}`);
  }
});

test('every sharq_ metric is documented', async () => {
  // Never connected: only the metric definitions are read.
  const redis = new Redis({ lazyConnect: true });
  const engine = new QueueEngine(redis, {
    keyPrefix: 'docs',
    jobExpireIntervalMs: 1000,
    defaultRequeueLimit: -1,
    deadLetterLimit: 0,
    requeueBatchSize: 1,
    idleQueueTtlMs: 0,
    defaultBackoffMs: 0,
  });
  const names = [
    ...new WorkerMetrics(() => true).registry.getMetricsAsArray(),
    ...new PrimaryMetrics(engine).registry.getMetricsAsArray(),
  ]
    .map((m) => m.name)
    .filter((name) => !name.startsWith('sharq_process_') && !name.startsWith('sharq_nodejs_'));
  assert.ok(names.length >= 18);
  for (const name of names) assert.ok(userDocs.includes(`\`${name}`), `README and docs/ lack metric ${name}`);
  redis.disconnect();
});

test("CI runs README's test command, so npm test's OpenAPI coverage check (posttest) runs there too", () => {
  assert.ok(readme.includes('\nnpm ci && npm test\n'), "README's command to run the tests");
  // .ci/run's last commands are README's, npm's own flags aside; a file argument to npm test would make
  // the coverage check judge a part of the suite.
  const ciCommands = readFileSync(path.join(repoRoot, '.ci', 'run'), 'utf8')
    .split('\n')
    .filter((line) => /^npm /.test(line));
  assert.deepEqual(ciCommands, ['npm ci --no-fund --no-audit', 'npm test']);
  const scripts = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.match(scripts.pretest ?? '', /openapi-coverage\.ts clear/);
  assert.match(scripts.posttest ?? '', /openapi-coverage\.ts check/);
});
