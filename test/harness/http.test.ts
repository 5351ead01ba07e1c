// The e2e client: what it sends, what it returns, and the onResponse hook every e2e file shares.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { httpClient, onResponse, type HttpExchange } from '../helpers/http.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe('httpClient', () => {
  let server: http.Server;
  let baseUrl: string;
  const seen: Seen[] = [];

  before(async () => {
    // Echoes nothing of interest: answers by path, records what arrived.
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
        if (req.url === '/moved') {
          res.writeHead(308, { location: '/moved/' }).end();
        } else if (req.url === '/text') {
          res.writeHead(200, { 'content-type': 'text/plain' }).end('plain words');
        } else {
          res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('a JSON body goes with its type and length; the reply is parsed, or kept as text', async () => {
    const api = httpClient(baseUrl);
    const res = await api.post('/a/', { x: 1 });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body, { path: '/a/' });
    const last = seen.at(-1);
    assert.equal(last?.headers['content-type'], 'application/json');
    assert.equal(last?.headers['content-length'], String('{"x":1}'.length));
    assert.equal(last?.body, '{"x":1}');
    const text = await api.get('/text');
    assert.equal(text.body, 'plain words');
    assert.equal(text.text, 'plain words');
  });

  test('with headers given, exactly those are sent (no Content-Type added to a raw body)', async () => {
    await httpClient(baseUrl).request('DELETE', '/raw/', undefined, { rawBody: '{"a":', headers: {} });
    const last = seen.at(-1);
    assert.equal(last?.method, 'DELETE');
    assert.equal(last?.headers['content-type'], undefined);
    assert.equal(last?.headers['content-length'], '5');
    assert.equal(last?.body, '{"a":');
  });

  test('a 308 is returned as is, or followed with the same method and body', async () => {
    const api = httpClient(baseUrl);
    const manual = await api.post('/moved', { j: 1 });
    assert.equal(manual.status, 308);
    assert.equal(manual.headers.location, '/moved/');
    const followed = await api.request('POST', '/moved', { j: 2 }, { follow: true });
    assert.equal(followed.status, 201);
    const last = seen.at(-1);
    assert.deepEqual([last?.method, last?.url, last?.body], ['POST', '/moved/', '{"j":2}']);
  });

  test('onResponse sees every response of every client; a throwing observer fails the request; removal stops it', async () => {
    const exchanges: HttpExchange[] = [];
    const remove = onResponse((exchange) => exchanges.push(exchange));
    await httpClient(baseUrl).get('/one/');
    await httpClient(baseUrl, { keepAliveSockets: 1 }).post('/two/', { k: 'v' });
    assert.deepEqual(
      exchanges.map((e) => [e.method, e.path, e.response.status, e.requestBody]),
      [
        ['GET', '/one/', 201, undefined],
        ['POST', '/two/', 201, '{"k":"v"}'],
      ],
    );
    remove();
    const removeThrowing = onResponse(() => {
      throw new Error('response does not match the OpenAPI document');
    });
    await assert.rejects(httpClient(baseUrl).get('/three/'), /does not match/);
    removeThrowing();
    assert.equal((await httpClient(baseUrl).get('/four/')).status, 201);
    assert.equal(exchanges.length, 2);
  });
});
