/**
 * Wakes long-polls when an order is issued, by this hub process or by any other on the same database: while anyone
 * waits, the store's newest seq is read every `pollMs` (one small query per process, however many boxes wait), and
 * every waiter whose seq it passed is woken to look for its own orders. An order issued in this process wakes them
 * at once (`notify`). Nothing here is needed for correctness after a restart: a box simply asks again.
 */
export interface OrderWatchOptions {
  /** The store's newest seq. */
  readonly top: () => Promise<number>;
  /** Default 300 ms. */
  readonly pollMs?: number;
  readonly onError?: (err: unknown) => void;
}

interface Waiter {
  readonly above: number;
  readonly wake: () => void;
}

export class OrderWatch {
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly pollMs: number;

  constructor(private readonly opts: OrderWatchOptions) {
    this.pollMs = opts.pollMs ?? 300;
  }

  /** Resolves when the newest seq is above `above`, after `ms`, or when `signal` aborts, whichever comes first. */
  wait(above: number, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timeout);
        signal?.removeEventListener('abort', finish);
        this.waiters.delete(waiter);
        if (this.waiters.size === 0) this.halt();
        resolve();
      };
      const waiter: Waiter = { above, wake: finish };
      const timeout = setTimeout(finish, Math.max(0, ms));
      if (signal?.aborted === true) return finish();
      signal?.addEventListener('abort', finish, { once: true });
      this.waiters.add(waiter);
      this.schedule(this.pollMs);
    });
  }

  /** An order was issued in this process: look now. */
  notify(): void {
    if (this.waiters.size > 0) this.schedule(0, true);
  }

  /** Wakes every waiter (the hub is stopping). */
  close(): void {
    for (const w of [...this.waiters]) w.wake();
    this.halt();
  }

  private halt(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number, now = false): void {
    if (this.timer !== undefined && !now) return;
    this.halt();
    this.timer = setTimeout(() => void this.poll(), ms);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    this.timer = undefined;
    if (this.polling || this.waiters.size === 0) return;
    this.polling = true;
    try {
      const top = await this.opts.top();
      for (const w of [...this.waiters]) if (top > w.above) w.wake();
    } catch (err) {
      this.opts.onError?.(err);
    } finally {
      this.polling = false;
    }
    if (this.waiters.size > 0) this.schedule(this.pollMs);
  }
}
