import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BatchOperation } from '../interfaces.js';

/** Jobs per batch request; max_batch defaults to 1000. */
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000];

/** Long-poll and batch metrics of one worker (summed over the workers like the others). */
export class WaitBatchMetrics {
  private readonly waitingRequests: Gauge<'queue_type'>;
  private readonly wakeups: Counter<'queue_type'>;
  private readonly timeouts: Counter<'queue_type'>;
  private readonly batchSizes: Histogram<'operation' | 'queue_type'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.waitingRequests = new Gauge({
      name: 'sharq_long_poll_waiting_requests',
      help: 'Dequeue requests waiting for a job (long-poll), by queue type.',
      labelNames: ['queue_type'],
      registers,
    });
    this.wakeups = new Counter({
      name: 'sharq_long_poll_wakeups_total',
      help: 'Waiting dequeue requests answered with a job, by queue type.',
      labelNames: ['queue_type'],
      registers,
    });
    this.timeouts = new Counter({
      name: 'sharq_long_poll_timeouts_total',
      help: 'Waiting dequeue requests whose wait ran out (answered 404), by queue type.',
      labelNames: ['queue_type'],
      registers,
    });
    this.batchSizes = new Histogram({
      name: 'sharq_batch_size_jobs',
      help: 'Jobs per batch request (enqueue, finish: jobs sent; dequeue with count: jobs handed out), by operation and queue type.',
      labelNames: ['operation', 'queue_type'],
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    });
  }

  waiting = (queueType: string, delta: number): void => {
    this.waitingRequests.inc({ queue_type: queueType }, delta);
  };

  answered = (queueType: string, outcome: 'woken' | 'timeout'): void => {
    (outcome === 'woken' ? this.wakeups : this.timeouts).inc({ queue_type: queueType });
  };

  batchSize = (operation: BatchOperation, queueType: string, jobs: number): void => {
    this.batchSizes.observe({ operation, queue_type: queueType }, jobs);
  };
}
