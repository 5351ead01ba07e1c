// deploy/prometheus.yml checked by promtool (Debian's `prometheus` package), and the exposition
// the real CLI serves on /metrics checked by `promtool check metrics`.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import promClient from 'prom-client';
import { parse as parseYaml } from 'yaml';

import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { abs, assertToolPasses, composeConfig, readText, runTool, yamllint } from './tools.js';

/** A server's start-up takes ~13 s at a load of 30 on 2 cores: a deadline for a loaded machine, not a hang. */
const START_TIMEOUT_MS = 90_000;
/** Tests that start servers: above the suite's 120 s default, for a loaded machine. */
const SLOW = { timeout: 300_000 };

interface PrometheusConfig {
  scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
}

describe('deploy/prometheus.yml', () => {
  test('promtool check config passes; yamllint finds nothing', async () => {
    await assertToolPasses('promtool', ['check', 'config', abs('deploy/prometheus.yml')]);
    await yamllint('deploy/prometheus.yml');
  });

  test('the sharq job scrapes /metrics (not the JSON /metrics/) on the compose service and its container port', async () => {
    const job = (parseYaml(readText('deploy/prometheus.yml')) as PrometheusConfig).scrape_configs.find((j) => j.job_name === 'sharq');
    assert.ok(job, 'no scrape job named sharq');
    assert.equal(job.metrics_path, '/metrics');
    const compose = await composeConfig();
    const targets = job.static_configs.flatMap((s) => s.targets);
    assert.ok(targets.length > 0);
    for (const target of targets) {
      const [host = '', port = ''] = target.split(':');
      const ports = (compose.services[host]?.ports ?? []).map((p) => p.target);
      assert.ok(ports.includes(Number(port)), `${target}: compose service ${host} has no container port ${port}`);
    }
  });
});

describe('GET /metrics of the real CLI', () => {
  let redis: RedisServerHandle;
  let server: ServerHandle;

  before(async () => {
    redis = await startRedis();
    server = await startServer({ redisPort: redis.port, workers: 2, startTimeoutMs: START_TIMEOUT_MS });
  }, SLOW);
  after(async () => {
    await server?.stop();
    await redis?.stop();
  });

  test('passes promtool check metrics, but for the *_total gauges prom-client itself names', SLOW, async () => {
    const job = { job_id: 'j1', interval: 10, payload: {} };
    assert.equal((await server.api.post('/enqueue/sms/q1/', job)).status, 201);
    assert.equal((await server.api.get('/dequeue/sms/')).status, 200);
    const scrape = await server.api.get('/metrics');
    assert.equal(scrape.status, 200);

    const run = await runTool('promtool', ['check', 'metrics'], { input: scrape.text });
    // 0: clean; 3: lint findings only. Anything else is a parse error of the exposition.
    assert.ok(run.code === 0 || run.code === 3, `promtool exited ${run.code}:\n${run.stderr}${run.stdout}`);
    const registry = new promClient.Registry();
    promClient.collectDefaultMetrics({ register: registry, prefix: 'sharq_' });
    const defaults = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    const findings = `${run.stdout}${run.stderr}`.split('\n').filter((line) => line.trim() !== '');
    for (const finding of findings) {
      const name = finding.split(/\s/)[0] ?? '';
      assert.ok(defaults.has(name), `promtool finds fault with our own metric: ${finding}`);
    }
  });
});
