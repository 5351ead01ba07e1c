// Everything the Python SharQ holds arrives in order, and dequeues through the HTTP API with the same
// payloads and requeue limits; a second run moves nothing.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';

import type { RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { NO_EXPIRY, pyDequeue, pyEnqueue, redisNowMs, runMigrate, writeConfig, type PyJob } from './python-layout.js';
import { oneRedisForSuite } from './fixture.js';

let redis: RedisServerHandle;
let client: Redis;
let server: ServerHandle | undefined;
let config: ReturnType<typeof writeConfig>;

after(async () => {
  await server?.stop();
});
oneRedisForSuite((made) => ({ redis, client, config } = made));

const jobs: PyJob[] = [
  { type: 'sms', queue: 'q1', id: 'j1', payload: { message: 'héllo 世界 😀', to: '+33' }, requeueLimit: -1 },
  { type: 'sms', queue: 'q1', id: 'j2', payload: [1, 2.5, null, true, 'x'], requeueLimit: 0 },
  { type: 'sms', queue: 'q1', id: 'j3', payload: 'plain string with "quotes" and \\ and \n', requeueLimit: 3 },
  { type: 'sms', queue: 'q1', id: 'j4', payload: { nested: { a: [{}], b: {} }, empty: [] } },
  { type: 'sms', queue: 'q1', id: 'j5', payload: 2n ** 60n },
  { type: 'sms', queue: 'q2', id: 'k1', payload: { n: 1 }, requeueLimit: 2 },
  { type: 'sms', queue: 'q2', id: 'k2', payload: { n: 2 }, requeueLimit: 5 },
  { type: 'sms', queue: 'q2', id: 'k3', payload: { n: 3 } },
  // Stored as given: bytes msgpack never wrote, and text that is not msgpack.
  { type: 'email', queue: 'e-1', id: 'b1', payload: Buffer.from([0xff, 0xfe, 0x00, 0x80]) },
  { type: 'email', queue: 'e-1', id: 'b2', payload: Buffer.from('hello, not msgpack', 'utf8') },
  { type: 'email', queue: 'e_2', id: 'c1', payload: { 'ключ': 'значение' }, intervalMs: 0 },
  // A name this server refuses: reported, left in place.
  { type: 'email', queue: 'bad.name', id: 'x1', payload: 1 },
];

test('every job moves in order with its payload and requeue limit, active jobs first by expiry', async () => {
  const now = await redisNowMs(client);
  for (const job of jobs) await pyEnqueue(client, 'py', job, now);
  // k1 then k2 are dequeued by an old worker (k1 expires first): both go back to the front of q2, k1 leading.
  assert.equal(await pyDequeue(client, 'py', 'sms', 'q2', now - 20), 'k1');
  assert.equal(await pyDequeue(client, 'py', 'sms', 'q2', now - 10), 'k2');

  const first = await runMigrate(['--config', config.path, '--from-prefix', 'py']);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /jobs moved: 11 /);
  assert.match(first.stdout, /moved as strings: 2/);
  assert.match(first.stdout + first.stderr, /skipped queues: 1 .*email\/bad\.name/);

  // The old layout keeps only what the summary says stays: the refused queue, intervals, dequeue times.
  const left = (await client.keys('py:*')).sort();
  assert.deepEqual(left.filter((k) => !k.includes('bad.name') && k !== 'py:interval' && !k.endsWith(':time')), [
    'py:email',
    'py:payload',
    'py:ready:queue_type',
  ]);
  assert.deepEqual(await client.hkeys('py:payload'), ['email:bad.name:x1']);

  const second = await runMigrate(['--config', config.path, '--from-prefix', 'py']);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /jobs moved: 0 /);

  server = await startServer({ redisPort: redis.port, workers: 2, startTimeoutMs: 60_000, config: NO_EXPIRY });
  const out = new Map<string, { id: string; text: string; remaining: number }[]>();
  for (const type of ['sms', 'email']) {
    for (;;) {
      const res = await server!.api.get(`/dequeue/${type}/`);
      if (res.status === 404) break;
      assert.equal(res.status, 200, res.text);
      const body = res.body as { queue_id: string; job_id: string; requeues_remaining: number };
      const payloadText = /"payload":(.*),"requeues_remaining"/.exec(res.text)?.[1] ?? '';
      const list = out.get(`${type}/${body.queue_id}`) ?? [];
      list.push({ id: body.job_id, text: payloadText, remaining: body.requeues_remaining });
      out.set(`${type}/${body.queue_id}`, list);
    }
  }
  const ids = (key: string): string[] => (out.get(key) ?? []).map((j) => j.id);
  assert.deepEqual(ids('sms/q1'), ['j1', 'j2', 'j3', 'j4', 'j5']);
  assert.deepEqual(ids('sms/q2'), ['k1', 'k2', 'k3']);
  assert.deepEqual(ids('email/e-1'), ['b1', 'b2']);
  assert.deepEqual(ids('email/e_2'), ['c1']);

  const byId = new Map([...out.values()].flat().map((j) => [j.id, j]));
  for (const job of jobs.filter((j) => j.queue !== 'bad.name' && !Buffer.isBuffer(j.payload) && typeof j.payload !== 'bigint')) {
    assert.deepEqual(JSON.parse(byId.get(job.id)!.text), job.payload, job.id);
    assert.equal(byId.get(job.id)!.remaining, job.requeueLimit ?? -1, job.id);
  }
  // 64-bit integers keep every digit; undecodable payloads arrive as strings of their bytes.
  assert.equal(byId.get('j5')!.text, '1152921504606846976');
  assert.equal(JSON.parse(byId.get('b1')!.text), '\u00ff\u00fe\u0000\u0080');
  assert.equal(JSON.parse(byId.get('b2')!.text), 'hello, not msgpack');
});
