// The entry point of a worker process (the primary forks this file, not the CLI), so a worker
// loads only what serving requests needs: no yargs, no config reader, no requeue leader.
import type { Config } from '../interfaces.js';
import { WORKER_CONFIG_ENV } from './ipc.js';
import { runWorker } from './worker.js';

const serialized = process.env[WORKER_CONFIG_ENV];
if (!serialized) {
  process.stderr.write(`sharq-server worker: started without ${WORKER_CONFIG_ENV}; the primary starts workers\n`);
  process.exit(1);
}
await runWorker(JSON.parse(serialized) as Config);
