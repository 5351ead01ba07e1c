// Assembles long-poll for one worker: the waiting room and the wake subscription (a Redis
// connection of its own, opened with the first waiting request) between them.
import type { QueueEngine } from '../engine/engine.js';
import type { Config } from '../interfaces.js';
import type { Logger } from '../logger.js';
import { errorFields } from '../logger.js';
import { createRedis } from '../redis/client.js';
import { WakeSubscriber } from './subscriber.js';
import { WaitingRoom, type WaitingRoomOptions } from './waiting-room.js';

export interface LongPoll {
  room: WaitingRoom;
  /** Answers every waiting request now (shutdown) and closes the subscription. */
  close(): Promise<void>;
}

/** What the worker counts of the waiting requests (Prometheus). */
export type LongPollObservers = Pick<WaitingRoomOptions, 'onWaiting' | 'onAnswered'>;

export function createLongPoll(config: Config, engine: QueueEngine, observers: LongPollObservers, logger: Logger): LongPoll {
  let subscriber: WakeSubscriber | undefined;
  const room = new WaitingRoom({
    // The dequeue route validated the type before the request joined the room.
    take: (queueType, count) => engine.batch.take(queueType, count),
    subscribe: (queueType) => {
      // Opened with the first waiting request: a server without long-polling clients holds no extra connection.
      subscriber ??= new WakeSubscriber({
        keyPrefix: config.redis.keyPrefix,
        connection: createRedis(config.redis, {
          connectionName: 'sharq-wake',
          subscriber: true,
          commandTimeoutMs: config.server.redisCommandTimeoutMs,
        }),
        onWake: (type, delayMs) => room.wake(type, delayMs),
        onReconnect: () => room.wakeAll(),
      });
      return subscriber.subscribe(queueType);
    },
    ...observers,
    onError: (error) => logger.debug('long-poll dequeue failed', errorFields(error)),
  });
  return {
    room,
    async close() {
      room.close();
      await subscriber?.close();
    },
  };
}
