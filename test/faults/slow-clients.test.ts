// Slow clients on the real CLI: headers trickled a byte at a time, bodies never finished, and 1,000
// idle keep-alive connections neither block other requests nor grow memory without bound;
// headers_timeout / request_timeout cut the slow ones off with a 408.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { redisCli, startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { request } from '../helpers/fetch.js';

const HEADERS_TIMEOUT_MS = 2000;
const REQUEST_TIMEOUT_MS = 4000;
// The server checks timeouts every second; a loaded machine adds its own delay.
const MARGIN_MS = 4000;

function rssKb(pids: number[]): number {
  const text = execFileSync('ps', ['-o', 'rss=', '-p', pids.join(',')], { encoding: 'utf8' });
  return text.split('\n').reduce((sum, line) => sum + (Number(line.trim()) || 0), 0);
}

interface Outcome {
  closedAfterMs: number;
  received: string;
}

/** Opens a socket, sends `first`, then `drip` every 250 ms until the server closes the socket. */
function slowClient(port: number, first: string, drip?: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(first);
      if (drip !== undefined) timer = setInterval(() => socket.writable && socket.write(drip), 250);
    });
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept a slow client for 30 s (got ${JSON.stringify(received)})`));
    }, 30_000);
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ closedAfterMs: Date.now() - started, received });
    });
  });
}

/** GET / on fresh connections every 100 ms while `until` is pending; returns the slowest answer in ms. */
async function probeWhile(url: string, until: Promise<unknown>): Promise<{ slowestMs: number; count: number }> {
  let done = false;
  void until.finally(() => (done = true));
  let slowestMs = 0;
  let count = 0;
  while (!done) {
    const started = Date.now();
    const res = await request(`${url}/`, { headers: { connection: 'close' } });
    assert.equal(res.status, 200);
    slowestMs = Math.max(slowestMs, Date.now() - started);
    count++;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { slowestMs, count };
}

describe('slow clients', () => {
  let redis: RedisServerHandle;
  let server: ServerHandle;
  before(async () => {
    redis = await startRedis();
    server = await startServer({
      redisPort: redis.port,
      workers: 2,
      config: { 'sharq-server': { headers_timeout: String(HEADERS_TIMEOUT_MS), request_timeout: String(REQUEST_TIMEOUT_MS) } },
    });
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  test('trickled headers and unfinished bodies are cut off with 408; other requests flow', async () => {
    const trickled = slowClient(server.port, 'GET /dequeue/ HTTP/1.1\r\nHost: x\r\n', 'X');
    const body = '{"job_id":"slow1","interval":0,"payload":1}';
    const unfinished = slowClient(
      server.port,
      `POST /enqueue/slow/q/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 100}\r\n\r\n${body}`,
    );
    const probes = await probeWhile(server.url, Promise.all([trickled, unfinished]));
    const [t, u] = await Promise.all([trickled, unfinished]);

    assert.ok(t.closedAfterMs >= HEADERS_TIMEOUT_MS - 100, `trickled headers cut after ${t.closedAfterMs} ms: ${JSON.stringify(t.received)}`);
    assert.ok(t.closedAfterMs < HEADERS_TIMEOUT_MS + MARGIN_MS, `trickled headers kept ${t.closedAfterMs} ms`);
    assert.match(t.received, /^HTTP\/1\.1 408/);
    assert.ok(u.closedAfterMs < REQUEST_TIMEOUT_MS + MARGIN_MS, `unfinished body kept ${u.closedAfterMs} ms`);
    assert.match(u.received, /^HTTP\/1\.1 408/);
    assert.ok(probes.count >= 5, `only ${probes.count} probes ran`);
    // A request stuck behind the unfinished body would wait request_timeout; a loaded machine's delay is less.
    assert.ok(probes.slowestMs < REQUEST_TIMEOUT_MS, `a request waited ${probes.slowestMs} ms behind the slow clients`);
    // The unfinished enqueue did nothing.
    assert.equal(await redisCli(redis.port, 'exists', 'sharq_test:{slow}:jobs:q'), '0');
  });

  test('a connection that never sent a byte is closed at headers_timeout without a reply', async () => {
    // Clients pool connections they open ahead of use (undici does, after an aborted request): an
    // unsolicited 408 on one would be read as the answer to the request sent on it at that moment.
    const unused = await slowClient(server.port, '');
    assert.ok(unused.closedAfterMs >= HEADERS_TIMEOUT_MS - 100, `unused connection closed after ${unused.closedAfterMs} ms`);
    assert.ok(unused.closedAfterMs < HEADERS_TIMEOUT_MS + MARGIN_MS, `unused connection kept ${unused.closedAfterMs} ms`);
    assert.equal(unused.received, '', 'no reply on a connection without a request');
  });

  test('a request completed after its 408 is not served', async () => {
    const body = '{"job_id":"late1","interval":0,"payload":1}';
    const head = `POST /enqueue/late/q/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n`;
    const outcome = await new Promise<Outcome>((resolve, reject) => {
      const started = Date.now();
      let received = '';
      const socket = net.connect(server.port, '127.0.0.1', () => socket.write(head));
      const giveUp = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no 408 in 30 s (got ${JSON.stringify(received)})`));
      }, 30_000);
      socket.on('data', (chunk) => {
        // The 408 is in: finish the request at once, as a client whose bytes were on the way would.
        if (received === '' && socket.writable) socket.write(`\r\n${body}`);
        received += chunk.toString();
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(giveUp);
        resolve({ closedAfterMs: Date.now() - started, received });
      });
    });
    assert.match(outcome.received, /^HTTP\/1\.1 408/);
    assert.equal(outcome.received.match(/HTTP\/1\.1 /g)?.length, 1, `one reply only: ${JSON.stringify(outcome.received)}`);
    // Give a request that slipped through the time to reach Redis before looking.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await redisCli(redis.port, 'exists', 'sharq_test:{late}:jobs:q'), '0', 'the request told 408 was served all the same');
  });

  test('1,000 idle keep-alive connections: others are served, memory stays bounded', async () => {
    const workers = await server.workerPids();
    const rssBefore = rssKb(workers);
    const sockets: net.Socket[] = [];
    try {
      // Each connection makes one request, reads its answer and then stays open, idle.
      for (let batch = 0; batch < 10; batch++) {
        await Promise.all(
          Array.from(
            { length: 100 },
            () =>
              new Promise<void>((resolve, reject) => {
                const socket = net.connect(server.port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
                sockets.push(socket);
                socket.once('data', () => resolve());
                socket.once('error', reject);
              }),
          ),
        );
      }
      assert.equal(sockets.filter((s) => !s.destroyed).length, 1000);
      let slowestMs = 0;
      for (let i = 0; i < 20; i++) {
        const started = Date.now();
        const res = await request(`${server.url}/enqueue/idle/q/`, { body: { job_id: `j${i}`, interval: 0, payload: i }, headers: { connection: 'close' } });
        assert.equal(res.status, 201);
        slowestMs = Math.max(slowestMs, Date.now() - started);
      }
      const grewKb = rssKb(workers) - rssBefore;
      assert.ok(slowestMs < 4000, `a request took ${slowestMs} ms beside 1,000 idle connections`);
      // About 1,000 sockets' buffers: tens of kB each at most, not megabytes.
      assert.ok(grewKb < 100 * 1024, `worker RSS grew by ${grewKb} kB for 1,000 idle connections`);
      // Idle after a response is not a slow request: the connections are still open.
      assert.ok(sockets.every((s) => !s.destroyed), 'idle keep-alive connections were closed early');
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });
});
