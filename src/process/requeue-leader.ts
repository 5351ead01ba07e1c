import type { QueueEngine, RequeueCounts } from '../engine/engine.js';
import { LeaderLock, newHolderId } from '../engine/leader-lock.js';
import type { Logger } from '../logger.js';
import { errorFields } from '../logger.js';

export interface RequeueLeaderOptions {
  /** Pause between two requeue passes while leading. */
  requeueIntervalMs: number;
  /** Lock TTL: a dead leader is replaced within about this long. */
  lockTtlMs?: number;
  /** Told of every leadership change and every pass, for metrics. */
  onLeadership?: (leading: boolean) => void;
  onPass?: (seconds: number, counts: Map<string, RequeueCounts>) => void;
}

const DEFAULT_LOCK_TTL_MS = 5000;

/**
 * Campaigns for the leader lock and, while holding it, runs the requeue pass every
 * requeueIntervalMs. Exactly one process among all that share the Redis leads; when it dies or
 * loses Redis its lock expires and another takes over within the lock's TTL.
 */
export class RequeueLeader {
  private readonly lock: LeaderLock;
  private readonly ttlMs: number;
  private leading = false;
  private stopped = false;
  private campaignTimer: NodeJS.Timeout | undefined;
  private passTimer: NodeJS.Timeout | undefined;
  private passRunning: Promise<void> | undefined;
  private lastFailure = '';

  constructor(
    private readonly engine: QueueEngine,
    private readonly logger: Logger,
    private readonly options: RequeueLeaderOptions,
  ) {
    this.ttlMs = options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
    this.lock = new LeaderLock(engine.redis, engine.keys.leaderLock, newHolderId(), this.ttlMs);
  }

  start(): void {
    void this.campaign();
  }

  /** Stops campaigning, waits for a running pass, and releases the lock if held. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.campaignTimer);
    clearTimeout(this.passTimer);
    await this.passRunning;
    if (this.leading) {
      try {
        await this.lock.release();
        this.logger.info('released the requeue leader lock', { holder: this.lock.holderId });
      } catch (error) {
        this.logger.warn('could not release the requeue leader lock; it expires by itself', errorFields(error));
      }
      this.setLeading(false);
    }
  }

  // Renewal runs at a third of the TTL, so two missed renewals still leave the lock held.
  private async campaign(): Promise<void> {
    if (this.stopped) return;
    try {
      const holds = this.leading ? await this.lock.renew() : await this.lock.acquire();
      this.lastFailure = '';
      if (holds !== this.leading) {
        if (!holds) this.logger.warn('lost the requeue leader lock', { holder: this.lock.holderId });
        this.setLeading(holds);
      }
    } catch (error) {
      const { error: message } = errorFields(error);
      if (message !== this.lastFailure) {
        this.logger.warn('leader election cannot reach Redis', { error: message });
        this.lastFailure = message;
      }
      // Without Redis we cannot prove we still hold the lock: stop acting as leader.
      if (this.leading) this.setLeading(false);
    }
    if (!this.stopped) this.campaignTimer = setTimeout(() => void this.campaign(), Math.floor(this.ttlMs / 3));
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    this.options.onLeadership?.(leading);
    if (leading) {
      this.logger.info('became the requeue leader', { holder: this.lock.holderId });
      this.schedulePass(0);
    } else {
      clearTimeout(this.passTimer);
    }
  }

  private schedulePass(delayMs: number): void {
    clearTimeout(this.passTimer);
    this.passTimer = setTimeout(() => {
      this.passRunning = this.runPass().finally(() => {
        this.passRunning = undefined;
        if (this.leading && !this.stopped) this.schedulePass(this.options.requeueIntervalMs);
      });
    }, delayMs);
  }

  private async runPass(): Promise<void> {
    const started = process.hrtime.bigint();
    try {
      const counts = await this.engine.requeue();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.options.onPass?.(seconds, counts);
      let requeued = 0;
      let discarded = 0;
      for (const c of counts.values()) {
        requeued += c.requeued;
        discarded += c.discarded;
      }
      if (requeued + discarded > 0) {
        this.logger.info('requeue pass', { requeued, discarded, seconds: Number(seconds.toFixed(3)) });
      }
    } catch (error) {
      this.logger.warn('requeue pass failed; retrying next interval', errorFields(error));
    }
  }
}
