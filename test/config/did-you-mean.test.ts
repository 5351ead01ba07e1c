// An unknown key or section in the config file is a warning that names the nearest known one.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseConfig } from '../../src/config/config.js';

const MINIMAL = '[sharq]\njob_expire_interval : 1000\njob_requeue_interval : 1000\n';

test('a misspelt key suggests the nearest known key of its section', () => {
  const { warnings } = parseConfig(
    `${MINIMAL}job_expire_intervall : 5\n[sharq-server]\nwrokers : 2\naccess_log : x\n[redis]\nkey_prefx : p\n`,
    'sharq.conf',
    {},
  );
  assert.deepEqual(warnings, [
    'sharq.conf: [sharq] job_expire_intervall: unknown key, ignored (did you mean "job_expire_interval"?)',
    'sharq.conf: [sharq-server] wrokers: unknown key, ignored (did you mean "workers"?)',
    'sharq.conf: [sharq-server] access_log: unknown key, ignored (did you mean "accesslog"?)',
    'sharq.conf: [redis] key_prefx: unknown key, ignored (did you mean "key_prefix"?)',
  ]);
});

test('a misspelt section suggests the nearest section; nothing is suggested for a key far from every known one', () => {
  const { warnings } = parseConfig(`${MINIMAL}colour : blue\n[sharq_server]\nport : 1\n`, 'sharq.conf', {});
  assert.deepEqual(warnings, [
    'sharq.conf: [sharq] colour: unknown key, ignored',
    'sharq.conf: [sharq_server]: unknown section, ignored (did you mean [sharq-server]?)',
  ]);
});
