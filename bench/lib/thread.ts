// Worker threads running TypeScript: the worker's own entry is not seen by the tsx hooks of the
// parent (Node 20), so a tiny eval'd bootstrap registers tsx inside the worker, then imports it.

import { Worker } from 'node:worker_threads';

const tsxApi = import.meta.resolve('tsx/esm/api');

export function startTsWorker(entry: URL, workerData?: unknown): Worker {
  const boot = [
    `import(${JSON.stringify(tsxApi)})`,
    `.then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); })`,
    `.catch((err) => { console.error(err); process.exit(1); });`,
  ].join('');
  return new Worker(boot, { eval: true, workerData });
}
