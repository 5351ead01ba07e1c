import type { RedisClient } from './client.js';
import type { Logger } from '../logger.js';
import { errorFields } from '../logger.js';

/**
 * Watches one Redis connection and logs an outage once when it starts and once when it ends,
 * instead of once per failed request or reconnect attempt.
 */
export class RedisStatus {
  private down = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly logger: Logger,
    private readonly target: string,
  ) {
    // Without an 'error' listener ioredis prints every failed reconnect itself.
    redis.on('error', (error: unknown) => this.markDown(error));
    redis.on('close', () => this.markDown(new Error('connection closed')));
    redis.on('ready', () => {
      if (this.down) this.logger.info(`Redis is back: ${this.target}`);
      this.down = false;
    });
  }

  get isUp(): boolean {
    return this.redis.status === 'ready';
  }

  /** Our own shutdown closes the connection: that is no outage to report. */
  closing(): void {
    this.down = true;
  }

  /** Also called by the HTTP layer when a request met an unavailable Redis. */
  markDown = (error: unknown): void => {
    if (this.down) return;
    this.down = true;
    this.logger.error(`Redis is unavailable: ${this.target}; answering 503 until it is back`, errorFields(error));
  };
}
