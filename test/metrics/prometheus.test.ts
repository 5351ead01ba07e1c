import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { freePort } from '../helpers/ports.js';
import { parseExposition, sumOf, type Sample } from '../helpers/prometheus.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { httpClient } from '../helpers/http.js';
import { startServer, type ServerHandle } from '../helpers/server.js';

let redis: RedisServerHandle;
let server: ServerHandle;
let metricsPort: number;

before(async () => {
  redis = await startRedis();
  metricsPort = await freePort();
  server = await startServer({
    redisPort: redis.port,
    workers: 3,
    config: { 'sharq-server': { metrics_port: String(metricsPort) } },
  });
});

after(async () => {
  await server?.stop();
  await redis?.stop();
});

async function scrape(baseUrl = server.url): Promise<Sample[]> {
  const res = await httpClient(baseUrl).get('/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
  return parseExposition(res.text).samples;
}

/** One request on a fresh connection each (the client's default), so the kernel spreads them over the workers. */
async function post(path: string, body: unknown): Promise<number> {
  return (await server.api.post(path, body)).status;
}

test('counters equal the requests made, summed over all workers', async () => {
  const route = { route: '/enqueue/:queue_type/:queue_id/', method: 'POST', status: '201' };
  const beforeSamples = await scrape();
  const requestsBefore = sumOf(beforeSamples, 'sharq_http_requests_total', route);
  const enqueuedBefore = sumOf(beforeSamples, 'sharq_jobs_enqueued_total', { queue_type: 'counted' });

  const n = 300;
  const concurrency = 30;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        assert.equal(await post(`/enqueue/counted/q${i % 17}/`, { job_id: `j${i}`, interval: 0, payload: { i } }), 201);
      }
    }),
  );

  const afterSamples = await scrape();
  assert.equal(sumOf(afterSamples, 'sharq_http_requests_total', route) - requestsBefore, n);
  assert.equal(sumOf(afterSamples, 'sharq_jobs_enqueued_total', { queue_type: 'counted' }) - enqueuedBefore, n);
  assert.ok(sumOf(afterSamples, 'sharq_http_request_duration_seconds_count', route) - requestsBefore >= n);
  assert.ok(sumOf(afterSamples, 'sharq_redis_command_duration_seconds_count', { command: 'enqueue' }) >= n);
});

test('queue gauges are read once from Redis, not multiplied by the workers', async () => {
  for (let i = 0; i < 5; i++) await post('/enqueue/gauged/a/', { job_id: `a${i}`, interval: 0, payload: i });
  for (let i = 0; i < 3; i++) await post('/enqueue/gauged/b/', { job_id: `b${i}`, interval: 0, payload: i });
  assert.equal((await server.api.get('/dequeue/gauged/')).status, 200);
  assert.equal((await server.api.get('/dequeue/gauged/')).status, 200);

  const lengthA = (await server.api.get('/metrics/gauged/a/')).body as { queue_length: number };
  const lengthB = (await server.api.get('/metrics/gauged/b/')).body as { queue_length: number };
  const samples = await scrape();
  assert.equal(sumOf(samples, 'sharq_queued_jobs', { queue_type: 'gauged' }), lengthA.queue_length + lengthB.queue_length);
  assert.equal(sumOf(samples, 'sharq_queued_jobs', { queue_type: 'gauged' }), 6);
  assert.equal(sumOf(samples, 'sharq_active_jobs', { queue_type: 'gauged' }), 2);
  assert.equal(sumOf(samples, 'sharq_queues', { queue_type: 'gauged' }), 2);
  assert.equal(sumOf(samples, 'sharq_ready_queues', { queue_type: 'gauged' }), 2);
  assert.equal(sumOf(samples, 'sharq_jobs_dequeued_total', { queue_type: 'gauged' }), 2);
});

test('the exposition is valid, labels are bounded, and leader and Redis are reported', async () => {
  const res = await server.api.get('/metrics');
  const { samples, types } = parseExposition(res.text);
  for (const sample of samples) {
    assert.ok(!('queue_id' in sample.labels) && !('job_id' in sample.labels), `unbounded label on ${sample.name}`);
  }
  assert.equal(types.get('sharq_jobs_enqueued_total'), 'counter');
  assert.equal(types.get('sharq_http_request_duration_seconds'), 'histogram');
  assert.equal(types.get('sharq_queued_jobs'), 'gauge');
  assert.equal(sumOf(samples, 'sharq_leader'), 1);
  assert.equal(sumOf(samples, 'sharq_redis_up'), 1);
  assert.ok(sumOf(samples, 'sharq_process_resident_memory_bytes') > 0);
  // The JSON metrics of the original stay where they were.
  assert.equal(((await server.api.get('/metrics/')).body as { status: string }).status, 'success');
});

test('the separate metrics port serves the same instance-wide numbers', async () => {
  const main = await scrape();
  const separate = await scrape(`http://127.0.0.1:${metricsPort}`);
  const name = 'sharq_jobs_enqueued_total';
  assert.equal(sumOf(separate, name, { queue_type: 'counted' }), sumOf(main, name, { queue_type: 'counted' }));
  assert.equal((await httpClient(`http://127.0.0.1:${metricsPort}`).get('/other')).status, 404);
});
