// The Grafana dashboard against a real Prometheus (Debian's `prometheus`) scraping the real CLI
// every second: after traffic that makes every kind of event, each expression of every panel,
// and the queue_type variable, must return data through the Prometheus HTTP API. Also what the
// dashboard relies on: a type's counters exist at 0 before its first event, so increase() counts
// that event, and process metrics come from the primary and the workers, labelled by role.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { freePort } from '../helpers/ports.js';
import { spawnChild, type ChildHandle } from '../helpers/process.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { readText } from './tools.js';

/** A server's start-up takes ~13 s at a load of 30 on 2 cores: a deadline for a loaded machine, not a hang. */
const START_TIMEOUT_MS = 90_000;
/** Each test waits on Prometheus's 1 s scrapes and rate windows: above the suite's 120 s default. */
const LIVE = { timeout: 300_000 };

interface Panel {
  title: string;
  targets?: { expr?: string }[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; query: string | { query: string } }[] };
}
interface QueryResult {
  metric: Record<string, string>;
  value: [number, string];
}

let redis: RedisServerHandle;
let server: ServerHandle;
let prometheus: ChildHandle | undefined;
let prometheusUrl = '';
let tmp = '';

async function query(expr: string): Promise<QueryResult[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: QueryResult[] } };
  assert.equal(body.status, 'success', `${expr}: ${body.error ?? res.status}`);
  return body.data?.result ?? [];
}

/** Waits until `expr` returns at least one series, and returns them. */
function eventually(expr: string, what: string, accept: (r: QueryResult[]) => boolean = (r) => r.length > 0): Promise<QueryResult[]> {
  return waitFor(async () => {
    const result = await query(expr);
    return accept(result) ? result : undefined;
  }, { what: `${what} (${expr})`, timeoutMs: 60_000, intervalMs: 500 });
}

const enqueue = (type: string, queue: string, job: string, extra: Record<string, unknown> = {}) =>
  server.api.post(`/enqueue/${type}/${queue}/`, { job_id: job, interval: 0, payload: { job }, ...extra });

before(async () => {
  redis = await startRedis();
  server = await startServer({
    redisPort: redis.port,
    workers: 2,
    config: { sharq: { job_expire_interval: '300', job_requeue_interval: '200' } },
    startTimeoutMs: START_TIMEOUT_MS,
  });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sharq-prometheus-'));
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  const configFile = path.join(tmp, 'prometheus.yml');
  writeFileSync(
    configFile,
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: sharq',
      '    metrics_path: /metrics',
      `    static_configs: [{ targets: ["127.0.0.1:${server.port}"] }]`,
      '',
    ].join('\n'),
  );
  // Killed with this process even if the test fails before after() (the harness's safety net).
  const prom = spawnChild('prometheus', 'prometheus', [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(tmp, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ]);
  prometheus = prom;
  await waitFor(async () => (await fetch(`${prometheusUrl}/-/ready`)).ok, { what: 'prometheus to be ready', timeoutMs: 60_000 }).catch(
    (error: unknown) => {
      const hint = prom.hasExited() ? " (it exited: is Debian's prometheus installed? .ci/run installs it)" : '';
      throw new Error(`${error instanceof Error ? error.message : String(error)}${hint}\n${prom.output().slice(-3000)}`);
    },
  );
  await eventually('up{job="sharq"} == 1', 'the first successful scrape');
}, LIVE);

after(async () => {
  await prometheus?.stop('SIGTERM', 10_000);
  await server?.stop();
  await redis?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the dashboard on a real Prometheus', () => {
  test("a new type's counters are at 0 before its first event, so increase() sees the first discard and rejection", LIVE, async () => {
    assert.equal((await enqueue('firsts', 'q1', 'dies', { requeue_limit: 0 })).status, 201);
    // Prometheus holds a 0 for both counters before either event happens.
    await eventually('sharq_jobs_discarded_total{queue_type="firsts"} == 0', 'discarded at 0');
    await eventually('sharq_jobs_rejected_total{queue_type="firsts"} == 0', 'rejected at 0');

    assert.equal((await server.api.get('/dequeue/firsts/')).status, 200); // never finished: discarded on expiry
    assert.equal((await enqueue('firsts', 'q1', 'too-many', { max_queued_length: 1 })).status, 201);
    assert.equal((await enqueue('firsts', 'q1', 'rejected', { max_queued_length: 1 })).status, 429);

    await eventually('increase(sharq_jobs_discarded_total{queue_type="firsts"}[1m]) > 0', 'the first discard in increase()');
    await eventually('increase(sharq_jobs_rejected_total{queue_type="firsts"}[1m]) > 0', 'the first rejection in increase()');
  });

  test('process memory comes from the primary and from the workers, told apart by role', LIVE, async () => {
    const series = await eventually('sum by (role) (sharq_process_resident_memory_bytes)', 'RSS by role', (r) => r.length >= 2);
    assert.deepEqual(series.map((s) => s.metric.role).sort(), ['primary', 'worker']);
    for (const s of series) assert.ok(Number(s.value[1]) > 10 * 1024 * 1024, `${s.metric.role} RSS ${s.value[1]}`);
  });

  test('every panel expression and the queue_type variable return data after traffic of every kind', LIVE, async () => {
    // Every kind of event on two types: enqueue, duplicate, dequeue, finish, fail, requeue, discard, 429, 404.
    for (const type of ['sms', 'email']) {
      for (let i = 0; i < 5; i++) assert.equal((await enqueue(type, `q${i}`, `j${i}`)).status, 201);
      assert.equal((await enqueue(type, 'q0', 'j0')).status, 201); // duplicate
      for (let i = 0; i < 3; i++) {
        const job = (await server.api.get(`/dequeue/${type}/`)).body as { queue_id: string; job_id: string };
        assert.equal((await server.api.post(`/finish/${type}/${job.queue_id}/${job.job_id}/`)).status, 200);
      }
      assert.equal((await enqueue(type, 'once', 'retry', { requeue_limit: 1 })).status, 201);
      assert.equal((await enqueue(type, 'never', 'drop', { requeue_limit: 0 })).status, 201);
      assert.equal((await enqueue(type, 'full', 'a', { max_queued_length: 1 })).status, 201);
      assert.equal((await enqueue(type, 'full', 'b', { max_queued_length: 1 })).status, 429);
      // A fail of whichever job comes out next (retried or dead, as its requeue limit says).
      const failing = (await server.api.get(`/dequeue/${type}/`)).body as { queue_id: string; job_id: string };
      assert.equal((await server.api.post(`/fail/${type}/${failing.queue_id}/${failing.job_id}/`, { error: 'down' })).status, 200);
    }
    // The primary has listed both types at a scrape, so their requeue counters start from a 0.
    await eventually('count(sharq_jobs_requeued_total{queue_type=~"sms|email"} == 0) == 2', 'requeue counters at 0');
    // Dequeue everything left without finishing: expiries make requeues and discards.
    for (const type of ['sms', 'email']) {
      while ((await server.api.get(`/dequeue/${type}/`)).status === 200);
    }
    await eventually('sum(increase(sharq_jobs_requeued_total[1m])) > 0', 'a requeue');

    const dashboard = JSON.parse(readText('deploy/grafana/dashboards/sharq.json')) as Dashboard;
    const variable = dashboard.templating.list.find((v) => v.name === 'queue_type');
    assert.ok(variable, 'no queue_type variable');
    const labelQuery = typeof variable.query === 'string' ? variable.query : variable.query.query;
    const labels = /^label_values\((\w+),\s*(\w+)\)$/.exec(labelQuery.trim());
    assert.ok(labels, `unexpected variable query ${labelQuery}`);
    const values = (await (await fetch(`${prometheusUrl}/api/v1/label/${labels[2]}/values?match[]=${labels[1]}`)).json()) as { data: string[] };
    for (const type of ['sms', 'email']) assert.ok(values.data.includes(type), `variable values ${JSON.stringify(values.data)}`);

    let expressions = 0;
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets ?? []) {
        assert.ok(expr, `panel "${panel.title}" has an empty expression`);
        // What Grafana sends with "All" selected.
        await eventually(expr.replaceAll('$queue_type', 'sms|email'), `panel "${panel.title}" to return data`);
        expressions++;
      }
    }
    assert.ok(expressions >= 20, `only ${expressions} expressions`);
  });
});
