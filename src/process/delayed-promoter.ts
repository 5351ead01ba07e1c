// Runs in the requeue leader (one process across all instances): moves due delayed jobs to their
// queues on a timer set to the earliest due time, so a job comes due (and, through signal_ready in
// the promote script, wakes long-polling workers) even while nobody dequeues. Enqueue and dequeue
// promote due jobs themselves too, so a dequeue never waits for this timer.
// On taking the lead it first migrates the dead-letter LISTs of earlier versions.
import type { QueueEngine } from '../engine/engine.js';
import type { Logger } from '../logger.js';
import { errorFields } from '../logger.js';

export interface DelayedPromoterOptions {
  /** Longest sleep between two rounds: a job enqueued with a short delay while the timer sleeps is found by then. */
  maxSleepMs?: number;
  /** Shortest sleep, so many jobs due in a row do not spin the loop. */
  minSleepMs?: number;
  /** Told the number of jobs promoted per type in each round that promoted some. */
  onPromoted?: (queueType: string, count: number) => void;
}

const DEFAULT_MAX_SLEEP_MS = 1000;
const DEFAULT_MIN_SLEEP_MS = 5;
/** After a failed round (Redis down), wait this long. */
const RETRY_MS = 1000;

export class DelayedPromoter {
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private migrated = false;
  private lastFailure = '';

  constructor(
    private readonly engine: QueueEngine,
    private readonly logger: Logger,
    private readonly options: DelayedPromoterOptions = {},
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.round;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.round = this.runRound()
        .then((sleepMs) => {
          this.lastFailure = '';
          return sleepMs;
        })
        .catch((error: unknown) => {
          const { error: message } = errorFields(error);
          if (message !== this.lastFailure) this.logger.warn('promoting delayed jobs failed; retrying', { error: message });
          this.lastFailure = message;
          return RETRY_MS;
        })
        .then((sleepMs) => {
          this.round = undefined;
          if (this.running) this.schedule(sleepMs);
        });
    }, delayMs);
  }

  /** One round over every queue type; returns how long to sleep. */
  private async runRound(): Promise<number> {
    const types = await this.engine.queueTypes();
    if (!this.migrated) {
      for (const type of types) {
        const moved = await this.engine.deadLetters.migrateOldList(type);
        if (moved > 0) this.logger.info('migrated dead letters to the current layout', { queueType: type, moved });
      }
      this.migrated = true;
    }
    const maxSleep = this.options.maxSleepMs ?? DEFAULT_MAX_SLEEP_MS;
    let sleepMs = maxSleep;
    for (const type of types) {
      if (!this.running) break;
      const result = await this.engine.lifecycle.promoteDue(type);
      if (result.promoted > 0) this.options.onPromoted?.(type, result.promoted);
      if (result.nextDueAtMs !== undefined) sleepMs = Math.min(sleepMs, result.nextDueAtMs - result.nowMs);
    }
    return Math.max(this.options.minSleepMs ?? DEFAULT_MIN_SLEEP_MS, sleepMs);
  }
}
