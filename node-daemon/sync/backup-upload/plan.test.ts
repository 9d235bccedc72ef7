import { describe, expect, it } from 'vitest';
import { identityRefusal } from '../protocol/backup-wire.js';
import { actionFor, chunkBytes, MIN_CHUNK_BYTES, nextChunk, progressFrom, retryDelayMs, uploadGate, withAcked } from './plan.js';

const none = { records: 0, oldestAgeMs: null };
const idle = { alarm: none, health: none, readings: none, bulk: none };
const gate = (over: Partial<Parameters<typeof uploadGate>[0]> = {}): ReturnType<typeof uploadGate> =>
  uploadGate({ linkState: 'up', backlog: idle, budget: { dayBytes: 0, monthBytes: 0 }, limits: {}, ...over });

describe('the backup upload plan', () => {
  it('resumes each file from the hub\'s count, in manifest order', () => {
    const files = progressFrom(
      [{ path: 'fenghuo.db', size: 100 }, { path: 'config/f.yaml', size: 10 }],
      [{ path: 'fenghuo.db', size: 100, received: 40 }, { path: 'other', size: 5, received: 5 }],
    );
    expect(files.map((f) => f.acked)).toEqual([40, 0]);
    expect(nextChunk(files, 1000)).toEqual({ path: 'fenghuo.db', offset: 40, length: 60 });
    const db = withAcked(files, 'fenghuo.db', 100);
    expect(nextChunk(db, 4)).toEqual({ path: 'config/f.yaml', offset: 0, length: 4 });
    expect(nextChunk(withAcked(db, 'config/f.yaml', 10), 4)).toBeUndefined();
  });

  it('goes only on an up link with nothing more urgent, within the budget', () => {
    expect(gate()).toEqual({ go: true, maxBytes: undefined });
    expect(gate({ linkState: 'backoff' })).toEqual({ go: false, reason: 'no_link' });
    expect(gate({ linkState: 'over_budget' })).toEqual({ go: false, reason: 'over_budget' });
    expect(gate({ backlog: { ...idle, alarm: { records: 1, oldestAgeMs: 5 } } })).toEqual({ go: false, reason: 'alarms_waiting' });
    expect(gate({ backlog: { ...idle, health: { records: 1, oldestAgeMs: 5 } } })).toEqual({ go: false, reason: 'health_waiting' });
    expect(gate({ backlog: { ...idle, readings: { records: 9, oldestAgeMs: 6 * 60_000 } } })).toEqual({ go: false, reason: 'readings_behind' });
    expect(gate({ limits: { dailyBytes: 100_000 }, budget: { dayBytes: 50_000, monthBytes: 0 } })).toEqual({ go: true, maxBytes: 50_000 - 2_048 });
    expect(gate({ limits: { dailyBytes: 100_000 }, budget: { dayBytes: 95_000, monthBytes: 0 } })).toEqual({ go: false, reason: 'over_budget' });
  });

  it('sizes a chunk by the measured rate, the budget and the 413 ceiling', () => {
    expect(chunkBytes({ rateBytesPerS: undefined, maxBytes: undefined, ceiling: 1 << 20 })).toBe(MIN_CHUNK_BYTES * 4);
    expect(chunkBytes({ rateBytesPerS: 4_000, maxBytes: undefined, ceiling: 1 << 20 })).toBe(40_000);
    expect(chunkBytes({ rateBytesPerS: 4_000, maxBytes: 20_000, ceiling: 1 << 20 })).toBe(20_000);
    expect(chunkBytes({ rateBytesPerS: 1e9, maxBytes: undefined, ceiling: 1 << 20 })).toBe(1 << 20);
  });

  it('reads the hub\'s answers', () => {
    expect(actionFor({ status: 200, received: 10, complete: true }, false)).toEqual({ kind: 'acked', received: 10, complete: true });
    expect(actionFor({ status: 409, code: 'offset_mismatch', received: 7 }, false)).toEqual({ kind: 'acked', received: 7, complete: false });
    expect(actionFor({ status: 422, code: 'sha256_mismatch', received: 0 }, false)).toEqual({ kind: 'file_rejected' });
    expect(actionFor({ status: 404, code: 'no_upload' }, false)).toEqual({ kind: 'reopen' });
    expect(actionFor({ status: 404, code: 'not_found' }, true)).toEqual({ kind: 'unsupported' });
    expect(actionFor({ status: 404, code: 'not_found' }, false).kind).toBe('retry');
    expect(actionFor({ status: 400, code: 'identity_in_clear' }, true).kind).toBe('refused');
    expect(actionFor({ status: 413, code: 'payload_too_large' }, true).kind).toBe('refused');
    expect(actionFor({ status: 413 }, false)).toEqual({ kind: 'shrink' });
    expect(actionFor({ status: 400, code: 'digest_mismatch' }, false).kind).toBe('retry');
    expect(actionFor({ status: 503, retryAfterS: 5 }, false)).toMatchObject({ kind: 'retry', afterMs: 5_000 });
    expect(actionFor({ status: 0, message: 'reset' }, false).kind).toBe('retry');
  });

  it('backs off with full jitter up to the ceiling', () => {
    expect(retryDelayMs(1, 2_000, 600_000, 0.5)).toBe(1_000);
    expect(retryDelayMs(3, 2_000, 600_000, 0.5)).toBe(4_000);
    expect(retryDelayMs(30, 2_000, 600_000, 0.999)).toBeLessThan(600_000);
    expect(retryDelayMs(1, 2_000, 600_000, 0)).toBe(500);
  });

  it('never lets an identity in clear go to the hub', () => {
    const enc = { identity: { state: 'encrypted', files: ['sync/box.key.enc'] }, files: [{ path: 'fenghuo.db' }, { path: 'sync/box.key.enc' }] };
    expect(identityRefusal(enc)).toBeUndefined();
    expect(identityRefusal({ identity: { state: 'none' }, files: [{ path: 'fenghuo.db' }] })).toBeUndefined();
    expect(identityRefusal({ identity: { state: 'none' }, files: [{ path: 'fenghuo.db' }, { path: 'sync/box.key' }] })).toMatch(/not encrypted/);
    expect(identityRefusal({ identity: { state: 'encrypted', files: ['sync/box.key'] }, files: [{ path: 'sync/box.key' }] })).toMatch(/not encrypted/);
    expect(identityRefusal({ identity: { state: 'clear' }, files: [] })).toMatch(/not one a backup may carry/);
  });
});
