import { describe, expect, it } from 'vitest';
import { DEFAULT_BATCH_TARGET, initialBatchTarget, targetAfterFailure, targetAfterSuccess, type BatchTargetOptions } from './batch-target.js';

describe('batch target', () => {
  const opts: BatchTargetOptions = { minBytes: 4_096, maxBytes: 1_048_576, initialBytes: 65_536 };

  it('grows after a full request that finished well inside the timeout, up to maxBytes', () => {
    let t = initialBatchTarget(opts);
    expect(t).toBe(65_536);
    t = targetAfterSuccess(t, { durationMs: 1_000, timeoutMs: 30_000, sentBytes: t }, opts);
    expect(t).toBe(98_304);
    for (let i = 0; i < 20; i++) t = targetAfterSuccess(t, { durationMs: 1_000, timeoutMs: 30_000, sentBytes: t }, opts);
    expect(t).toBe(1_048_576);
  });

  it('does not grow on a small request, nor on one that took a while; shrinks after a near miss', () => {
    expect(targetAfterSuccess(65_536, { durationMs: 100, timeoutMs: 30_000, sentBytes: 1_000 }, opts)).toBe(65_536);
    expect(targetAfterSuccess(65_536, { durationMs: 10_000, timeoutMs: 30_000, sentBytes: 65_536 }, opts)).toBe(65_536);
    expect(targetAfterSuccess(65_536, { durationMs: 25_000, timeoutMs: 30_000, sentBytes: 65_536 }, opts)).toBe(49_152);
  });

  it('halves after a timeout, a reset or a 413, down to minBytes', () => {
    expect(targetAfterFailure(65_536, 'timeout', opts)).toBe(32_768);
    expect(targetAfterFailure(65_536, 'reset', opts)).toBe(32_768);
    expect(targetAfterFailure(65_536, 'too_large', opts)).toBe(32_768);
    let t = 65_536;
    for (let i = 0; i < 10; i++) t = targetAfterFailure(t, 'timeout', opts);
    expect(t).toBe(4_096);
  });

  it('settles below what a slow link carries within the timeout (virtual time)', () => {
    // A GPRS-class link: 2 KB/s after compression at 4:1, so 8 KB/s of JSON; 30 s timeout, so 240 KB at most.
    const jsonBytesPerS = 8_000;
    const timeoutMs = 30_000;
    let t = initialBatchTarget(opts);
    const seen: number[] = [];
    for (let i = 0; i < 200; i++) {
      const durationMs = (t / jsonBytesPerS) * 1_000 + 300;
      t = durationMs > timeoutMs ? targetAfterFailure(t, 'timeout', opts) : targetAfterSuccess(t, { durationMs, timeoutMs, sentBytes: t }, opts);
      seen.push(t);
    }
    const late = seen.slice(100);
    expect(Math.max(...late)).toBeLessThanOrEqual(240_000 * 1.5);
    expect(Math.min(...late)).toBeGreaterThanOrEqual(30_000);
    // Mostly it stays where requests succeed.
    const succeeding = late.filter((x) => (x / jsonBytesPerS) * 1_000 + 300 <= timeoutMs).length;
    expect(succeeding / late.length).toBeGreaterThan(0.9);
  });

  it('keeps any bounds it is given sane', () => {
    expect(initialBatchTarget({ minBytes: 10_000, maxBytes: 5_000 })).toBe(10_000);
    expect(initialBatchTarget()).toBe(DEFAULT_BATCH_TARGET.initialBytes);
  });
});
