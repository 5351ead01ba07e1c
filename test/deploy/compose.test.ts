// docker-compose.yml: validated and normalised by docker-compose itself (`docker-compose config`,
// no Docker engine needed), linted by yamllint; the assertions read docker-compose's own output.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';

import { abs, composeConfig, loadConfigText, mounts, readText, yamllint, type Compose, type ComposeService as Service } from './tools.js';

let compose: Compose;

before(async () => {
  compose = await composeConfig();
});

function service(name: string): Service {
  const s = compose.services[name];
  assert.ok(s, `docker-compose.yml has no service ${name}`);
  return s;
}

describe('docker-compose.yml', () => {
  test('yamllint finds nothing', async () => {
    await yamllint('docker-compose.yml');
  });

  test('has redis, sharq, prometheus and grafana; every image is pinned to an exact release', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['grafana', 'prometheus', 'redis', 'sharq']);
    for (const [name, s] of Object.entries(compose.services)) {
      if (s.build) continue;
      assert.match(s.image ?? '', /^[a-z0-9/._-]+:v?\d+\.\d+\.\d+$/, `${name}: image ${s.image} is not pinned to x.y.z`);
    }
  });

  test('sharq builds from the repository root with deploy/Dockerfile', () => {
    const build = service('sharq').build;
    assert.ok(build, 'sharq must build');
    assert.equal(path.resolve(build.context), abs('.'));
    assert.equal(build.dockerfile, 'deploy/Dockerfile');
    assert.ok(existsSync(path.join(build.context, build.dockerfile)));
  });

  test('bind mounts exist on the host; named volumes are declared', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const m of mounts(s)) {
        if (path.isAbsolute(m.source)) assert.ok(existsSync(m.source), `${name}: ${m.source} does not exist`);
        else assert.ok(compose.volumes && m.source in compose.volumes, `${name}: volume ${m.source} not declared`);
      }
    }
  });

  test('redis persists with AOF on a volume and is health-checked; sharq waits for it to be healthy', () => {
    const redis = service('redis');
    assert.deepEqual(redis.command, ['redis-server', '--appendonly', 'yes']);
    assert.ok(mounts(redis).some((m) => m.target === '/data'));
    assert.deepEqual(redis.healthcheck?.test, ['CMD', 'redis-cli', 'ping']);
    assert.equal(service('sharq').depends_on?.redis?.condition, 'service_healthy');
  });

  test('sharq: the redis service, 4 workers, access log on stdout, publishes the port its config listens on', () => {
    const sharq = service('sharq');
    const env = sharq.environment ?? {};
    assert.ok(compose.services[env.SHARQ_REDIS_HOST ?? ''], `SHARQ_REDIS_HOST=${env.SHARQ_REDIS_HOST} is not a service`);
    assert.equal(env.SHARQ_WORKERS, '4');
    assert.equal(env.SHARQ_ACCESSLOG, '-');
    const { config } = loadConfigText(readText('deploy/sharq.docker.conf'), 'sharq.docker.conf');
    assert.ok(sharq.ports?.some((p) => p.target === config.server.port), `sharq must publish ${config.server.port}`);
  });

  test('prometheus and grafana mount their config from deploy/; grafana lets anonymous viewers in', () => {
    const target = (s: Service, host: string): string | undefined => mounts(s).find((m) => m.source === abs(host))?.target;
    assert.equal(target(service('prometheus'), 'deploy/prometheus.yml'), '/etc/prometheus/prometheus.yml');
    const grafana = service('grafana');
    assert.equal(target(grafana, 'deploy/grafana/provisioning'), '/etc/grafana/provisioning');
    assert.equal(target(grafana, 'deploy/grafana/dashboards'), '/var/lib/grafana/dashboards');
    assert.equal(grafana.environment?.GF_AUTH_ANONYMOUS_ENABLED, 'true');
    assert.equal(grafana.environment?.GF_AUTH_ANONYMOUS_ORG_ROLE, 'Viewer');
  });
});
