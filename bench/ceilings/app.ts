// The ceiling apps: what 2 node:cluster workers can answer at best on this machine. Every worker
// serves all three on their own ports (one start-up; an app that is not being loaded is idle):
//   bare     node:http, one small JSON per request, no Redis
//   evalsha  node:http + one call of the real lua/dequeue.lua (engine.dequeue: FCALL on Redis 7+) per request
//   express  the same script route in a bare express 5 app
// Usage: node --import tsx bench/ceilings/app.ts <redisPort> <barePort> <evalshaPort> <expressPort>
// The primary prints READY once every worker listens on every port.

import cluster from 'node:cluster';
import http from 'node:http';
import express from 'express';
import { engineOptions, QueueEngine } from '../../src/engine/engine.js';
import { createRedis } from '../../src/redis/client.js';
import { CEILING_MODES, CEILING_QUEUE_TYPE, LONG_EXPIRE_MS, parsedConfig } from '../lib/fixtures.js';

const CEILING_KEY_PREFIX = 'sharq_bench_ceiling';
const WORKERS = 2;
const BODY = JSON.stringify({ status: 'failure' });
const HEADERS = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) };

async function connectEngine(redisPort: number): Promise<QueueEngine> {
  // The server's own config parser and connection factory: the ceiling uses the server's settings.
  const config = parsedConfig(redisPort, { jobExpireIntervalMs: LONG_EXPIRE_MS, jobRequeueIntervalMs: 1000, keyPrefix: CEILING_KEY_PREFIX });
  const redis = createRedis(config.redis, { connectionName: 'sharq-bench-ceiling' });
  if (redis.status === 'wait') await redis.connect();
  return new QueueEngine(redis, engineOptions(config));
}

function queueTypeOf(url: string | undefined): string {
  return /^\/dequeue\/([^/]+)\//.exec(url ?? '')?.[1] ?? CEILING_QUEUE_TYPE;
}

function bareApp(): http.Server {
  return http.createServer((_req, res) => {
    res.writeHead(200, HEADERS);
    res.end(BODY);
  });
}

function evalshaApp(engine: QueueEngine): http.Server {
  return http.createServer((req, res) => {
    engine.dequeue(queueTypeOf(req.url)).then(
      () => {
        res.writeHead(200, HEADERS);
        res.end(BODY);
      },
      (err: unknown) => {
        res.writeHead(500);
        res.end(String(err));
      },
    );
  });
}

function expressApp(engine: QueueEngine): http.Server {
  const app = express();
  app.get('/dequeue/:queueType/', async (req, res) => {
    await engine.dequeue(req.params.queueType);
    res.json({ status: 'failure' });
  });
  return http.createServer(app);
}

async function serveAll(redisPort: number, ports: number[]): Promise<void> {
  // Each Redis-backed app has its own connection, as if it ran alone.
  const apps = [bareApp(), evalshaApp(await connectEngine(redisPort)), expressApp(await connectEngine(redisPort))];
  apps.forEach((app, i) => app.listen(ports[i], '127.0.0.1'));
}

const [redisPort, ...ports] = process.argv.slice(2).map(Number);
if (redisPort === undefined || ports.length !== CEILING_MODES.length || ![redisPort, ...ports].every((p) => p > 0)) {
  throw new Error('usage: app.ts <redisPort> <barePort> <evalshaPort> <expressPort>');
}

if (cluster.isPrimary) {
  let listening = 0;
  cluster.on('listening', () => {
    listening += 1;
    if (listening === WORKERS * CEILING_MODES.length) process.stdout.write('READY\n');
  });
  cluster.on('exit', (worker, code) => {
    process.stderr.write(`ceiling worker ${worker.process.pid} exited with ${code}\n`);
    process.exit(1);
  });
  for (let i = 0; i < WORKERS; i += 1) cluster.fork();
  const stop = (): void => {
    cluster.removeAllListeners('exit');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  serveAll(redisPort, ports).catch((err: unknown) => {
    process.stderr.write(`ceiling worker failed: ${String(err)}\n`);
    process.exit(1);
  });
}
