import { WakeableSleep } from './wakeable-sleep.js';

/**
 * The loop of a background sync job (the backup and picture uploads, the content download): one step at a time, each
 * answering how long to wait before the next; a step that throws is handed to `onError`, which answers the wait. The
 * wait ends early at wake() (a new backup, a picture taken, a manifest) and at stop().
 */
export class StepLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly nap = new WakeableSleep();

  constructor(
    private readonly step: () => Promise<number>,
    private readonly onError: (err: unknown) => number,
  ) {}

  get active(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Ends the loop: no step starts after this call (an abort the caller makes right after it cannot start another);
   * resolves when the step under way has returned.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
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
