import { describe, expect, it } from 'vitest';
import { checkManifest, contentGate, diffManifest, MAX_PIECE_BYTES, MIN_PIECE_BYTES, pieceBytes, REQUEST_OVERHEAD_BYTES, retryDelayMs, type ContentRow } from './plan.js';

const lane = (records = 0, oldestAgeMs: number | null = null) => ({ records, oldestAgeMs });
const idle = { alarm: lane(), health: lane(), readings: lane(), bulk: lane() };
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const row = (path: string, sha256: string, size = 1): ContentRow => ({
  path, sha256, size, title: null, mediaType: null, state: 'installed', bytesDone: size, installedAt: 1, failures: 0, lastError: null, retryAt: null, listedAt: 1,
});

describe('content plan', () => {
  it('content waits for alarms, health records and a readings lane that is behind, and for the budget', () => {
    const budget = { dayBytes: 0, monthBytes: 0 };
    expect(contentGate({ backlog: idle, budget, limits: {} })).toEqual({ go: true, maxBytes: undefined });
    expect(contentGate({ backlog: { ...idle, alarm: lane(1, 10) }, budget, limits: {} })).toEqual({ go: false, reason: 'alarms_waiting' });
    expect(contentGate({ backlog: { ...idle, health: lane(1, 10) }, budget, limits: {} })).toEqual({ go: false, reason: 'health_waiting' });
    expect(contentGate({ backlog: { ...idle, readings: lane(3, 60_000) }, budget, limits: {} }).go).toBe(true);
    expect(contentGate({ backlog: { ...idle, readings: lane(3, 10 * 60_000) }, budget, limits: {} })).toEqual({ go: false, reason: 'readings_behind' });
    // The bulk lane (raw debt the hub has as aggregates) does not hold content back.
    expect(contentGate({ backlog: { ...idle, bulk: lane(500, 86_400_000) }, budget, limits: {} }).go).toBe(true);
    expect(contentGate({ backlog: idle, budget: { dayBytes: 100_000, monthBytes: 100_000 }, limits: { dailyBytes: 200_000, monthlyBytes: 10_000_000 } })).toEqual({
      go: true,
      maxBytes: 100_000 - REQUEST_OVERHEAD_BYTES,
    });
    expect(contentGate({ backlog: idle, budget: { dayBytes: 0, monthBytes: 995_000 }, limits: { monthlyBytes: 1_000_000 } })).toEqual({ go: false, reason: 'over_budget' });
  });

  it('a piece takes about ten seconds at the last rate, within the budget and the file', () => {
    expect(pieceBytes({ remaining: 10_000_000, rateBytesPerS: undefined, maxBytes: undefined })).toBe(4 * MIN_PIECE_BYTES);
    expect(pieceBytes({ remaining: 10_000_000, rateBytesPerS: 8_000, maxBytes: undefined })).toBe(80_000);
    expect(pieceBytes({ remaining: 100_000_000, rateBytesPerS: 10_000_000, maxBytes: undefined })).toBe(MAX_PIECE_BYTES);
    expect(pieceBytes({ remaining: 10_000_000, rateBytesPerS: 100, maxBytes: undefined })).toBe(MIN_PIECE_BYTES);
    expect(pieceBytes({ remaining: 10_000_000, rateBytesPerS: 8_000, maxBytes: 20_000 })).toBe(20_000);
    expect(pieceBytes({ remaining: 5, rateBytesPerS: 8_000, maxBytes: undefined })).toBe(5);
    expect([1, 2, 3, 20].map(retryDelayMs)).toEqual([30_000, 60_000, 120_000, 3_600_000]);
  });

  it('a manifest must name each path once, none inside another or under .partial', () => {
    const f = (path: string) => ({ path, size: 1, sha256: A });
    expect(checkManifest([f('a/b.mp3'), f('a/c.mp3')])).toEqual({ ok: true });
    expect(checkManifest([f('a.mp3'), f('a.mp3')]).ok).toBe(false);
    expect(checkManifest([f('a'), f('a/b.mp3')]).ok).toBe(false);
    expect(checkManifest([f('.partial/x')]).ok).toBe(false);
  });

  it('a new manifest: changed and new paths fetched, same bytes kept, dropped paths removed', () => {
    const change = diffManifest([row('keep', A), row('change', A), row('drop', B)], [
      { path: 'keep', size: 1, sha256: A, title: 'new title' },
      { path: 'change', size: 1, sha256: B },
      { path: 'new', size: 1, sha256: B },
    ]);
    expect(change.keep.map((f) => f.path)).toEqual(['keep']);
    expect(change.fetch.map((f) => f.path)).toEqual(['change', 'new']);
    expect(change.remove.map((r) => r.path)).toEqual(['drop']);
  });
});
