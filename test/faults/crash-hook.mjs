// Loaded into the real server with NODE_OPTIONS=--import by test/faults/process-faults.test.ts:
// SIGUSR2 makes a worker throw an exception nobody catches, as a bug would.
import cluster from 'node:cluster';

if (cluster.isWorker) {
  process.on('SIGUSR2', () => {
    setImmediate(() => {
      throw new Error('boom: an uncaught exception injected by the test');
    });
  });
}
