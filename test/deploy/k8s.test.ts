// deploy/k8s/sharq-server.yaml: linted by yamllint, then its objects read (yaml) and checked to fit
// together: selectors, ports, probes on served routes, the ServiceMonitor and PodDisruptionBudget,
// resources sized from the bench, and the ConfigMap's sharq.conf through the server's own loader.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';

import { parseAllDocuments } from 'yaml';

import { loadConfigText, readText, yamllint } from './tools.js';

interface Container {
  args: string[];
  ports: { name: string; containerPort: number }[];
  env: { name: string; value: string }[];
  readinessProbe: { httpGet: { path: string; port: string | number } };
  livenessProbe: { httpGet: { path: string; port: string | number } };
  resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
  volumeMounts: { name: string; mountPath: string }[];
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  // Free-form per kind; read through the typed accessors below.
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

function objects(): K8sObject[] {
  return parseAllDocuments(readText('deploy/k8s/sharq-server.yaml')).map((doc, i) => {
    assert.deepEqual(doc.errors, [], `document ${i}`);
    return doc.toJS() as K8sObject;
  });
}

function ofKind(kind: string): K8sObject {
  const found = objects().filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `expected exactly one ${kind}`);
  return found[0] as K8sObject;
}

interface Deployment {
  replicas: number;
  selector: { matchLabels: Record<string, string> };
  template: {
    metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    spec: { terminationGracePeriodSeconds: number; containers: Container[]; volumes: { name: string; configMap?: { name: string } }[] };
  };
}
const deployment = (): Deployment => ofKind('Deployment').spec as unknown as Deployment;
const container = (): Container => deployment().template.spec.containers[0] as Container;
const containerPort = (): number => Number(container().ports[0]?.containerPort);
const resolvePort = (port: string | number): number =>
  typeof port === 'number' ? port : Number(container().ports.find((p) => p.name === port)?.containerPort);

/** Kubernetes memory quantities as MiB (Mi and Gi only: what the file uses). */
function mebibytes(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  assert.ok(m, `unexpected memory quantity ${quantity}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

describe('deploy/k8s/sharq-server.yaml', () => {
  test('yamllint finds nothing', async () => {
    await yamllint('deploy/k8s/sharq-server.yaml');
  });

  test('holds a ConfigMap, Deployment, Service, PodDisruptionBudget and ServiceMonitor', () => {
    assert.deepEqual(objects().map((o) => o.kind).sort(), ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service', 'ServiceMonitor']);
  });

  test('readiness on /deepstatus/ (Redis reachable), liveness on / (process alive), both on the container port', () => {
    const c = container();
    assert.equal(c.readinessProbe.httpGet.path, '/deepstatus/');
    assert.equal(c.livenessProbe.httpGet.path, '/');
    for (const probe of [c.readinessProbe, c.livenessProbe]) assert.equal(resolvePort(probe.httpGet.port), containerPort());
  });

  test('resources fit the bench: ~140 MiB per worker under load plus ~85 MiB for the primary', () => {
    const { config } = loadConfigText(ofKind('ConfigMap').data?.['sharq.conf'] ?? '', 'sharq.conf');
    const expectedMiB = config.server.workers * 140 + 85;
    const { requests, limits } = container().resources;
    assert.ok(mebibytes(requests.memory) >= expectedMiB, `requests ${requests.memory} < ${expectedMiB}Mi`);
    assert.ok(mebibytes(limits.memory) >= mebibytes(requests.memory) * 1.5, `limit ${limits.memory} leaves no headroom`);
    assert.ok(mebibytes(limits.memory) <= expectedMiB * 2.5, `limit ${limits.memory} is far above what the server uses`);
    assert.ok(Number(limits.cpu) >= config.server.workers / 2, 'a CPU limit below the workers would throttle them');
  });

  test('the Service, PodDisruptionBudget and ServiceMonitor select the pods; the ServiceMonitor scrapes /metrics on the named port', () => {
    const podLabels = deployment().template.metadata.labels;
    assert.deepEqual(deployment().selector.matchLabels, podLabels);
    const service = ofKind('Service');
    const serviceSpec = service.spec as { selector: Record<string, string>; ports: { name: string; targetPort: string | number }[] };
    assert.deepEqual(serviceSpec.selector, podLabels);
    assert.equal(resolvePort(serviceSpec.ports[0]?.targetPort ?? ''), containerPort());

    const pdb = ofKind('PodDisruptionBudget');
    assert.equal(pdb.apiVersion, 'policy/v1');
    const pdbSpec = pdb.spec as { minAvailable?: number; selector: { matchLabels: Record<string, string> } };
    assert.deepEqual(pdbSpec.selector.matchLabels, podLabels);
    assert.ok((pdbSpec.minAvailable ?? 0) >= 1 && (pdbSpec.minAvailable ?? 0) < deployment().replicas, 'a drain must be able to evict one pod');

    const monitor = ofKind('ServiceMonitor');
    assert.equal(monitor.apiVersion, 'monitoring.coreos.com/v1');
    const monitorSpec = monitor.spec as { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] };
    for (const [key, value] of Object.entries(monitorSpec.selector.matchLabels)) assert.equal(service.metadata.labels?.[key], value);
    const [endpoint] = monitorSpec.endpoints;
    assert.ok(serviceSpec.ports.some((p) => p.name === endpoint?.port), `ServiceMonitor port ${endpoint?.port} is not a Service port name`);
    assert.equal(endpoint?.path, '/metrics'); // /metrics/ is the SharQ JSON API
  });

  test('scrape annotations match; the grace period outlasts the 10 s drain', () => {
    const a = deployment().template.metadata.annotations;
    assert.equal(a['prometheus.io/scrape'], 'true');
    assert.equal(a['prometheus.io/path'], '/metrics');
    assert.equal(Number(a['prometheus.io/port']), containerPort());
    assert.ok(deployment().template.spec.terminationGracePeriodSeconds > 10);
  });

  test("the ConfigMap's sharq.conf loads with the server loader, listens on the container port, logs access to stdout, and is mounted where --config points", () => {
    const configMap = ofKind('ConfigMap');
    const { config, warnings } = loadConfigText(configMap.data?.['sharq.conf'] ?? '', 'sharq.conf');
    assert.deepEqual(warnings, []);
    assert.equal(config.server.port, containerPort());
    assert.equal(config.server.host, '0.0.0.0');
    assert.equal(config.server.accesslog, '-');
    const args = container().args;
    const configPath = args[args.indexOf('--config') + 1] ?? '';
    const mount = container().volumeMounts.find((m) => m.mountPath === path.posix.dirname(configPath));
    assert.ok(mount, `nothing mounted at ${path.posix.dirname(configPath)}`);
    const volume = deployment().template.spec.volumes.find((v) => v.name === mount.name);
    assert.equal(volume?.configMap?.name, configMap.metadata.name);
    assert.ok(container().env.some((e) => e.name === 'SHARQ_REDIS_HOST'));
  });
});
