/**
 * The wait of a sync loop between two steps (the push client's, the orders client's), which an event can end early:
 * stop(), or an alarm that should go to the hub now.
 */
export class WakeableSleep {
  private wakeUp: (() => void) | undefined;

  /** Resolves after `ms` (at most setTimeout's limit, about 24.8 days), or at once when wake() is called meanwhile. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.min(ms, 2_147_483_647));
      this.wakeUp = done;
    });
  }

  /** Ends the sleep under way, if any. */
  wake(): void {
    this.wakeUp?.();
  }
}
