import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RedisClient } from '../redis/client.js';
import { LockScripts } from './scripts/lock.js';

/** A holder id names the host and pid, so `GET <prefix>:leader` tells an operator who leads. */
export function newHolderId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/**
 * A Redis lock with a TTL: taken with SET NX PX, renewed and released only by its holder
 * (compare-and-extend, compare-and-delete scripts), so a process that lost it can never
 * extend or delete another's.
 */
export class LeaderLock {
  private readonly scripts: LockScripts;

  constructor(
    private readonly redis: RedisClient,
    readonly key: string,
    readonly holderId: string,
    readonly ttlMs: number,
  ) {
    this.scripts = new LockScripts({ redis });
  }

  async acquire(): Promise<boolean> {
    return (await this.redis.set(this.key, this.holderId, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  async renew(): Promise<boolean> {
    return this.scripts.renew(this.key, this.holderId, this.ttlMs);
  }

  async release(): Promise<boolean> {
    return this.scripts.release(this.key, this.holderId);
  }
}
