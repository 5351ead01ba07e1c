// GET / and GET /deepstatus/ end to end: the real CLI (2 workers) on a real Redis.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { serverForFile } from '../helpers/api.js';

const { api } = serverForFile();

describe('index', () => {
  test('GET / says hello', async () => {
    const res = await api.get('/');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.deepEqual(res.body, { message: 'Hello, SharQ!' });
  });
});

describe('deepstatus', () => {
  test('GET /deepstatus/: 200 success', async () => {
    const res = await api.get('/deepstatus/');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { status: 'success' });
  });
});
