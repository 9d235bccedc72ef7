/**
 * Whether the box's clock can be trusted for recordings, from the clock-sync probe of health/clock-sync.ts (timedatectl
 * or systemd-timesyncd's marker): asked every 15 s until the clock is synchronised, then no more. A clock that cannot
 * be told (no systemd: containers, a development machine) is trusted, so recordings never wait on a question nobody
 * answers; once trusted it stays trusted (a sync lost later leaves a clock that was right, running on).
 */
import type { ClockTrust } from '../../broadcast/recording/schedule/ports.js';
import { probeClockSync, type ClockSync } from '../health/clock-sync.js';
import type { Logger } from '../core/log.js';

export interface ClockTrustWatchOptions {
  readonly log: Logger;
  readonly probe?: () => Promise<ClockSync>;
  readonly intervalMs?: number;
}

export class ClockTrustWatch implements ClockTrust {
  readonly name = 'recording-clock-trust';
  private value = false;
  private known = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(trusted: boolean) => void>();

  constructor(private readonly opts: ClockTrustWatchOptions) {}

  /** Asks once before returning, so the runner starts knowing. */
  async start(): Promise<void> {
    await this.check();
    if (!this.value) {
      this.timer = setInterval(() => void this.check(), this.opts.intervalMs ?? 15_000);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }

  trusted(): boolean {
    return this.value;
  }

  onChange(listener: (trusted: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async check(): Promise<void> {
    const sync = await (this.opts.probe ?? probeClockSync)().catch((): ClockSync => ({ source: 'unknown', synchronized: null }));
    const trusted = sync.synchronized !== false;
    const first = !this.known;
    this.known = true;
    if (!trusted) {
      if (first) this.opts.log.warn({ event: 'recording.clock_untrusted', source: sync.source }, 'the clock is not synchronised: scheduled recordings wait for it');
      return;
    }
    clearInterval(this.timer);
    if (this.value) return;
    this.value = true;
    if (!first) this.opts.log.info({ event: 'recording.clock_trusted', source: sync.source }, 'the clock is synchronised: scheduled recordings may start');
    for (const l of this.listeners) l(true);
  }
}
