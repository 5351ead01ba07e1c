// deploy/grafana/: provisioning YAML linted by yamllint and wired to the compose services (as
// docker-compose reads them), and the dashboard's panels shaped so they tell the truth. That every
// expression returns data is checked on a real Prometheus in dashboard-live.test.ts.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { parse as parseYaml } from 'yaml';

import { abs, composeConfig, mounts, readText, yamllint } from './tools.js';

interface Target {
  expr?: string;
  datasource?: { uid?: string };
}
interface Panel {
  id: number;
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; datasource?: { uid?: string }; query: string | { query: string } }[] };
}

const dashboard = (): Dashboard => JSON.parse(readText('deploy/grafana/dashboards/sharq.json')) as Dashboard;
const exprs = (p: Panel): string[] => (p.targets ?? []).map((t) => t.expr ?? '');
const panelsUsing = (metric: string): Panel[] => dashboard().panels.filter((p) => exprs(p).some((e) => e.includes(metric)));

describe('Grafana provisioning', () => {
  test('yamllint finds nothing', async () => {
    await yamllint('deploy/grafana/provisioning/datasources/prometheus.yml', 'deploy/grafana/provisioning/dashboards/sharq.yml');
  });

  test('the datasource is the compose prometheus service, uid prometheus, default', async () => {
    const cfg = parseYaml(readText('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { uid: string; type: string; url: string; isDefault?: boolean }[];
    };
    const [ds] = cfg.datasources;
    assert.ok(ds);
    assert.deepEqual([ds.uid, ds.type, ds.isDefault], ['prometheus', 'prometheus', true]);
    const url = new URL(ds.url);
    const compose = await composeConfig();
    const ports = (compose.services[url.hostname]?.ports ?? []).map((p) => p.target);
    assert.ok(ports.includes(Number(url.port)), `${ds.url} is not a compose service port`);
  });

  test('the dashboard provider reads the folder compose mounts the dashboards into', async () => {
    const cfg = parseYaml(readText('deploy/grafana/provisioning/dashboards/sharq.yml')) as {
      providers: { type: string; options: { path: string } }[];
    };
    const grafana = (await composeConfig()).services.grafana;
    assert.ok(grafana);
    const mount = mounts(grafana).find((m) => m.source === abs('deploy/grafana/dashboards'));
    assert.equal(cfg.providers[0]?.type, 'file');
    assert.equal(cfg.providers[0]?.options.path, mount?.target);
  });
});

describe('deploy/grafana/dashboards/sharq.json', () => {
  test('every panel and target uses datasource uid prometheus; panel ids are unique; no per-queue/per-job labels', () => {
    const d = dashboard();
    assert.equal(new Set(d.panels.map((p) => p.id)).size, d.panels.length, 'duplicate panel id');
    for (const p of d.panels) {
      assert.equal(p.datasource?.uid, 'prometheus', `panel "${p.title}"`);
      assert.ok(exprs(p).length > 0, `panel "${p.title}" has no query`);
      for (const t of p.targets ?? []) if (t.datasource) assert.equal(t.datasource.uid, 'prometheus');
      for (const e of exprs(p)) assert.doesNotMatch(e, /\b(queue_id|job_id)\b/, `panel "${p.title}"`);
    }
  });

  test('HTTP latency leaves out Prometheus scrapes of /metrics, which would dominate it', () => {
    const latency = panelsUsing('sharq_http_request_duration_seconds_bucket');
    assert.ok(latency.length > 0, 'no HTTP latency panel');
    for (const e of latency.flatMap(exprs)) assert.match(e, /_bucket\{[^}]*route!="\/metrics"[^}]*\}/, e);
  });

  test('process memory and event-loop lag are shown per role (primary, workers), not only summed', () => {
    for (const metric of ['sharq_process_resident_memory_bytes', 'sharq_nodejs_eventloop_lag_seconds']) {
      const panels = panelsUsing(metric);
      assert.ok(panels.length > 0, `no panel shows ${metric}`);
      for (const e of panels.flatMap(exprs)) assert.match(e, /by \([^)]*\brole\b[^)]*\)/, e);
    }
  });

  test('a queue_type variable lists the types from sharq_queued_jobs', () => {
    const v = dashboard().templating.list.find((x) => x.name === 'queue_type');
    assert.ok(v, 'no queue_type variable');
    assert.equal(v.datasource?.uid, 'prometheus');
    const query = typeof v.query === 'string' ? v.query : v.query.query;
    assert.equal(query.replace(/\s+/g, ''), 'label_values(sharq_queued_jobs,queue_type)');
  });
});
