// Free TCP ports for test servers, so tests never touch a developer's Redis on 6379.

import { createServer } from 'node:net';

const HOST = '127.0.0.1';

/** A port the OS reports free right now (it may be taken again before use: callers retry). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not read the bound port'))));
    });
  });
}

/** Whether `port` can be bound on 127.0.0.1 right now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/**
 * A port p such that p and p + offset are both free. Redis Cluster listens on p and its bus
 * on p + 10000; random picks below 50000 keep both under 65535 and away from the OS's
 * ephemeral range start, where freePort's ports come from.
 */
export async function freePortPair(offset: number, attempts = 200): Promise<number> {
  const low = 20000;
  const high = Math.min(50000, 65535 - offset);
  for (let i = 0; i < attempts; i++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if ((await isPortFree(port)) && (await isPortFree(port + offset))) return port;
  }
  throw new Error(`no free port pair (p, p+${offset}) found in ${attempts} attempts`);
}
