// The seeds' "Getting Started" walk-through, as a user would type it: the banner, then the curl
// examples of the seeds VERBATIM (same flags, headers and bodies, including the leading space in
// -d ' {...}'), run by the real curl through a shell, in the order the seeds give them. Only
// host:port is replaced. To read the status code without touching the commands, curl gets
// `silent` and a `write-out` of the code from a .curlrc in a temp CURL_HOME.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';

const execFileAsync = promisify(execFile);

const CURL = '/usr/bin/curl';
const JOB_ID = 'b81c07a7-5bba-4790-ab40-a061994088c1';

// The seeds' commands, byte for byte (the README's `$` prompt dropped).
const SEED = {
  // 000 Getting Started
  root: String.raw`curl http://127.0.0.1:8080/`,
  enqueueGettingStarted: String.raw`curl -H "Accept: application/json" \
    -H "Content-type: application/json" \
    -X POST -d ' {"job_id": "b81c07a7-5bba-4790-ab40-a061994088c1", "interval": 1000, "payload": {"message": "hello, world"}}' \
    http://localhost:8080/enqueue/sms/1/`,
  dequeueGettingStarted: String.raw`curl http://localhost:8080/dequeue/sms/`,
  finishGettingStarted: String.raw`curl -X POST http://localhost:8080/finish/sms/1/b81c07a7-5bba-4790-ab40-a061994088c1/`,
  // 001 README
  rootReadme: String.raw`curl http://127.0.0.1:8080/`,
  enqueueReadme: String.raw`curl -H "Accept: application/json" \
-H "Content-type: application/json" \
-X POST -d ' {"job_id": "b81c07a7-5bba-4790-ab40-a061994088c1", "interval": 1000, "payload": {"hello": "world"}}' \
http://localhost:8080/enqueue/sms/1/
`,
  dequeueReadme: String.raw`curl http://localhost:8080/dequeue/sms/`,
  finishReadme: String.raw`curl -X POST http://localhost:8080/finish/sms/1/b81c07a7-5bba-4790-ab40-a061994088c1/`,
  intervalReadme: String.raw`curl -H "Accept: application/json" \
-H "Content-type: application/json" \
-X POST -d ' {"interval": 5000}' \
http://localhost:8080/interval/sms/1/`,
  metricsReadme: String.raw`curl  http://localhost:8080/metrics/`,
  metricsTypeReadme: String.raw`curl  http://localhost:8080/metrics/sms/`,
  metricsQueueReadme: String.raw`curl  http://localhost:8080/metrics/sms/1/`,
} as const;

// The banner of the seed, without the documentation's 4-space indent.
const SEED_BANNER_ART = [
  String.raw`  ___ _              ___    ___`,
  String.raw` / __| |_  __ _ _ _ / _ \  / __| ___ _ ___ _____ _ _`,
  String.raw` \__ \ ' \/ _${'`'} | '_| (_) | \__ \/ -_) '_\ V / -_) '_|`,
  String.raw` |___/_||_\__,_|_|  \__\_\ |___/\___|_|  \_/\___|_|`,
];

type Json = Record<string, unknown>;

let redis: RedisServerHandle;
let server: ServerHandle;
let curlHome: string;

before(async () => {
  redis = await startRedis();
  server = await startServer({ redisPort: redis.port, workers: 2 });
  curlHome = mkdtempSync(path.join(tmpdir(), 'sharq-curl-'));
  writeFileSync(
    path.join(curlHome, '.curlrc'),
    ['silent', 'show-error', 'max-time = 10', 'write-out = "\\n%{http_code}"', ''].join('\n'),
  );
});

after(async () => {
  await server?.stop();
  await redis?.stop();
  if (curlHome !== undefined) rmSync(curlHome, { recursive: true, force: true });
});

/** Runs a seed command through sh with only host:port replaced; returns the status and the parsed body. */
async function curl(command: string): Promise<{ status: number; body: unknown; text: string }> {
  const address = `127.0.0.1:${server.port}`;
  const line = command.replaceAll('localhost:8080', address).replaceAll('127.0.0.1:8080', address);
  const { stdout } = await execFileAsync('/bin/sh', ['-c', line], {
    env: { ...process.env, PATH: `${path.dirname(CURL)}:${process.env.PATH ?? ''}`, CURL_HOME: curlHome },
    timeout: 15_000,
  });
  const cut = stdout.lastIndexOf('\n');
  const text = stdout.slice(0, cut);
  const status = Number(stdout.slice(cut + 1));
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // left as text for the assertion message
  }
  return { status, body, text };
}

function asObject(value: unknown): Json {
  assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), `expected an object: ${JSON.stringify(value)}`);
  return value as Json;
}

function assertMinuteCounts(counts: unknown): number {
  const object = asObject(counts);
  const minutes = Object.keys(object).map(Number);
  assert.equal(minutes.length, 10);
  for (const minute of minutes) assert.equal(minute % 60_000, 0);
  return Object.values(object).reduce<number>((sum, n) => sum + (n as number), 0);
}

describe('seeds: Getting Started, verbatim', () => {
  test('the banner of the seed: its facts as one JSON log line on a pipe (the art on a TTY: test/e2e/banner.test.ts)', () => {
    const lines = server.stdout().split('\n');
    for (const art of SEED_BANNER_ART) assert.ok(!lines.includes(art), `no banner art in a log stream:\n${server.stdout()}`);
    const entries = lines.filter((line) => line.includes('Listening on')).map((line) => asObject(JSON.parse(line)));
    assert.equal(entries.length, 1, server.stdout());
    assert.equal(entries[0]?.message, `Listening on: 127.0.0.1:${server.port}`);
    assert.equal(entries[0]?.version, '0.1.0');
  });

  test('curl / says hello', async () => {
    const res = await curl(SEED.root);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { message: 'Hello, SharQ!' });
  });

  let firstDequeueStartedAt = 0;

  test('enqueue, dequeue and finish of Getting Started', async () => {
    const enq = await curl(SEED.enqueueGettingStarted);
    assert.equal(enq.status, 201, enq.text);
    assert.deepEqual(enq.body, { status: 'queued' });

    firstDequeueStartedAt = Date.now();
    const deq = await curl(SEED.dequeueGettingStarted);
    assert.equal(deq.status, 200, deq.text);
    const body = asObject(deq.body);
    // The seed's reply, plus our two extra keys.
    assert.equal(body.status, 'success');
    assert.equal(body.job_id, JOB_ID);
    assert.equal(body.queue_id, '1');
    assert.deepEqual(body.payload, { message: 'hello, world' });
    assert.equal(body.requeues_remaining, -1);

    const fin = await curl(SEED.finishGettingStarted);
    assert.equal(fin.status, 200, fin.text);
    assert.deepEqual(fin.body, { status: 'success' });
  });

  test('the README: curl /, enqueue, dequeue (in a loop, as the seed advises), finish', async () => {
    const root = await curl(SEED.rootReadme);
    assert.equal(root.status, 200);
    assert.deepEqual(root.body, { message: 'Hello, SharQ!' });

    // The same job_id again: it was finished, so this is a new job, not a duplicate.
    const enq = await curl(SEED.enqueueReadme);
    assert.equal(enq.status, 201, enq.text);
    assert.deepEqual(enq.body, { status: 'queued' });

    // The queue's interval is 1000 ms: a dequeue within a second of the last one finds nothing.
    let deq = await curl(SEED.dequeueReadme);
    while (deq.status === 404) {
      assert.deepEqual(deq.body, { status: 'failure' });
      assert.ok(Date.now() - firstDequeueStartedAt < 10_000, 'the job never became ready');
      await new Promise((resolve) => setTimeout(resolve, 100));
      deq = await curl(SEED.dequeueReadme);
    }
    assert.ok(Date.now() - firstDequeueStartedAt >= 1000, 'two dequeues of a 1000 ms queue less than a second apart');
    assert.equal(deq.status, 200, deq.text);
    const body = asObject(deq.body);
    assert.equal(body.status, 'success');
    assert.equal(body.job_id, JOB_ID);
    assert.equal(body.queue_id, '1');
    assert.deepEqual(body.payload, { hello: 'world' });

    const fin = await curl(SEED.finishReadme);
    assert.equal(fin.status, 200, fin.text);
    assert.deepEqual(fin.body, { status: 'success' });
  });

  test('the README: interval 5000 on sms/1', async () => {
    const res = await curl(SEED.intervalReadme);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { status: 'success' });
  });

  test('the README: the metrics routes', async () => {
    const global = await curl(SEED.metricsReadme);
    assert.equal(global.status, 200, global.text);
    const g = asObject(global.body);
    assert.equal(g.status, 'success');
    // Both jobs of the walk-through were finished: no type holds queued or active jobs now (SPEC 2, as the original).
    assert.deepEqual(g.queue_types, []);
    assert.equal(assertMinuteCounts(g.enqueue_counts), 2);
    assert.equal(assertMinuteCounts(g.dequeue_counts), 2);

    const type = await curl(SEED.metricsTypeReadme);
    assert.equal(type.status, 200, type.text);
    const t = asObject(type.body);
    assert.equal(t.status, 'success');
    assert.ok(Array.isArray(t.queue_ids), type.text);

    const queue = await curl(SEED.metricsQueueReadme);
    assert.equal(queue.status, 200, queue.text);
    const q = asObject(queue.body);
    assert.equal(q.status, 'success');
    assert.equal(q.queue_length, 0);
    assert.equal(assertMinuteCounts(q.enqueue_counts), 2);
    assert.equal(assertMinuteCounts(q.dequeue_counts), 2);
  });
});
