import type { Observable, Subscription } from 'rxjs';
import { WakeableSleep } from './wakeable-sleep.js';

/**
 * The loop of a background sync job (the backup and picture uploads, the content download): one step at a time, each
 * answering how long to wait before the next; a step that throws is handed to `onError`, which answers the wait. The
 * wait ends early at wake() (a new backup, a picture taken, a manifest) and at stop(). While it runs, each event of
 * `interrupt$` (an alarm committed) calls `onInterrupt`, which aborts the request in flight for the push loop.
 */
export class StepLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly nap = new WakeableSleep();
  private interrupts: Subscription | undefined;

  constructor(
    private readonly step: () => Promise<number>,
    private readonly onError: (err: unknown) => number,
  ) {}

  get active(): boolean {
    return this.running;
  }

  start(interrupt$?: Observable<unknown>, onInterrupt?: () => void): void {
    if (this.running) return;
    this.running = true;
    if (interrupt$ !== undefined && onInterrupt !== undefined) this.interrupts = interrupt$.subscribe(() => onInterrupt());
    this.loop = this.run();
  }

  /**
   * Ends the loop: no step starts after this call (an abort the caller makes right after it cannot start another);
   * resolves when the step under way has returned.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.interrupts?.unsubscribe();
    this.interrupts = undefined;
    this.nap.wake();
    await this.loop;
  }

  /** Ends the wait under way, if any: the next step starts now. */
  wake(): void {
    this.nap.wake();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let delay: number;
      try {
        delay = await this.step();
      } catch (err) {
        delay = this.onError(err);
      }
      if (delay > 0 && this.running) await this.nap.sleep(delay);
    }
  }
}
