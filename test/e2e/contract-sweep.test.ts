// Every operation of openapi.json, driven from the document rather than call by call: requests are
// built from each operation's path template, parameter schemas and request body schema, and sent to
// the real CLI (2 workers, auth_tokens set, a small body_limit) on a real Redis. Each kind of
// documented failure is made on every operation that documents it: 401 without a token, 413 and 415
// on a body, 400 on each parameter whose schema can be broken, 503 with Redis stopped. Every reply
// passes the harness's OpenAPI validator, so a status an operation does not document fails here.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ROUTES } from '../../src/http/routes.js';
import type { HttpResponse } from '../helpers/http.js';
import {
  documentedOperations,
  invalidValueOf,
  parameterAccepts,
  pathFor,
  sampleOf,
  schemaAccepts,
  type DocumentedOperation,
} from '../helpers/openapi-operations.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'sweep-token-5d0c1e7a';
const BODY_LIMIT_BYTES = 1024;
const operations = documentedOperations();
const withBody = operations.filter((op) => op.bodySchema !== undefined);

interface Sent {
  path?: string;
  token?: string | null;
  /** Sent as is instead of the operation's sample body. */
  rawBody?: string;
  headers?: Record<string, string>;
}

/** "enqueue POST /enqueue/{queue_type}/{queue_id}/" for assertion messages. */
function named(op: DocumentedOperation): string {
  return `${op.operationId} (${op.method} ${op.template})`;
}

describe('contract sweep: every operation of openapi.json, from the document', () => {
  let redis: RedisServerHandle;
  let server: ServerHandle;

  /** The operation's sample request (valid path parameters and body, the token) with `sent`'s changes. */
  function send(op: DocumentedOperation, sent: Sent = {}): Promise<HttpResponse> {
    const token = sent.token === undefined ? TOKEN : sent.token;
    const sample = op.bodySchema === undefined ? undefined : JSON.stringify(sampleOf(op.bodySchema, 'body'));
    const rawBody = sent.rawBody ?? sample;
    const headers: Record<string, string> = {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(rawBody === undefined ? {} : { 'content-type': 'application/json' }),
      ...sent.headers,
    };
    return server.api.request(op.method, sent.path ?? pathFor(op), undefined, { rawBody, headers });
  }

  before(async () => {
    redis = await startRedis();
    server = await startServer({
      redisPort: redis.port,
      workers: 2,
      config: { 'sharq-server': { auth_tokens: TOKEN, body_limit: String(BODY_LIMIT_BYTES) } },
    });
  });
  after(async () => {
    await server?.stop();
    await redis?.stop();
  });

  test('the requests built from the document are what it accepts and rejects', () => {
    assert.ok(operations.length >= 20, `${operations.length} operations`);
    for (const op of operations) {
      for (const p of op.parameters) {
        if (p.in === 'path') assert.ok(parameterAccepts(p, String(sampleOf(p.schema, p.name))), `${named(op)}: sample ${p.name}`);
        const invalid = invalidValueOf(p);
        if (invalid !== undefined) assert.ok(!parameterAccepts(p, invalid), `${named(op)}: ${p.name}=${invalid} is valid`);
      }
      if (op.bodySchemaPointer !== undefined) {
        assert.ok(schemaAccepts(op.bodySchemaPointer, sampleOf(op.bodySchema ?? {}, 'body')), `${named(op)}: sample body`);
      }
    }
    // The route table reads a body exactly where the document has a request body.
    const tableReadsBody = ROUTES.filter((r) => r.body === true).map((r) => `${r.method} ${r.path.replace(/:([a-z_]+)/g, '{$1}')}`);
    assert.deepEqual(tableReadsBody.sort(), withBody.map((op) => `${op.method} ${op.template}`).sort());
  });

  test('every operation answers its sample request with a documented reply, not a refusal of the request', async () => {
    for (const op of operations) {
      const res = await send(op);
      assert.ok(res.status < 400 || [404, 429].includes(res.status), `${named(op)}: ${res.status} ${res.text}`);
      if (op.isPublic) {
        const open = await send(op, { token: null });
        assert.ok(open.status < 400, `${named(op)} is public, yet without a token: ${open.status}`);
      }
    }
  });

  test('without a valid token: 401 on every operation the route table does not mark public', async () => {
    const guarded = operations.filter((op) => !op.isPublic);
    assert.ok(guarded.length >= 17);
    for (const op of guarded) {
      for (const token of [null, 'not-the-token']) {
        const res = await send(op, { token });
        assert.equal(res.status, 401, `${named(op)} with token ${String(token)}: ${res.text}`);
        assert.match(String(res.headers['www-authenticate']), /^Bearer\b/);
      }
    }
  });

  test(`a body over body_limit (${BODY_LIMIT_BYTES} bytes): 413 on every operation that reads a body`, async () => {
    assert.ok(withBody.length >= 7);
    const oversized = JSON.stringify({ pad: 'x'.repeat(BODY_LIMIT_BYTES) });
    for (const op of withBody) {
      const res = await send(op, { rawBody: oversized });
      assert.equal(res.status, 413, `${named(op)}: ${res.text}`);
    }
  });

  test('a Content-Encoding other than identity: 415 on every operation that reads a body', async () => {
    // Bodies are read as JSON whatever their Content-Type (as the original server does): the unsupported
    // encoding, not the type, is what the document's 415 is for.
    for (const op of withBody) {
      for (const encoding of ['gzip', 'br']) {
        const res = await send(op, { headers: { 'content-encoding': encoding } });
        assert.equal(res.status, 415, `${named(op)} with Content-Encoding ${encoding}: ${res.text}`);
      }
    }
  });

  test('an invalid parameter: 400 naming it, for every parameter whose schema can be broken', async () => {
    for (const op of operations) {
      let cases = 0;
      for (const p of op.parameters) {
        const invalid = invalidValueOf(p);
        if (invalid === undefined) continue;
        cases++;
        const res = await send(op, { path: pathFor(op, { [p.name]: invalid }) });
        assert.equal(res.status, 400, `${named(op)} with ${p.name}=${invalid}: ${res.text}`);
        assert.match((res.body as { message: string }).message, new RegExp(p.name), `${named(op)}: ${res.text}`);
      }
      // Where the document promises a 400, the sweep makes it.
      if (op.statuses.has(400)) assert.ok(cases > 0, `${named(op)} documents 400 and has no parameter to break`);
    }
  });

  test('with Redis stopped: 503 on every operation that documents it; the others still answer', async () => {
    await redis.kill();
    try {
      for (const op of operations) {
        const res = await send(op);
        if (op.statuses.has(503)) assert.equal(res.status, 503, `${named(op)}: ${res.text}`);
        else assert.ok(res.status < 400, `${named(op)} does not document 503, yet answers ${res.status} ${res.text}`);
      }
    } finally {
      await redis.restart();
    }
    const deep = operations.find((op) => op.operationId === 'deepStatus');
    assert.ok(deep);
    await waitFor(async () => (await send(deep)).status === 200, { what: 'deepstatus to answer 200 once Redis is back', timeoutMs: 30_000 });
  });
});
