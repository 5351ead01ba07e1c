// openapi.json is the contract: a real linter (Redocly) accepts it, every route the server has is in
// it, the response validator the e2e tests use accepts what the document says and nothing else, and
// the suite-wide coverage check (npm test's posttest) fails while a documented reply goes unseen.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';

import { ROUTES } from '../../src/http/routes.js';
import { documentedPairs, readSeen } from '../helpers/openapi-coverage.js';
import { checkExchange, openapiDocument, responseProblems, seeReply } from '../helpers/openapi-validator.js';
import { repoRoot } from '../helpers/server.js';

const execFileAsync = promisify(execFile);

// The made-up replies below must not count as the suite's coverage: this process records into its own folder.
const seenDir = mkdtempSync(path.join(tmpdir(), 'sharq-openapi-seen-'));
process.env.OPENAPI_SEEN_DIR = seenDir;
after(() => rmSync(seenDir, { recursive: true, force: true }));

test('redocly lint accepts openapi.json with no error and no warning', async () => {
  const cli = path.join(repoRoot, 'node_modules', '.bin', 'redocly');
  // Exit code 1 on errors; the JSON report (stdout) counts both errors and warnings.
  const { stdout } = await execFileAsync(cli, ['lint', 'openapi.json', '--format=json'], {
    cwd: repoRoot,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: unknown[] };
  assert.deepEqual(report.totals, { errors: 0, warnings: 0, ignored: 0 }, JSON.stringify(report.problems, null, 2));
});

test('the document has the version of the package', () => {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  assert.equal((openapiDocument as unknown as { info: { version: string } }).info.version, pkg.version);
});

test('every route of the server is in the document with its method', () => {
  // Static file subtrees (the console's /ui/*) are not part of the JSON API.
  for (const route of ROUTES.filter((r) => !r.path.endsWith('*'))) {
    const documented = route.path.replace(/:([a-z_]+)/g, '{$1}');
    const item = openapiDocument.paths[documented];
    assert.ok(item, `openapi.json lacks ${documented}`);
    assert.ok(item[route.method.toLowerCase() as 'get'], `openapi.json lacks ${route.method} ${documented}`);
  }
});

test('every operation is public only where SPEC 5.8 says so', () => {
  const publicOps: string[] = [];
  for (const [template, item] of Object.entries(openapiDocument.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters') continue;
      const security = (op as { security?: unknown[] }).security;
      if (Array.isArray(security) && security.length === 0) publicOps.push(`${method.toUpperCase()} ${template}`);
      else assert.ok((op as { responses: Record<string, unknown> }).responses['401'], `${method} ${template} lacks 401`);
    }
  }
  assert.deepEqual(publicOps.sort(), ['GET /', 'GET /deepstatus/', 'GET /openapi.json']);
  const publicRoutes = ROUTES.filter((r) => r.public && !r.path.endsWith('*')).map((r) => `${r.method} ${r.path}`);
  assert.deepEqual(publicRoutes.sort(), publicOps.sort(), 'the route table and the document agree on what needs no token');
});

test('the validator accepts documented replies', () => {
  const ok = [
    { method: 'GET', path: '/', status: 200, body: { message: 'Hello, SharQ!' } },
    { method: 'POST', path: '/enqueue/sms/q1/', status: 201, body: { status: 'queued' } },
    { method: 'POST', path: '/enqueue/sms/q1/', status: 201, body: { status: 'queued', duplicate: true, message: 'x' } },
    { method: 'POST', path: '/enqueue/sms/q1/', status: 429, body: { status: 'failure', message: 'full', current_queue_length: 3 } },
    { method: 'GET', path: '/dequeue/sms/?wait=100', status: 200, body: { status: 'success', queue_id: 'q', job_id: 'j', payload: null, requeues_remaining: -1, current_queue_length: 0, attempt: 1 } },
    { method: 'GET', path: '/dequeue/sms/?count=2', status: 200, body: { status: 'success', jobs: [{ queue_id: 'q', job_id: 'j', payload: [1], requeues_remaining: 2, current_queue_length: 1, attempt: 1 }] } },
    { method: 'GET', path: '/dequeue/', status: 404, body: { status: 'failure' } },
    { method: 'GET', path: '/job/sms/q/j/', status: 200, body: { status: 'success', state: 'active', expires_at_ms: 1, requeues_remaining: 0, attempts: 2, last_error: 'x' } },
    { method: 'POST', path: '/fail/sms/q/j/', status: 200, body: { status: 'success', outcome: 'retry', run_at_ms: 5 } },
    { method: 'POST', path: '/fail/sms/q/j/?next=1', status: 200, body: { status: 'success', outcome: 'dead', next: null } },
    { method: 'POST', path: '/finish/sms/q/j/?next=1', status: 200, body: { status: 'success', next: { queue_id: 'q', job_id: 'k', payload: 1, requeues_remaining: -1, current_queue_length: 0, attempt: 1 } } },
    { method: 'POST', path: '/finish/sms/q/j/', status: 200, body: { status: 'success' } },
    { method: 'GET', path: '/dead/sms/', status: 200, body: { status: 'success', jobs: [], next_cursor: null } },
    { method: 'POST', path: '/finish/sms/', status: 401, body: { status: 'failure', message: 'no token' }, headers: { 'www-authenticate': 'Bearer' } },
    { method: 'GET', path: '/metrics', status: 200, body: '# HELP x\n' },
    { method: 'HEAD', path: '/metrics/', status: 200, body: undefined },
    { method: 'PUT', path: '/finish/sms/q/j/', status: 405, body: { status: 'failure', message: 'no' }, headers: { allow: 'POST' } },
    { method: 'HEAD', path: '/dequeue/sms/', status: 405, body: '', headers: { allow: 'GET' } },
    { method: 'GET', path: '/dequeue', status: 308, body: { status: 'redirect', location: '/dequeue/' } },
    { method: 'GET', path: '/nope/', status: 404, body: { status: 'failure', message: 'no such route' } },
  ];
  for (const r of ok) assert.deepEqual(responseProblems(r), [], JSON.stringify(r));
});

test('the coverage check counts conforming replies seen by any test process, and fails listing the rest', async () => {
  const check = (dir: string) =>
    execFileAsync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test', 'openapi-coverage.ts'), 'check', dir], { cwd: repoRoot })
      .then(() => ({ code: 0, stderr: '' }))
      .catch((error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }));

  // responseProblems only checks; seeReply records a conforming reply, not a drifting one nor a HEAD.
  assert.deepEqual(responseProblems({ method: 'POST', path: '/enqueue/sms/q1/', status: 201, body: { status: 'queued' } }), []);
  assert.deepEqual([...readSeen(seenDir)], []);
  assert.deepEqual(seeReply({ method: 'POST', path: '/enqueue/sms/q1/', status: 201, body: { status: 'queued' } }), []);
  assert.notDeepEqual(seeReply({ method: 'POST', path: '/finish/sms/', status: 200, body: { status: 'nope' } }), []);
  assert.deepEqual(seeReply({ method: 'HEAD', path: '/metrics/', status: 200, body: undefined }), []);
  // Another process (as node --test runs each file) adds to the same folder.
  const child = `import { seeReply } from ${JSON.stringify(path.join(repoRoot, 'test', 'helpers', 'openapi-validator.ts'))};
    seeReply({ method: 'GET', path: '/', status: 200, body: { message: 'Hello, SharQ!' } });`;
  await execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], { env: { ...process.env, OPENAPI_SEEN_DIR: seenDir } });
  const seen = readSeen(seenDir);
  assert.ok(seen.has('enqueue 201') && seen.has('hello 200'), [...seen].join());
  assert.ok(!seen.has('finishBatch 200') && !seen.has('metrics 200'), [...seen].join());

  const failed = await check(seenDir);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /^ {2}enqueue 413$/m);
  assert.match(failed.stderr, /^ {2}finishBatch 200$/m);
  assert.match(failed.stderr, /^ {2}metrics 200$/m);
  assert.doesNotMatch(failed.stderr, /^ {2}(enqueue 201|hello 200)$/m);

  writeFileSync(path.join(seenDir, 'everything.txt'), `${documentedPairs(openapiDocument).join('\n')}\n`);
  assert.deepEqual(await check(seenDir), { code: 0, stderr: '' });
});

test('the validator rejects replies that drift from the document', () => {
  const drifted: Array<[Parameters<typeof responseProblems>[0], RegExp]> = [
    [{ method: 'POST', path: '/enqueue/sms/q1/', status: 200, body: { status: 'queued' } }, /status 200 is not documented/],
    [{ method: 'POST', path: '/enqueue/sms/q1/', status: 201, body: { status: 'queued', extra: 1 } }, /additional/],
    [{ method: 'GET', path: '/dequeue/sms/', status: 200, body: { status: 'success', queue_id: 'q', job_id: 'j', payload: 1, current_queue_length: 0 } }, /requeues_remaining|oneOf/],
    [{ method: 'GET', path: '/job/sms/q/j/', status: 200, body: { status: 'success', state: 'lost' } }, /state|oneOf|discriminator/],
    [{ method: 'POST', path: '/finish/sms/q/j/', status: 500, body: { status: 'failure', message: 'internal error' } }, /500 is not documented/],
    [{ method: 'GET', path: '/deepstatus/', status: 401, body: { status: 'failure', message: 'x' } }, /401 is not documented/],
    [{ method: 'POST', path: '/finish/sms/q/j/', status: 401, body: { status: 'failure', message: 'x' }, headers: {} }, /WWW-Authenticate missing/],
    [{ method: 'GET', path: '/metrics/sms/', status: 200, body: { status: 'success', queue_ids: ['not valid!'] } }, /pattern/],
    [{ method: 'PUT', path: '/finish/sms/q/j/', status: 404, body: { status: 'failure', message: 'x' } }, /expected 405/],
    [{ method: 'GET', path: '/nope/', status: 200, body: {} }, /does not have/],
  ];
  for (const [r, pattern] of drifted) {
    const problems = responseProblems(r);
    assert.ok(problems.length > 0, `accepted ${JSON.stringify(r)}`);
    assert.match(problems.join('\n'), pattern);
  }
});

test('checkExchange (the e2e HTTP helper observer) throws on drift and passes a conforming reply', () => {
  const exchange = (status: number, body: unknown) => ({ method: 'POST', path: '/finish/t/q/j/', response: { status, body, headers: {} } });
  checkExchange(exchange(200, { status: 'success' }));
  assert.throws(() => checkExchange(exchange(200, { status: 'success', extra: true })), /does not match openapi.json/);
});

test('with the served routes, an operation documented ahead of its route answers as an unknown path', () => {
  const served = new Set(['POST /enqueue/{queue_type}/{queue_id}/']);
  const notYet = { method: 'POST', path: '/enqueue/a/', status: 404, body: { status: 'failure', message: 'no such route' } };
  assert.deepEqual(responseProblems(notYet, served), []);
  assert.match(responseProblems(notYet).join(''), /404 is not documented/);
  assert.match(responseProblems({ method: 'POST', path: '/enqueue/a/q/', status: 404, body: { status: 'failure' } }, served).join(''), /404 is not documented/);
});
