// msgpack payloads of the Python SharQ become the JSON text this server stores; anything else moves as a
// string of its bytes, never dropped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode } from '@msgpack/msgpack';

import { decodePayload } from '../../src/migrate/payload.js';

const packed = (value: unknown): Buffer => Buffer.from(encode(value, { useBigInt64: true }));

test('JSON values round-trip exactly', () => {
  for (const value of [{ a: 1, b: [true, null, 'é😀'] }, [], {}, 'text', 0, -1.5, { nested: { deep: [[{}]] } }]) {
    const out = decodePayload(packed(value));
    assert.equal(out.decoded, true);
    assert.deepEqual(JSON.parse(out.json), value);
  }
});

test('64-bit integers keep every digit', () => {
  assert.equal(decodePayload(packed({ big: 2n ** 63n - 1n, neg: -(2n ** 62n) })).json, '{"big":9223372036854775807,"neg":-4611686018427387904}');
});

test('what JSON cannot hold, or what is not msgpack, moves as a string of its bytes', () => {
  const cases: [Buffer, string][] = [
    [Buffer.from('plain text, never packed'), 'plain text, never packed'],
    [Buffer.from([0xc1]), '\u00c1'], // 0xc1 is never used by msgpack
    [packed(Number.NaN), packed(Number.NaN).toString('latin1')],
    [Buffer.concat([Buffer.from([0xa2]), Buffer.from([0xff, 0xfe])]), '\u00a2\u00ff\u00fe'], // str of invalid UTF-8
  ];
  for (const [raw, text] of cases) {
    const out = decodePayload(raw);
    assert.equal(out.decoded, false, raw.toString('hex'));
    assert.equal(JSON.parse(out.json), text);
  }
});
