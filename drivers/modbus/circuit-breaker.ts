export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. */
  readonly failureThreshold: number;
  /** First open period; doubled after each failed re-probe, up to maxOpenMs. */
  readonly openMs: number;
  readonly maxOpenMs: number;
  /** Milliseconds on a clock that never jumps (the open period is a duration). */
  readonly now: () => number;
  readonly onStateChange?: (state: CircuitState) => void;
}

/** What the bus may do with a request for this slave right now. */
export type BreakerDecision = 'allow' | 'probe' | 'reject';

/**
 * Per-slave circuit breaker. Closed: every request goes on the wire. After `failureThreshold` consecutive
 * failures it opens: requests are refused without wire time. When the open period has passed, exactly one
 * request is let through as a probe (half-open): success closes the breaker, failure re-opens it for twice
 * as long (capped). Pure: time comes from the injected clock.
 */
export class CircuitBreaker {
  private stateNow: CircuitState = 'closed';
  private failures = 0;
  private openPeriodMs: number;
  private openedAt = 0;

  constructor(private readonly opts: CircuitBreakerOptions) {
    this.openPeriodMs = opts.openMs;
  }

  get state(): CircuitState {
    return this.stateNow;
  }

  /** The current open period (what the next re-open would last is twice this, capped). */
  get currentOpenMs(): number {
    return this.openPeriodMs;
  }

  /** Whether a new request would be refused now, without changing state (used when a request is queued). */
  refusesNow(): boolean {
    if (this.stateNow === 'half_open') return true;
    return this.stateNow === 'open' && this.opts.now() < this.openedAt + this.openPeriodMs;
  }

  /** Called when a request is about to go on the wire; a `probe` moves the breaker to half-open. */
  acquire(): BreakerDecision {
    switch (this.stateNow) {
      case 'closed':
        return 'allow';
      case 'half_open':
        return 'reject';
      case 'open':
        if (this.opts.now() < this.openedAt + this.openPeriodMs) return 'reject';
        this.set('half_open');
        return 'probe';
    }
  }

  /** The open period ends now: the next request is the re-probe (the line came back, so try the slave at once). */
  probeNow(): void {
    if (this.stateNow === 'open') this.openedAt = this.opts.now() - this.openPeriodMs;
  }

  /** The slave answered (a Modbus exception counts: the slave is alive). */
  onSuccess(): void {
    this.failures = 0;
    this.openPeriodMs = this.opts.openMs;
    if (this.stateNow !== 'closed') this.set('closed');
  }

  /** The slave did not answer, or answered garbage. */
  onFailure(): void {
    if (this.stateNow === 'half_open') {
      this.openPeriodMs = Math.max(this.opts.openMs, Math.min(this.openPeriodMs * 2, this.opts.maxOpenMs));
      this.open();
      return;
    }
    if (this.stateNow === 'open') return;
    this.failures++;
    if (this.failures >= this.opts.failureThreshold) {
      this.openPeriodMs = this.opts.openMs;
      this.open();
    }
  }

  private open(): void {
    this.openedAt = this.opts.now();
    this.failures = 0;
    this.set('open');
  }

  private set(state: CircuitState): void {
    this.stateNow = state;
    this.opts.onStateChange?.(state);
  }
}
