import type { BatchEngine } from '../../engine/batch.js';
import type { WaitingRoom } from '../../wake/waiting-room.js';

export type BatchOperation = 'enqueue' | 'dequeue' | 'finish';

/** What the long-poll and batch handlers need beside the engine. */
export interface WaitBatchDeps {
  batch: BatchEngine;
  room: WaitingRoom;
  /** `[sharq-server] max_wait_ms`: the longest `wait`. */
  maxWaitMs: number;
  /** `[sharq-server] max_batch`: the most jobs per batch and the largest `count`. */
  maxBatch: number;
  /** Told the number of jobs of every batch request (Prometheus histogram). */
  onBatchSize?: (operation: BatchOperation, queueType: string, jobs: number) => void;
}
