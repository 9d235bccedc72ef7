import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type CircuitState } from './circuit-breaker.js';

function breaker(threshold = 3) {
  let now = 1_000_000;
  const changes: CircuitState[] = [];
  const b = new CircuitBreaker({
    failureThreshold: threshold,
    openMs: 1_000,
    maxOpenMs: 3_000,
    now: () => now,
    onStateChange: (s) => changes.push(s),
  });
  return { b, changes, advance: (ms: number) => (now += ms) };
}

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures; a success in between resets the count', () => {
    const { b, changes } = breaker(3);
    b.onFailure();
    b.onFailure();
    b.onSuccess();
    b.onFailure();
    b.onFailure();
    expect(b.state).toBe('closed');
    expect(b.acquire()).toBe('allow');
    b.onFailure();
    expect(b.state).toBe('open');
    expect(b.refusesNow()).toBe(true);
    expect(b.acquire()).toBe('reject');
    expect(changes).toEqual(['open']);
  });

  it('lets exactly one probe through after the open period; success closes it', () => {
    const { b, changes, advance } = breaker(1);
    b.onFailure();
    advance(999);
    expect(b.acquire()).toBe('reject');
    advance(1);
    expect(b.refusesNow()).toBe(false);
    expect(b.acquire()).toBe('probe');
    expect(b.acquire()).toBe('reject');
    expect(b.refusesNow()).toBe(true);
    b.onSuccess();
    expect(b.acquire()).toBe('allow');
    expect(changes).toEqual(['open', 'half_open', 'closed']);
  });

  it('doubles the open period after each failed probe, up to maxOpenMs, and resets it on success', () => {
    const { b, advance } = breaker(1);
    b.onFailure();
    const periods: number[] = [];
    for (let i = 0; i < 4; i++) {
      advance(b.currentOpenMs);
      expect(b.acquire()).toBe('probe');
      b.onFailure();
      periods.push(b.currentOpenMs);
    }
    expect(periods).toEqual([2_000, 3_000, 3_000, 3_000]);
    advance(2_999);
    expect(b.acquire()).toBe('reject');
    advance(1);
    expect(b.acquire()).toBe('probe');
    b.onSuccess();
    expect(b.currentOpenMs).toBe(1_000);
  });
});
