// The package as a user gets it: `npm pack` on the tracked files of the repository (no dist/: prepack
// must build it), installed into an empty folder, `sharq-server` started from there against a test
// Redis, and a worker written in TypeScript against `sharq-server/client` (type-checked through the
// package's `types`) taking 1,000 jobs through it.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import { freePort } from '../helpers/ports.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { spawnChild, waitWhileRunning } from '../helpers/process.js';
import { repoRoot } from '../helpers/server.js';

const execFileAsync = promisify(execFile);
const JOBS = 1000;

let redis: RedisServerHandle;
let work: string;

before(async () => {
  redis = await startRedis();
  work = mkdtempSync(path.join(tmpdir(), 'sharq-pack-'));
});

after(async () => {
  await redis?.stop();
  rmSync(work, { recursive: true, force: true });
});

const WORKER_TS = `
import { SharqClient, runWorker, SharqUnavailableError, type Job, type WorkerEvent } from 'sharq-server/client';

interface Sms { n: number }
const [url, total] = [process.argv[2] as string, Number(process.argv[3])];
const client = new SharqClient({ url, timeoutMs: 20_000 });
for (let start = 0; start < total; start += 50) {
  await Promise.all(Array.from({ length: Math.min(50, total - start) }, (_, k) =>
    client.enqueue<Sms>({ queueType: 'sms', queueId: 'q' + ((start + k) % 20), jobId: 'j' + (start + k), interval: 0, payload: { n: start + k } })));
}
const seen = new Set<number>();
const stop = new AbortController();
let backoffs = 0;
const summary = await runWorker<Sms>({
  url, queueType: 'sms', concurrency: 16, waitMs: 1000, idlePauseMs: 20, signal: stop.signal,
  onEvent: (e: WorkerEvent) => { if (e.type === 'backoff') backoffs++; },
  handler: async (job) => {
    const typed: Job<Sms> = job;
    seen.add(typed.payload.n);
    if (seen.size === total) stop.abort();
  },
});
const left = await client.dequeue({ queueType: 'sms' });
const unavailable: typeof SharqUnavailableError = SharqUnavailableError;
process.stdout.write(JSON.stringify({ ...summary, unique: seen.size, left, backoffs, errorClass: unavailable.name }) + '\\n');
`;

test('npm pack from the sources builds, installs, serves, and runs a typed worker through 1,000 jobs', { timeout: 600_000 }, async (t) => {
  const t0 = Date.now();
  const mark = (what: string) => t.diagnostic(`${what} at ${Date.now() - t0} ms`);
  // A fresh clone's files, without dist/ (node_modules linked, so no second install of the dev tools).
  const source = path.join(work, 'source');
  const { stdout: tracked } = await execFileAsync('git', ['ls-files', '-z'], { cwd: repoRoot, maxBuffer: 64 << 20 });
  for (const file of tracked.split('\0').filter(Boolean)) {
    mkdirSync(path.dirname(path.join(source, file)), { recursive: true });
    cpSync(path.join(repoRoot, file), path.join(source, file));
  }
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(source, 'node_modules'), 'dir');
  const { stdout: packed } = await execFileAsync('npm', ['pack', '--json', '--pack-destination', work], { cwd: source, maxBuffer: 64 << 20 }).catch(
    (error: { stdout?: string; stderr?: string }) => assert.fail(`npm pack failed:\n${error.stdout ?? ''}\n${error.stderr ?? ''}`),
  );
  mark('packed');
  const [info] = JSON.parse(packed.slice(packed.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  assert.ok(info);
  const files = info.files.map((f) => f.path);
  for (const needed of ['dist/cli.js', 'dist/client/index.js', 'dist/client/index.d.ts', 'openapi.json', 'LICENSE', 'README.md', 'sharq.conf', 'lua/enqueue.lua', 'lua/include/common.lua']) {
    assert.ok(files.includes(needed), `the tarball lacks ${needed}`);
  }
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/')), 'sources and tests stay out of the tarball');

  // An empty project installs the tarball (its dependencies from the registry or npm's cache).
  const app = path.join(work, 'app');
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'sharq-user', private: true, type: 'module' }));
  await execFileAsync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(work, info.filename)], { cwd: app, maxBuffer: 64 << 20 });

  mark('installed');
  // The worker and README's two examples are type-checked against the package's own .d.ts files.
  writeFileSync(path.join(app, 'worker.ts'), WORKER_TS);
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const clients = readme.slice(readme.indexOf('## Clients'), readme.indexOf('\n## ', readme.indexOf('## Clients') + 1));
  const examples = [...clients.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  assert.equal(examples.length, 2, 'README: a producer and a worker');
  examples.forEach((code, i) => writeFileSync(path.join(app, `readme-${i}.ts`), code));
  writeFileSync(
    path.join(app, 'sms-gateway.ts'),
    'export async function deliver(to: string, text: string): Promise<{ status: number; retryAfterMs?: number }> { void to; void text; return { status: 200 }; }\n',
  );
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  await execFileAsync(process.execPath, [tsc, '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--typeRoots', path.join(repoRoot, 'node_modules', '@types'), '--types', 'node', '--outDir', 'out', 'worker.ts', 'readme-0.ts', 'readme-1.ts', 'sms-gateway.ts'], { cwd: app }).catch((error: { stdout?: string }) => {
    assert.fail(`the worker does not type-check against sharq-server/client:\n${error.stdout ?? ''}`);
  });

  mark('type-checked');
  const port = await freePort();
  writeFileSync(
    path.join(app, 'sharq.conf'),
    `[sharq]\njob_expire_interval : 60000\njob_requeue_interval : 1000\n\n[sharq-server]\nhost : 127.0.0.1\nport : ${port}\nworkers : 2\n\n[redis]\ndb : 0\nkey_prefix : packed\nconn_type : tcp_sock\nhost : 127.0.0.1\nport : ${redis.port}\n`,
  );
  const server = spawnChild('installed sharq-server', path.join(app, 'node_modules', '.bin', 'sharq-server'), ['--config', 'sharq.conf'], { cwd: app });
  try {
    await waitWhileRunning(server, () => server.stdout().includes(`Listening on: 127.0.0.1:${port}`), { what: 'the installed sharq-server to listen', timeoutMs: 60_000 });
    mark('server up');
    const { stdout } = await execFileAsync(process.execPath, ['out/worker.js', `http://127.0.0.1:${port}`, String(JOBS)], { cwd: app, timeout: 300_000 });
    mark('worker done');
    const result = JSON.parse(stdout) as { finished: number; failed: number; lost: number; unique: number; left: unknown; errorClass: string };
    assert.equal(result.unique, JOBS);
    assert.equal(result.finished, JOBS);
    assert.equal(result.failed, 0);
    assert.equal(result.lost, 0);
    assert.equal(result.left, null);
    assert.equal(result.errorClass, 'SharqUnavailableError');
  } finally {
    await server.stop();
  }
});
