// Static checks of the deployment files (no Docker engine here), plus one live run of the
// Dockerfile's start command outside Docker against a throwaway redis-server.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import promClient from 'prom-client';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const abs = (p: string): string => path.resolve(ROOT, p);
const readText = (p: string): string => readFileSync(abs(p), 'utf8');

/** Routes the server answers with 200 without a body: what probes and scrapers may hit. */
const SERVED_GET_ROUTES = ['/', '/deepstatus/', '/metrics'];
const METRICS_PATH = '/metrics';
const IMAGE_CONFIG_PATH = '/etc/sharq/sharq.conf';

// ---------- known Prometheus metric names (the server's contract) ----------

const APP_METRICS = [
  'sharq_jobs_enqueued_total', 'sharq_jobs_dequeued_total', 'sharq_jobs_finished_total',
  'sharq_jobs_requeued_total', 'sharq_jobs_discarded_total', 'sharq_jobs_rejected_total',
  'sharq_jobs_duplicate_total', 'sharq_http_requests_total',
  'sharq_queued_jobs', 'sharq_active_jobs', 'sharq_ready_queues', 'sharq_queues',
  'sharq_redis_up', 'sharq_leader',
  'sharq_http_request_duration_seconds', 'sharq_redis_command_duration_seconds',
  'sharq_requeue_pass_duration_seconds', 'sharq_requeue_jobs_moved_total',
  'sharq_delayed_jobs', 'sharq_delayed_jobs_promoted_total', 'sharq_dead_letters',
  'sharq_jobs_touched_total', 'sharq_dead_letters_replayed_total',
];

/** prom-client's default metrics with the server's prefix, taken from the installed prom-client itself. */
async function defaultMetricNames(): Promise<string[]> {
  const registry = new promClient.Registry();
  promClient.collectDefaultMetrics({ register: registry, prefix: 'sharq_' });
  const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
  registry.clear();
  return names;
}

/** Names a PromQL expression refers to, with histogram/summary series suffixes stripped. */
function metricNamesIn(expr: string, known: Set<string>): { name: string; base: string | undefined }[] {
  const found = expr.match(/\bsharq_[a-zA-Z0-9_:]+/g) ?? [];
  return found.map((name) => {
    if (known.has(name)) return { name, base: name };
    const stripped = name.replace(/_(bucket|sum|count)$/, '');
    return { name, base: stripped !== name && known.has(stripped) ? stripped : undefined };
  });
}

// ---------- small parsers ----------

type Ini = Record<string, Record<string, string>>;

/** The SharQ INI dialect: `key : value` or `key = value`, `;`/`#` comment lines, inline ` ; comments`. */
function parseIni(text: string): Ini {
  const out: Ini = {};
  let section: Record<string, string> | undefined;
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/\s;.*$/, '').trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header?.[1]) {
      section = out[header[1]] ??= {};
      continue;
    }
    const kv = /^([A-Za-z0-9_.-]+)\s*[:=]\s*(.*)$/.exec(line);
    assert.ok(kv?.[1] !== undefined && section, `INI line ${i + 1} is neither a section nor key:value: ${raw}`);
    section[kv[1]] = kv[2] ?? '';
  }
  return out;
}

interface DockerInstruction { op: string; args: string; stage: number }

/** Dockerfile instructions with line continuations joined and comments dropped; stage = index of the FROM above. */
function parseDockerfile(text: string): DockerInstruction[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*#/.test(raw)) continue;
    if (/\\\s*$/.test(raw)) {
      pending += raw.replace(/\\\s*$/, ' ');
      continue;
    }
    logical.push(pending + raw);
    pending = '';
  }
  let stage = -1;
  const out: DockerInstruction[] = [];
  for (const line of logical) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m?.[1]) continue;
    const op = m[1].toUpperCase();
    if (op === 'FROM') stage++;
    out.push({ op, args: (m[2] ?? '').trim(), stage });
  }
  return out;
}

/** Exec-form (JSON array) arguments of ENTRYPOINT/CMD; shell form is refused (signals would go to /bin/sh). */
function execForm(instr: DockerInstruction | undefined): string[] {
  assert.ok(instr, 'instruction missing');
  const value: unknown = JSON.parse(instr.args);
  assert.ok(Array.isArray(value) && value.every((v) => typeof v === 'string'), `${instr.op} must be a JSON array`);
  return value as string[];
}

/** COPY/ADD: flags, sources, destination (shell or JSON form). */
function copyParts(args: string): { flags: string[]; sources: string[]; dest: string } {
  const words = args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const rest = words.filter((w) => !w.startsWith('--'));
  const dest = rest.pop();
  assert.ok(dest !== undefined && rest.length > 0, `COPY needs a source and a destination: ${args}`);
  return { flags, sources: rest, dest };
}

/** Whether .dockerignore keeps `relPath` out of the build context (Docker's rules: last match wins, `!` re-includes). */
function dockerIgnored(relPath: string, patterns: string[]): boolean {
  const toRegExp = (glob: string): RegExp => {
    let re = '';
    for (let i = 0; i < glob.length; i++) {
      const c = glob[i] as string;
      if (glob.startsWith('**/', i)) { re += '(?:.*/)?'; i += 2; }
      else if (glob.startsWith('**', i)) { re += '.*'; i += 1; }
      else if (c === '*') re += '[^/]*';
      else if (c === '?') re += '[^/]';
      else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    return new RegExp(`^${re}(?:/.*)?$`); // a matched directory excludes everything below it
  };
  let ignored = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const glob = path.posix.normalize(negated ? pattern.slice(1) : pattern).replace(/^\/+|\/+$/g, '');
    if (toRegExp(glob).test(relPath)) ignored = !negated;
  }
  return ignored;
}

// ---------- compose shapes ----------

type PortSpec = string | number | { target: number; published?: number | string };
type VolumeSpec = string | { type?: string; source?: string; target: string };
interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: PortSpec[];
  volumes?: VolumeSpec[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
}
interface Compose { services: Record<string, ComposeService>; volumes?: Record<string, unknown> }

const compose = (): Compose => parseYaml(readText('docker-compose.yml')) as Compose;

function service(c: Compose, name: string): ComposeService {
  const s = c.services[name];
  assert.ok(s, `docker-compose.yml has no service ${name}`);
  return s;
}

/** Container ports a service publishes ("8080:8080", "127.0.0.1:8080:8080/tcp", long syntax). */
function containerPorts(s: ComposeService): number[] {
  return (s.ports ?? []).map((p) => {
    if (typeof p === 'object') return Number(p.target);
    const last = String(p).split(':').pop() ?? '';
    return Number(last.replace(/\/(tcp|udp)$/, ''));
  });
}

function envOf(s: ComposeService): Record<string, string> {
  const env = s.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => [e.split('=')[0] ?? e, e.split('=').slice(1).join('=')]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

/** Volumes as { source, target, bind } with short syntax decoded; bind = a host path rather than a named volume. */
function mounts(s: ComposeService): { source: string; target: string; bind: boolean }[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v === 'object') return { source: v.source ?? '', target: v.target, bind: v.type === 'bind' };
    const [source = '', target = ''] = v.split(':');
    return { source, target, bind: /^[./~]/.test(source) };
  });
}

function mountFor(s: ComposeService, hostPath: string): { source: string; target: string } | undefined {
  return mounts(s).find((m) => m.bind && path.resolve(ROOT, m.source) === abs(hostPath));
}

// ---------- shared fixtures ----------

const dockerfile = (): DockerInstruction[] => parseDockerfile(readText('deploy/Dockerfile'));
const finalStage = (ins: DockerInstruction[]): DockerInstruction[] => {
  const last = Math.max(...ins.map((i) => i.stage));
  return ins.filter((i) => i.stage === last);
};

interface K8sObject { kind: string; metadata: { name: string; labels?: Record<string, string> }; [k: string]: unknown }
function k8sObjects(): K8sObject[] {
  const docs = parseAllDocuments(readText('deploy/k8s/sharq-server.yaml'));
  assert.ok(Array.isArray(docs), 'k8s YAML must parse as documents');
  return docs.map((d, i) => {
    assert.deepEqual(d.errors, [], `k8s document ${i} has YAML errors`);
    return d.toJS() as K8sObject;
  });
}
function k8sOfKind(kind: string): any { // any: free-form manifests
  const found = k8sObjects().filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `expected exactly one ${kind}`);
  return found[0];
}

interface LoadedByServer { config: Record<string, any>; warnings: string[] }

/**
 * Loads config text (via a temp file) with the server's own loader when src/config/config.ts exists.
 * The environment passed is empty so only the file counts; accepts a bare Config or { config, warnings }.
 */
async function loadConfigText(text: string): Promise<LoadedByServer | undefined> {
  const loaderPath = abs('src/config/config.ts');
  if (!existsSync(loaderPath)) return undefined;
  const mod = (await import(pathToFileURL(loaderPath).href)) as { loadConfig?: (p: string, env?: NodeJS.ProcessEnv) => unknown };
  if (typeof mod.loadConfig !== 'function') return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sharq-deploy-conf-'));
  try {
    const file = path.join(dir, 'sharq.conf');
    writeFileSync(file, text);
    const loaded = (await mod.loadConfig(file, {})) as { config?: Record<string, unknown>; warnings?: string[] };
    return { config: loaded.config ?? loaded, warnings: loaded.warnings ?? [] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------- docker-compose.yml ----------

describe('docker-compose.yml', () => {
  test('parses and has the redis, sharq, prometheus and grafana services', () => {
    const c = compose();
    for (const name of ['redis', 'sharq', 'prometheus', 'grafana']) service(c, name);
  });

  test('sharq builds from the repo with deploy/Dockerfile, which exists', () => {
    const build = service(compose(), 'sharq').build;
    assert.ok(build && typeof build === 'object', 'sharq.build must be a mapping');
    assert.equal(path.resolve(ROOT, build.context ?? '.'), ROOT, 'build context is the repository root');
    assert.ok(existsSync(path.resolve(ROOT, build.context ?? '.', build.dockerfile ?? 'Dockerfile')), 'dockerfile missing');
    assert.equal(build.dockerfile, 'deploy/Dockerfile');
  });

  test('every bind-mounted host path exists and every named volume is declared', () => {
    const c = compose();
    for (const [name, s] of Object.entries(c.services)) {
      for (const m of mounts(s)) {
        if (m.bind) assert.ok(existsSync(path.resolve(ROOT, m.source)), `${name}: host path ${m.source} does not exist`);
        else assert.ok(c.volumes && m.source in c.volumes, `${name}: named volume ${m.source} not declared`);
      }
    }
  });

  test('redis persists with appendonly, has a healthcheck, and sharq waits for it', () => {
    const c = compose();
    const redis = service(c, 'redis');
    const command = Array.isArray(redis.command) ? redis.command.join(' ') : (redis.command ?? '');
    assert.match(command, /--appendonly\s+yes/);
    assert.ok(mounts(redis).some((m) => m.target === '/data'), 'redis /data must be on a volume');
    assert.match(JSON.stringify(redis.healthcheck?.test ?? ''), /redis-cli.*ping/);
    const dependsOn = service(c, 'sharq').depends_on;
    assert.ok(dependsOn && !Array.isArray(dependsOn), 'sharq.depends_on must use the long syntax');
    assert.equal(dependsOn.redis?.condition, 'service_healthy');
  });

  test('sharq points at the redis service and publishes the port its config listens on', () => {
    const c = compose();
    const sharq = service(c, 'sharq');
    const env = envOf(sharq);
    assert.ok(c.services[env.SHARQ_REDIS_HOST ?? ''], `SHARQ_REDIS_HOST=${env.SHARQ_REDIS_HOST} is not a service`);
    assert.equal(env.SHARQ_WORKERS, '4');
    const confPort = Number(parseIni(readText('deploy/sharq.docker.conf'))['sharq-server']?.port);
    assert.ok(containerPorts(sharq).includes(confPort), `sharq must publish container port ${confPort}`);
  });

  test('prometheus and grafana mount their config from deploy/, grafana allows anonymous viewers', () => {
    const c = compose();
    assert.equal(mountFor(service(c, 'prometheus'), 'deploy/prometheus.yml')?.target, '/etc/prometheus/prometheus.yml');
    const grafana = service(c, 'grafana');
    assert.equal(mountFor(grafana, 'deploy/grafana/provisioning')?.target, '/etc/grafana/provisioning');
    assert.ok(mountFor(grafana, 'deploy/grafana/dashboards'), 'grafana must mount deploy/grafana/dashboards');
    const env = envOf(grafana);
    assert.equal(env.GF_AUTH_ANONYMOUS_ENABLED, 'true');
    assert.equal(env.GF_AUTH_ANONYMOUS_ORG_ROLE, 'Viewer');
  });
});

// ---------- Prometheus ----------

describe('deploy/prometheus.yml', () => {
  test('scrapes /metrics on the sharq service and its container port', () => {
    const cfg = parseYaml(readText('deploy/prometheus.yml')) as {
      scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
    };
    const job = cfg.scrape_configs.find((j) => j.job_name === 'sharq');
    assert.ok(job, 'no scrape job named sharq');
    assert.equal(job.metrics_path, METRICS_PATH);
    const targets = job.static_configs.flatMap((s) => s.targets);
    assert.ok(targets.length > 0);
    const c = compose();
    for (const target of targets) {
      const [host = '', port = ''] = target.split(':');
      assert.ok(c.services[host], `target ${target}: no compose service ${host}`);
      assert.ok(containerPorts(service(c, host)).includes(Number(port)), `target ${target}: ${host} does not listen on ${port}`);
    }
  });
});

// ---------- Grafana ----------

describe('Grafana provisioning and dashboard', () => {
  test('the datasource is the compose prometheus service, uid prometheus, default', () => {
    const cfg = parseYaml(readText('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { uid: string; type: string; url: string; isDefault?: boolean }[];
    };
    const [ds] = cfg.datasources;
    assert.ok(ds);
    assert.equal(ds.uid, 'prometheus');
    assert.equal(ds.type, 'prometheus');
    assert.equal(ds.isDefault, true);
    const url = new URL(ds.url);
    assert.ok(containerPorts(service(compose(), url.hostname)).includes(Number(url.port)), `${ds.url} is not the prometheus service`);
  });

  test('the dashboard provider reads the folder compose mounts the dashboards into', () => {
    const cfg = parseYaml(readText('deploy/grafana/provisioning/dashboards/sharq.yml')) as {
      providers: { type: string; options: { path: string } }[];
    };
    const [provider] = cfg.providers;
    assert.equal(provider?.type, 'file');
    assert.equal(provider?.options.path, mountFor(service(compose(), 'grafana'), 'deploy/grafana/dashboards')?.target);
  });

  interface Target { expr?: string; datasource?: { uid?: string } }
  interface Panel { id: number; title: string; type: string; datasource?: { uid?: string }; targets?: Target[] }
  interface Dashboard { panels: Panel[]; templating: { list: { name: string; datasource?: { uid?: string }; query: string | { query: string } }[] } }
  const dashboard = (): Dashboard => JSON.parse(readText('deploy/grafana/dashboards/sharq.json')) as Dashboard;

  test('every panel and target uses datasource uid prometheus; panel ids are unique', () => {
    const d = dashboard();
    assert.ok(d.panels.length > 0);
    assert.equal(new Set(d.panels.map((p) => p.id)).size, d.panels.length, 'duplicate panel id');
    for (const p of d.panels) {
      assert.equal(p.datasource?.uid, 'prometheus', `panel "${p.title}"`);
      assert.ok(p.targets && p.targets.length > 0, `panel "${p.title}" has no query`);
      for (const t of p.targets) {
        if (t.datasource) assert.equal(t.datasource.uid, 'prometheus', `panel "${p.title}" target`);
        assert.ok(t.expr && t.expr.trim() !== '', `panel "${p.title}" has an empty expr`);
      }
    }
  });

  test('every expr uses only metric names the server exports, never queue_id/job_id', async () => {
    const known = new Set([...APP_METRICS, ...(await defaultMetricNames())]);
    const used = new Set<string>();
    for (const p of dashboard().panels) {
      for (const { expr = '' } of p.targets ?? []) {
        const names = metricNamesIn(expr, known);
        assert.ok(names.length > 0, `panel "${p.title}": no sharq_ metric in ${expr}`);
        for (const { name, base } of names) {
          assert.ok(base, `panel "${p.title}": unknown metric ${name}`);
          used.add(base);
        }
        assert.doesNotMatch(expr, /\b(queue_id|job_id)\b/, `panel "${p.title}" must not use per-queue/per-job labels`);
        if (expr.includes('histogram_quantile')) {
          assert.match(expr, /_bucket\b/, `panel "${p.title}": quantile of a non-bucket series`);
          assert.match(expr, /by\s*\([^)]*\ble\b/, `panel "${p.title}": quantile without grouping by le`);
        }
      }
    }
    // Every application metric is on the dashboard, plus the two process panels asked for.
    for (const name of [...APP_METRICS, 'sharq_process_resident_memory_bytes', 'sharq_nodejs_eventloop_lag_seconds']) {
      assert.ok(used.has(name), `no panel shows ${name}`);
    }
  });

  test('a queue_type variable lists the types from sharq_queued_jobs', () => {
    const v = dashboard().templating.list.find((x) => x.name === 'queue_type');
    assert.ok(v, 'no queue_type variable');
    assert.equal(v.datasource?.uid, 'prometheus');
    const query = typeof v.query === 'string' ? v.query : v.query.query;
    assert.match(query, /^label_values\(\s*sharq_queued_jobs\s*,\s*queue_type\s*\)$/);
  });
});

// ---------- Dockerfile ----------

describe('deploy/Dockerfile', () => {
  test('is multi-stage on node:20-bookworm-slim', () => {
    const froms = dockerfile().filter((i) => i.op === 'FROM');
    assert.ok(froms.length >= 2, 'expected a build and a runtime stage');
    for (const f of froms) assert.match(f.args, /^node:20-bookworm-slim\b/);
  });

  test('the runtime stage runs as a non-root user, exposes the compose port, health-checks /deepstatus/', () => {
    const runtime = finalStage(dockerfile());
    const user = runtime.filter((i) => i.op === 'USER').pop();
    assert.ok(user, 'no USER in the runtime stage');
    assert.doesNotMatch(user.args, /^(root|0)(:|$)/);
    const exposed = runtime.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/)).map((p) => Number(p.replace(/\/tcp$/, '')));
    for (const port of containerPorts(service(compose(), 'sharq'))) assert.ok(exposed.includes(port), `EXPOSE ${port} missing`);
    const health = runtime.find((i) => i.op === 'HEALTHCHECK');
    assert.match(health?.args ?? '', /\bCMD\b.*\/deepstatus\//);
    assert.equal(runtime.find((i) => i.op === 'STOPSIGNAL')?.args, 'SIGTERM');
  });

  test('starts node dist/cli.js with the baked-in config', () => {
    const runtime = finalStage(dockerfile());
    assert.deepEqual(execForm(runtime.find((i) => i.op === 'ENTRYPOINT')), ['node', 'dist/cli.js']);
    assert.deepEqual(execForm(runtime.find((i) => i.op === 'CMD')), ['--config', IMAGE_CONFIG_PATH]);
    const copies = runtime.filter((i) => i.op === 'COPY').map((i) => copyParts(i.args));
    assert.ok(copies.some((c) => c.sources.includes('deploy/sharq.docker.conf') && c.dest === IMAGE_CONFIG_PATH));
    // What the server needs at runtime, and nothing from the build stage but dist/ and pruned node_modules.
    const fromBuild = copies.filter((c) => c.flags.some((f) => f.startsWith('--from'))).flatMap((c) => c.sources.map((s) => path.posix.basename(s)));
    assert.deepEqual(fromBuild.sort(), ['dist', 'node_modules']);
    const fromContext = copies.filter((c) => !c.flags.some((f) => f.startsWith('--from'))).flatMap((c) => c.sources);
    for (const needed of ['lua', 'package.json', 'package-lock.json']) assert.ok(fromContext.includes(needed), `runtime stage lacks ${needed}`);
  });

  test('every COPY source exists in the repo and is not excluded by .dockerignore', () => {
    const patterns = readText('.dockerignore').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    for (const host of ['node_modules', 'dist', '.git']) assert.ok(dockerIgnored(host, patterns), `.dockerignore must exclude ${host}`);
    for (const instr of dockerfile().filter((i) => i.op === 'COPY' || i.op === 'ADD')) {
      const { flags, sources } = copyParts(instr.args);
      if (flags.some((f) => f.startsWith('--from'))) continue; // from another stage, not the context
      for (const source of sources) {
        const rel = path.posix.normalize(source).replace(/\/+$/, '');
        if (rel === 'dist') continue; // built in the build stage
        assert.ok(existsSync(abs(rel)), `COPY source ${source} does not exist`);
        assert.ok(!dockerIgnored(rel, patterns), `COPY source ${source} is excluded by .dockerignore`);
      }
    }
  });
});

// ---------- deploy/sharq.docker.conf ----------

describe('deploy/sharq.docker.conf', () => {
  test('has the three sections, listens on all interfaces of the container, uses the compose redis', () => {
    const ini = parseIni(readText('deploy/sharq.docker.conf'));
    assert.deepEqual(Object.keys(ini).sort(), ['redis', 'sharq', 'sharq-server']);
    assert.equal(ini['sharq-server']?.host, '0.0.0.0');
    assert.equal(ini['sharq-server']?.port, '8080');
    assert.equal(ini['sharq-server']?.workers, '4');
    assert.equal(ini.redis?.conn_type, 'tcp_sock');
    assert.ok(compose().services[ini.redis?.host ?? ''], 'redis host must be the compose service');
  });

  test('loads with the server config loader (src/config/config.ts loadConfig), when present', async (t) => {
    const loaded = await loadConfigText(readText('deploy/sharq.docker.conf'));
    if (!loaded) return t.skip('src/config/config.ts with loadConfig not present yet');
    const { config, warnings } = loaded;
    assert.deepEqual(warnings, [], 'no unknown keys');
    assert.equal(config.server?.host, '0.0.0.0');
    assert.equal(config.server?.port, 8080);
    assert.equal(config.server?.workers, 4);
    assert.equal(config.redis?.host, 'redis');
    assert.equal(config.redis?.connType, 'tcp_sock');
  });
});

// ---------- Kubernetes ----------

describe('deploy/k8s/sharq-server.yaml', () => {
  test('holds a ConfigMap, a Deployment and a Service', () => {
    assert.deepEqual(k8sObjects().map((o) => o.kind).sort(), ['ConfigMap', 'Deployment', 'Service']);
  });

  const podSpec = (): any => k8sOfKind('Deployment').spec.template.spec;
  const container = (): any => podSpec().containers[0];
  const resolvePort = (port: string | number): number =>
    typeof port === 'number' ? port : Number(container().ports.find((p: any) => p.name === port)?.containerPort);

  test('probes hit routes the server serves on its container port', () => {
    const c = container();
    const containerPort = Number(c.ports[0].containerPort);
    for (const probe of ['readinessProbe', 'livenessProbe']) {
      const get = c[probe]?.httpGet;
      assert.ok(get, `${probe} must be an httpGet`);
      assert.ok(SERVED_GET_ROUTES.includes(get.path), `${probe} path ${get.path} is not a served route`);
      assert.equal(resolvePort(get.port), containerPort, `${probe} port`);
    }
    assert.equal(c.readinessProbe.httpGet.path, '/deepstatus/');
    assert.equal(c.livenessProbe.httpGet.path, '/');
    assert.ok(c.resources?.requests && c.resources?.limits, 'resources missing');
    assert.ok(c.env.some((e: { name: string }) => e.name === 'SHARQ_REDIS_HOST'));
  });

  test('scrape annotations match the metrics path and port; grace period outlasts the 10s drain', () => {
    const d = k8sOfKind('Deployment');
    assert.equal(d.spec.replicas, 2);
    const a = d.spec.template.metadata.annotations as Record<string, unknown>;
    assert.equal(a['prometheus.io/scrape'], 'true');
    assert.equal(a['prometheus.io/path'], METRICS_PATH);
    assert.equal(Number(a['prometheus.io/port']), Number(container().ports[0].containerPort));
    assert.ok(podSpec().terminationGracePeriodSeconds > 10);
    const svc = k8sOfKind('Service');
    assert.deepEqual(svc.spec.selector, Object.fromEntries(Object.entries(d.spec.template.metadata.labels)));
    assert.equal(resolvePort(svc.spec.ports[0].targetPort), Number(container().ports[0].containerPort));
  });

  test('the ConfigMap sharq.conf is INI with the three sections, mounted where --config points', async () => {
    const cm = k8sOfKind('ConfigMap');
    const text: string = cm.data['sharq.conf'];
    const ini = parseIni(text);
    for (const s of ['sharq', 'sharq-server', 'redis']) assert.ok(ini[s], `section [${s}] missing`);
    assert.equal(Number(ini['sharq-server']?.port), Number(container().ports[0].containerPort));
    const args: string[] = container().args ?? [];
    const configPath = args[args.indexOf('--config') + 1] ?? '';
    const mount = container().volumeMounts.find((m: { mountPath: string }) => m.mountPath === path.posix.dirname(configPath));
    assert.ok(mount, `nothing mounted at ${path.posix.dirname(configPath)}`);
    const volume = podSpec().volumes.find((v: { name: string }) => v.name === mount.name);
    assert.equal(volume?.configMap?.name, cm.metadata.name);
    const loaded = await loadConfigText(text);
    if (loaded) {
      assert.deepEqual(loaded.warnings, [], 'no unknown keys');
      assert.equal(loaded.config.server?.port, Number(container().ports[0].containerPort));
    }
  });
});

// ---------- systemd ----------

describe('deploy/systemd/sharq-server.service', () => {
  test('runs the built cli as a dedicated user and stops gracefully and hardened', () => {
    const unit = parseIni(readText('deploy/systemd/sharq-server.service').replace(/^#.*$/gm, ''));
    const svc = unit.Service ?? {};
    assert.equal(svc.Type, 'simple');
    assert.equal(svc.ExecStart, '/usr/bin/node /opt/sharq-server/dist/cli.js --config /etc/sharq/sharq.conf');
    assert.ok(svc.User && svc.User !== 'root');
    assert.equal(svc.Restart, 'on-failure');
    assert.equal(svc.KillSignal, 'SIGTERM');
    assert.ok(Number(svc.TimeoutStopSec) > 10);
    assert.equal(svc.NoNewPrivileges, 'yes');
    assert.equal(svc.ProtectSystem, 'strict');
    assert.ok(svc.ReadWritePaths, 'ProtectSystem=strict needs ReadWritePaths for the log dir');
    assert.ok(unit.Install?.WantedBy);
  });
});

// ---------- the Dockerfile's start command, outside Docker ----------

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns true; throws naming `what` after `timeoutMs`. */
async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.setTimeout(1000);
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => { sock.destroy(); resolve(d.toString().startsWith('+PONG')); });
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => { sock.destroy(); resolve(false); });
  });
}

interface TestRedis { host: string; port: number; stop(): unknown }

/** The shared helper when it exists, else a private redis-server with no persistence. */
async function startTestRedis(): Promise<TestRedis> {
  const helper = abs('test/helpers/redis.ts');
  if (existsSync(helper)) {
    const mod = (await import(pathToFileURL(helper).href)) as { startRedis?: () => Promise<TestRedis> };
    if (typeof mod.startRedis === 'function') return mod.startRedis();
  }
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => proc.once('error', (e) => reject(new Error(`redis-server: ${e.message}`))));
  await Promise.race([failed, waitFor('redis-server PONG', 10_000, () => redisPing(port))]);
  return {
    host: '127.0.0.1',
    port,
    stop: () => new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    }),
  };
}

test('the Dockerfile start command serves /deepstatus/ and /metrics and exits 0 on SIGTERM', async (t) => {
  if (!existsSync(abs('dist/cli.js'))) return t.skip('dist/cli.js not built');

  const runtime = finalStage(dockerfile());
  const argv = [...execForm(runtime.find((i) => i.op === 'ENTRYPOINT')), ...execForm(runtime.find((i) => i.op === 'CMD'))];
  // The image's ENV (e.g. NODE_ENV=production) applies to the command too; KEY=value form only.
  const imageEnv: Record<string, string> = {};
  for (const instr of runtime.filter((i) => i.op === 'ENV')) {
    for (const m of instr.args.matchAll(/(\w+)=("[^"]*"|\S*)/g)) imageEnv[m[1] ?? ''] = (m[2] ?? '').replace(/^"|"$/g, '');
  }

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sharq-deploy-'));
  const confCopy = path.join(tmp, 'sharq.conf');
  copyFileSync(abs('deploy/sharq.docker.conf'), confCopy);
  assert.ok(argv.includes(IMAGE_CONFIG_PATH), 'the start command must name the baked-in config');
  const [exe = '', ...args] = argv.map((a) => (a === IMAGE_CONFIG_PATH ? confCopy : a));

  const redis = await startTestRedis();
  let child: ChildProcess | undefined;
  let output = '';
  try {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    child = spawn(exe === 'node' ? process.execPath : exe, args, {
      cwd: ROOT, // plays the image's WORKDIR, which holds the same dist/, lua/, package.json
      env: {
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SHARQ_'))),
        ...imageEnv,
        SHARQ_REDIS_HOST: '127.0.0.1',
        SHARQ_REDIS_PORT: String(redis.port),
        SHARQ_HOST: '127.0.0.1',
        SHARQ_PORT: String(port),
        SHARQ_WORKERS: '2',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so cleanup can reach the cluster workers too
    });
    const proc = child;
    proc.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
    proc.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.once('exit', (code, signal) => resolve({ code, signal })));
    const alive = (): boolean => {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`server exited early (${proc.exitCode ?? proc.signalCode}):\n${output}`);
      return true;
    };

    await waitFor('GET /deepstatus/ 200', 30_000, async () => {
      alive();
      const res = await fetch(`${base}/deepstatus/`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      return res?.status === 200;
    });
    await waitFor('the "Listening on" banner line', 5_000, () => alive() && output.includes(`Listening on: 127.0.0.1:${port}`));

    const metrics = await fetch(`${base}${METRICS_PATH}`, { signal: AbortSignal.timeout(5000) });
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(await metrics.text(), /^sharq_/m);

    // Like `docker stop`: SIGTERM to the entrypoint process only.
    proc.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000).unref());
    const result = await Promise.race([exited, timeout]);
    assert.notEqual(result, 'timeout', `no exit within 20 s of SIGTERM:\n${output}`);
    assert.deepEqual(result, { code: 0, signal: null }, `exit after SIGTERM:\n${output}`);
  } finally {
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    await redis.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});
