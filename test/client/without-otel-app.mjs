// An app of the built client (dist/client/) for test/client/without-otel.test.ts, run where
// @opentelemetry/api cannot be imported: it enqueues (with and without a traceparent of its own),
// runs a worker over both jobs and prints what it saw as one JSON line.
const [url, clientModule] = process.argv.slice(2);
const { SharqClient, runWorker } = await import(clientModule);
const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

let hidden = false;
try {
  await import('@opentelemetry/api');
} catch {
  hidden = true;
}
const client = new SharqClient({ url });
await client.enqueue({ queueType: 'no_otel', queueId: 'q', jobId: 'plain', interval: 0, payload: 1 });
await client.enqueue({ queueType: 'no_otel', queueId: 'q', jobId: 'given', interval: 0, payload: 2, traceparent: PARENT });
const seen = [];
const stop = new AbortController();
const summary = await runWorker({
  url,
  queueType: 'no_otel',
  waitMs: 1000,
  signal: stop.signal,
  handler: (job) => {
    seen.push([job.jobId, job.traceparent ?? null]);
    if (seen.length === 2) stop.abort();
    if (job.jobId === 'given') throw new Error('fails without a span too');
  },
});
process.stdout.write(`${JSON.stringify({ hidden, seen, summary })}\n`);
