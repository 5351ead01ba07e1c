import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { parseExposition, parseValue } from '../helpers/prometheus.js';

describe('parseValue reads sample values as Prometheus does', () => {
  test('NaN in any letter case, unsigned', () => {
    for (const text of ['NaN', 'Nan', 'nan', 'NAN', 'nAn']) assert.ok(Number.isNaN(parseValue(text)), text);
    for (const text of ['+NaN', '-nan', 'NaNa', 'na']) assert.equal(parseValue(text), undefined, text);
  });

  test('infinities signed or not, spelled inf or infinity, in any letter case', () => {
    for (const text of ['+Inf', 'Inf', 'inf', '+INF', 'Infinity', '+infinity', 'INFINITY']) assert.equal(parseValue(text), Infinity, text);
    for (const text of ['-Inf', '-inf', '-Infinity', '-INFINITY']) assert.equal(parseValue(text), -Infinity, text);
    for (const text of ['Infin', 'infinit', 'infinityy', '++Inf', '+-Inf', 'Inf0']) assert.equal(parseValue(text), undefined, text);
  });

  test('decimals and exponents', () => {
    const cases: [string, number][] = [
      ['0', 0], ['-0', -0], ['+5', 5], ['42', 42], ['3.25', 3.25], ['5.', 5], ['.5', 0.5], ['-.5', -0.5],
      ['1e3', 1000], ['1E3', 1000], ['2.5e-3', 0.0025], ['1e+2', 100], ['1e-400', 0], ['007', 7],
    ];
    for (const [text, value] of cases) assert.equal(parseValue(text), value, text);
  });

  test('refuses what Prometheus refuses', () => {
    const bad = [
      '', '.', '-', '+', 'e5', '1e', '1e+', '1.2.3', '1,5', '--1', '1-', 'abc', 'true', 'null', 'undefined',
      '0x10', '0x1p-2', '1p3', '0b1', '0o7', '1_000', '1e400', '-1e400',
    ];
    for (const text of bad) assert.equal(parseValue(text), undefined, JSON.stringify(text));
  });
});

describe('parseExposition', () => {
  const family = '# HELP lag_seconds Lag.\n# TYPE lag_seconds gauge\n';

  test('takes the NaN prom-client writes, and the infinities', () => {
    const { samples } = parseExposition(`${family}lag_seconds{role="primary"} Nan\nlag_seconds{role="worker"} +Inf\nlag_seconds{role="x"} -Inf 1700000000000\n`);
    assert.equal(samples.length, 3);
    assert.ok(Number.isNaN(samples[0]?.value));
    assert.equal(samples[1]?.value, Infinity);
    assert.equal(samples[2]?.value, -Infinity);
  });

  test('still throws on a bad value, naming the line', () => {
    for (const value of ['Nanx', '12abc', '0x10', '1_0', '+NaN']) {
      assert.throws(() => parseExposition(`${family}lag_seconds{role="primary"} ${value}\n`), {
        message: `bad value in: lag_seconds{role="primary"} ${value}`,
      });
    }
  });
});
