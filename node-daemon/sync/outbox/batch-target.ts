/**
 * The adaptive batch byte target (docs/sync.md, "Link economy"). Pure.
 *
 * The target is the uncompressed JSON size a request is filled to (plan.ts). It grows by `growFactor` after a
 * request that used at least half of it and finished within `fastFraction` of the request timeout (the link has
 * room); it halves after a timeout, a reset connection or a 413 (the link or the hub could not take it); it
 * shrinks by a quarter after a request that succeeded but took more than `slowFraction` of the timeout (a near
 * miss); otherwise it stays. Always within [minBytes, maxBytes] (`sync.maxBatchBytes`).
 */

export interface BatchTargetOptions {
  /** Default 4 KiB: one alarm and a few batches even on the worst link. */
  readonly minBytes?: number;
  /** `sync.maxBatchBytes`; default 1 MiB. */
  readonly maxBytes?: number;
  /** Where a fresh box starts; default 64 KiB. */
  readonly initialBytes?: number;
  /** Default 1.5. */
  readonly growFactor?: number;
  /** A request that took at most this fraction of the timeout was fast; default 0.25. */
  readonly fastFraction?: number;
  /** A request that took more than this fraction of the timeout was a near miss; default 0.8. */
  readonly slowFraction?: number;
}

export const DEFAULT_BATCH_TARGET = { minBytes: 4_096, maxBytes: 1_048_576, initialBytes: 65_536, growFactor: 1.5, fastFraction: 0.25, slowFraction: 0.8 } as const;

export type BatchFailure = 'timeout' | 'reset' | 'too_large';

export interface BatchOutcome {
  readonly durationMs: number;
  readonly timeoutMs: number;
  /** Bytes of the request body before compression (what the target measures). */
  readonly sentBytes: number;
}

function bounds(opts: BatchTargetOptions): { min: number; max: number } {
  const min = Math.max(1, Math.floor(opts.minBytes ?? DEFAULT_BATCH_TARGET.minBytes));
  const max = Math.max(min, Math.floor(opts.maxBytes ?? DEFAULT_BATCH_TARGET.maxBytes));
  return { min, max };
}

function clamp(target: number, opts: BatchTargetOptions): number {
  const { min, max } = bounds(opts);
  return Math.min(max, Math.max(min, Math.floor(target)));
}

export function initialBatchTarget(opts: BatchTargetOptions = {}): number {
  return clamp(opts.initialBytes ?? DEFAULT_BATCH_TARGET.initialBytes, opts);
}

export function targetAfterSuccess(target: number, outcome: BatchOutcome, opts: BatchTargetOptions = {}): number {
  const fast = (opts.fastFraction ?? DEFAULT_BATCH_TARGET.fastFraction) * outcome.timeoutMs;
  const slow = (opts.slowFraction ?? DEFAULT_BATCH_TARGET.slowFraction) * outcome.timeoutMs;
  if (outcome.durationMs > slow) return clamp(target * 0.75, opts);
  // A small request that finished fast says nothing about what the link could carry.
  if (outcome.durationMs <= fast && outcome.sentBytes * 2 >= target) {
    return clamp(target * (opts.growFactor ?? DEFAULT_BATCH_TARGET.growFactor), opts);
  }
  return clamp(target, opts);
}

export function targetAfterFailure(target: number, _failure: BatchFailure, opts: BatchTargetOptions = {}): number {
  return clamp(target / 2, opts);
}
