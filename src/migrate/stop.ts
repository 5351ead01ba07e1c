/** A stop request shared by the steps (checked between them) and the follower's pauses (cut short). */
export class StopSignal {
  private stopped = false;
  private readonly wakers = new Set<() => void>();

  get requested(): boolean {
    return this.stopped;
  }

  request(): void {
    this.stopped = true;
    for (const wake of this.wakers) wake();
    this.wakers.clear();
  }

  /** Waits ms, or less if a stop is requested meanwhile. */
  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }
}
