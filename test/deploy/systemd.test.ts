// deploy/systemd/sharq-server.service: checked by systemd itself (`systemd-analyze verify`, and
// `systemd-analyze security --offline` for the hardening), its settings read with src/config/ini.ts.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { parseIni } from '../../src/config/ini.js';
import { abs, assertToolPasses, readText } from './tools.js';

const UNIT = 'deploy/systemd/sharq-server.service';

/** Hardening must keep systemd's exposure score at or below this ("OK" is below 5 on its 0-10 scale). */
const MAX_EXPOSURE = 4;

function unit(): Map<string, Map<string, string>> {
  const ini = parseIni(readText(UNIT), UNIT);
  return new Map([...ini].map(([section, keys]) => [section, new Map([...keys].map(([k, v]) => [k, v.value]))]));
}

describe(UNIT, () => {
  test('systemd-analyze verify reports nothing', async () => {
    const run = await assertToolPasses('systemd-analyze', ['verify', abs(UNIT)]);
    assert.equal(`${run.stdout}${run.stderr}`.trim(), '', 'verify printed warnings');
  });

  test(`systemd-analyze security --offline rates the hardening at or below ${MAX_EXPOSURE}`, async () => {
    await assertToolPasses('systemd-analyze', ['security', '--offline=yes', `--threshold=${MAX_EXPOSURE * 10}`, abs(UNIT)]);
  });

  test('runs the built CLI as a dedicated user, restarts on failure, stops with SIGTERM after the drain', () => {
    const service = unit().get('Service');
    assert.ok(service);
    assert.equal(service.get('Type'), 'simple');
    assert.equal(service.get('ExecStart'), '/usr/bin/node /opt/sharq-server/dist/cli.js --config /etc/sharq/sharq.conf');
    assert.ok(service.get('User') && service.get('User') !== 'root');
    assert.equal(service.get('Restart'), 'on-failure');
    assert.equal(service.get('KillSignal'), 'SIGTERM');
    assert.ok(Number(service.get('TimeoutStopSec')) > 10);
    assert.ok(service.get('ReadWritePaths'), 'ProtectSystem=strict needs a writable log dir for accesslog files');
    assert.ok(unit().get('Install')?.get('WantedBy'));
  });
});
