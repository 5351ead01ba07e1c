// Lease extension for runWorker: while a handler runs, POST /touch/ every `share` of the job expiry,
// so a slow job is not requeued under a worker still working on it.
import type { SharqClient } from './client.js';
import { SharqNotFoundError } from './errors.js';
import type { Job } from './types.js';

export interface LeaseOptions {
  /** The server's `job_expire_interval` in ms. When given, the lease of a running job is extended. */
  jobExpireIntervalMs?: number;
  /** Share of jobExpireIntervalMs after which (and then every such time) the lease is extended. Default 0.5. */
  leaseShare?: number;
}

export interface Lease {
  /** Aborted when the server says the job is no longer active. */
  signal: AbortSignal;
  stop(): void;
}

type LeaseEvent = { type: 'lease-extended'; job: Job; expiresAtMs: number } | { type: 'lease-lost'; job: Job } | { type: 'error'; error: unknown };

export function startLease(client: SharqClient, queueType: string, job: Job, options: LeaseOptions, emit: (event: LeaseEvent) => void): Lease {
  const lost = new AbortController();
  const expireMs = options.jobExpireIntervalMs;
  if (expireMs === undefined || expireMs <= 0) return { signal: lost.signal, stop: () => undefined };
  const everyMs = Math.max(1, Math.floor(expireMs * (options.leaseShare ?? 0.5)));
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const extend = async (): Promise<void> => {
    try {
      const { expiresAtMs } = await client.touch({ queueType, queueId: job.queueId, jobId: job.jobId, extendMs: expireMs });
      if (!stopped) emit({ type: 'lease-extended', job, expiresAtMs });
    } catch (error) {
      if (stopped) return;
      if (error instanceof SharqNotFoundError) {
        emit({ type: 'lease-lost', job });
        lost.abort(error);
        return;
      }
      // Unavailable: the next tick tries again, while the lease still has the rest of its time.
      emit({ type: 'error', error });
    }
    if (!stopped) timer = setTimeout(() => void extend(), everyMs);
  };
  timer = setTimeout(() => void extend(), everyMs);
  return {
    signal: lost.signal,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
