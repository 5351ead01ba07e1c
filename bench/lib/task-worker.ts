// A long-lived worker thread that runs one kind of task on request: started once (tsx and the
// libraries load once), each task bounded by a deadline after which the worker is replaced.

import { parentPort, Worker } from 'node:worker_threads';

import { withDeadline } from '../../test/helpers/wait.js';
import { onCleanup } from './cleanup.js';

const tsxApi = import.meta.resolve('tsx/esm/api');

/**
 * A worker thread running TypeScript: the worker's own entry is not seen by the tsx hooks of the
 * parent (Node 20), so a tiny eval'd bootstrap registers tsx inside the worker, then imports it.
 */
function startTsWorker(entry: URL): Worker {
  const boot = [
    `import(${JSON.stringify(tsxApi)})`,
    `.then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); })`,
    `.catch((err) => { console.error(err); process.exit(1); });`,
  ].join('');
  return new Worker(boot, { eval: true });
}

type Reply<Res> = { id: number; result: Res } | { id: number; error: string };

export class TaskWorker<Req, Res> {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Res) => void; reject: (e: Error) => void }>();

  constructor(private readonly entry: URL) {
    onCleanup(() => this.close());
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = startTsWorker(this.entry);
    worker.unref();
    worker.on('message', (reply: Reply<Res>) => {
      const waiter = this.pending.get(reply.id);
      if (waiter === undefined) return;
      this.pending.delete(reply.id);
      if ('error' in reply) waiter.reject(new Error(reply.error));
      else waiter.resolve(reply.result);
    });
    const failAll = (err: Error): void => {
      for (const waiter of this.pending.values()) waiter.reject(err);
      this.pending.clear();
      if (this.worker === worker) this.worker = undefined;
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`worker thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  async run(request: Req, deadlineMs: number, what: string): Promise<Res> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const result = new Promise<Res>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    worker.postMessage({ id, request });
    try {
      return await withDeadline(result, deadlineMs, what);
    } catch (err) {
      this.pending.delete(id);
      await this.close(); // a stuck worker is not reused
      throw err;
    }
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }
}

/** The worker side: answers each request with handler's result (or its error). */
export function serveTasks<Req, Res>(handler: (request: Req) => Promise<Res>): void {
  const port = parentPort;
  if (port === null) throw new Error('serveTasks must run in a worker thread');
  port.on('message', (msg: { id: number; request: Req }) => {
    handler(msg.request).then(
      (result) => port.postMessage({ id: msg.id, result } satisfies Reply<Res>),
      (err: unknown) => port.postMessage({ id: msg.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies Reply<Res>),
    );
  });
}
