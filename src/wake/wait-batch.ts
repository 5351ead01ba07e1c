// Assembles long-poll and batches for one worker: the batch engine, the wake subscription (a
// Redis connection of its own) and the waiting room between them.
import { BatchEngine } from '../engine/batch.js';
import type { QueueEngine } from '../engine/engine.js';
import type { WaitBatchDeps } from '../http/handlers/wait-batch-deps.js';
import type { Config } from '../interfaces.js';
import type { Logger } from '../logger.js';
import { errorFields } from '../logger.js';
import type { WaitBatchMetrics } from '../metrics/wait-batch-metrics.js';
import { createRedis } from '../redis/client.js';
import { WakeSubscriber } from './subscriber.js';
import { WaitingRoom } from './waiting-room.js';

export interface WaitBatch {
  deps: WaitBatchDeps;
  /** Answers every waiting request now (shutdown) and closes the subscription. */
  close(): Promise<void>;
}

export function createWaitBatch(config: Config, engine: QueueEngine, metrics: WaitBatchMetrics, logger: Logger): WaitBatch {
  const batch = new BatchEngine(engine);
  let subscriber: WakeSubscriber | undefined;
  const room = new WaitingRoom({
    take: (queueType, count) => batch.dequeue(queueType, count),
    subscribe: (queueType) => {
      // Opened with the first waiting request: a server without long-polling clients holds no extra connection.
      subscriber ??= new WakeSubscriber({
        keyPrefix: config.redis.keyPrefix,
        connection: createRedis(config.redis, { connectionName: 'sharq-wake', subscriber: true, commandTimeoutMs: 5000 }),
        onWake: (type, delayMs) => room.wake(type, delayMs),
        onReconnect: () => room.wakeAll(),
      });
      return subscriber.subscribe(queueType);
    },
    onWaiting: metrics.waiting,
    onAnswered: metrics.answered,
    onError: (error) => logger.debug('long-poll dequeue failed', errorFields(error)),
  });
  return {
    deps: {
      batch,
      room,
      maxWaitMs: config.server.maxWaitMs,
      maxBatch: config.server.maxBatch,
      onBatchSize: metrics.batchSize,
    },
    async close() {
      room.close();
      await subscriber?.close();
    },
  };
}
