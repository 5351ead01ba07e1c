// Messages between the primary and its workers (besides metrics, see src/metrics/collect.ts).

export type WorkerMessage = { type: 'sharq:listening' } | { type: 'sharq:listen-error'; message: string };
export type PrimaryMessage = { type: 'sharq:shutdown' };

export function isWorkerMessage(message: unknown): message is WorkerMessage {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'sharq:listening' || type === 'sharq:listen-error';
}

export function isPrimaryMessage(message: unknown): message is PrimaryMessage {
  return (message as { type?: unknown } | null)?.type === 'sharq:shutdown';
}

/** The primary passes the validated config to its workers in this variable, not re-read from disk. */
export const WORKER_CONFIG_ENV = 'SHARQ_WORKER_CONFIG';
