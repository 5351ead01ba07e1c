// The client's types cannot drift from openapi.json: openapi-types.ts is what openapi-typescript
// generates from the document today, and every operation of the document has its client route.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

import { CLIENT_ROUTES } from '../../src/client/routes.js';
import { SharqClient } from '../../src/client/client.js';
import { openapiDocument } from '../helpers/openapi-validator.js';
import { repoRoot } from '../helpers/server.js';

const execFileAsync = promisify(execFile);

test('src/client/openapi-types.ts is what openapi-typescript generates from openapi.json (npm run openapi:types)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sharq-openapi-types-'));
  try {
    const out = path.join(dir, 'openapi-types.ts');
    await execFileAsync(path.join(repoRoot, 'node_modules', '.bin', 'openapi-typescript'), ['openapi.json', '-o', out], { cwd: repoRoot });
    const committed = readFileSync(path.join(repoRoot, 'src', 'client', 'openapi-types.ts'), 'utf8');
    assert.ok(readFileSync(out, 'utf8') === committed, 'openapi-types.ts is stale: run `npm run openapi:types`');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every operation of the document has a client route with the same method and path, and back', () => {
  const documented = new Map<string, string>();
  for (const [template, item] of Object.entries(openapiDocument.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters') continue;
      documented.set((op as { operationId: string }).operationId, `${method.toUpperCase()} ${template}`);
    }
  }
  const client = new Map(Object.entries(CLIENT_ROUTES).map(([id, r]) => [id, `${r.method} ${r.path}`]));
  assert.deepEqual([...client.entries()].sort(), [...documented.entries()].sort());
});

/** Routes a method serves under another name: a type and its queues share pause, resume and limits. */
const SERVED_BY: Record<string, string> = {
  dequeueDefault: 'dequeue',
  pauseType: 'pause',
  pauseQueue: 'pause',
  resumeType: 'resume',
  resumeQueue: 'resume',
  getTypeLimits: 'limits',
  getQueueLimits: 'limits',
};

test('every client route is served by a public SharqClient method', () => {
  const methods = new Set(Object.getOwnPropertyNames(SharqClient.prototype));
  for (const id of Object.keys(CLIENT_ROUTES)) {
    const method = SERVED_BY[id] ?? id;
    assert.ok(methods.has(method), `SharqClient lacks ${method}() for ${id}`);
  }
});
