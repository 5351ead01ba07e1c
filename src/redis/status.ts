import type { RedisClient } from './client.js';
import type { Logger } from '../logger.js';
import { errorFields } from '../logger.js';

/** A refusal over a live connection (OOM, NOPERM, a timeout, a missing replica ack) is logged at most this often. */
const REFUSAL_LOG_INTERVAL_MS = 30_000;

/**
 * Watches one Redis connection and logs an outage once when it starts and once when it ends,
 * instead of once per failed request or reconnect attempt.
 */
export class RedisStatus {
  private down = false;
  private refusalLoggedAt = -Infinity;
  private refusalsUnlogged = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly logger: Logger,
    private readonly target: string,
    private readonly now: () => number = Date.now,
  ) {
    // Without an 'error' listener ioredis prints every failed reconnect itself.
    redis.on('error', (error: unknown) => this.connectionLost(error));
    redis.on('close', () => this.connectionLost(new Error('connection closed')));
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

  /**
   * Called by the HTTP layer when a request met an unavailable Redis. With the connection still up
   * (Redis refused or was too slow), no 'ready' event will end the episode, so it must not mark the
   * connection down (a later real outage would go unlogged): it is logged, at most every 30 s.
   */
  markDown = (error: unknown): void => {
    if (this.redis.status !== 'ready') {
      this.connectionLost(error);
      return;
    }
    const now = this.now();
    if (now - this.refusalLoggedAt < REFUSAL_LOG_INTERVAL_MS) {
      this.refusalsUnlogged++;
      return;
    }
    this.logger.error(`Redis refused or did not answer a request: ${this.target}; answered 503`, {
      ...errorFields(error),
      refusalsSinceLastLog: this.refusalsUnlogged,
    });
    this.refusalLoggedAt = now;
    this.refusalsUnlogged = 0;
  };

  private connectionLost(error: unknown): void {
    if (this.down) return;
    this.down = true;
    this.logger.error(`Redis is unavailable: ${this.target}; answering 503 until it is back`, errorFields(error));
  }
}
