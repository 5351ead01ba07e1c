// runWorker's handler slots: never more jobs in hand than its concurrency.

/** Handler slots: a poller takes the slots of the jobs it asks for before it asks. */
export class Slots {
  private used = 0;
  private waiters: Array<() => void> = [];
  constructor(private readonly size: number) {}
  /**
   * Waits for a free slot, then takes up to `max` of the free ones; 0 once `stop` aborts. Checking and
   * taking happen in one step: several pollers woken by one freed slot cannot all take it.
   */
  async take(max: number, stop: AbortSignal): Promise<number> {
    while (this.used >= this.size && !stop.aborted) {
      await new Promise<void>((wake) => this.waiters.push(wake));
    }
    if (stop.aborted) return 0;
    const taken = Math.min(max, this.size - this.used);
    this.used += taken;
    return taken;
  }
  give(count: number): void {
    this.used -= count;
    this.wake();
  }
  wake(): void {
    this.waiters.splice(0).forEach((wake) => wake());
  }
}
