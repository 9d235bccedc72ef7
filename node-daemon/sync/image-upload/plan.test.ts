import { describe, expect, it } from 'vitest';
import { MIN_CHUNK_BYTES, READINGS_BEHIND_MS, REQUEST_OVERHEAD_BYTES, uploadGate, type UploadGateInput } from '../bulk/link-gate.js';
import { IMAGE_BATCH_LIMIT, IMAGE_BATCH_MAX, IMAGE_FULL_LIMIT, IMAGE_THUMB_LIMIT } from '../protocol/image-wire.js';
import { ANNOUNCEMENT_OVERHEAD, announceActionFor, announceGate, announcedBytes, chunkActionFor, formBatch, fullChunk, fullGate, PROBE_BYTES, sharedLimits, unsendable } from './plan.js';

const none = { records: 0, oldestAgeMs: null };
const idle = { alarm: none, health: none, readings: none, bulk: none };
const behind = { ...idle, readings: { records: 40, oldestAgeMs: READINGS_BEHIND_MS + 1 } };
const input = (over: Partial<UploadGateInput> = {}): UploadGateInput => ({ linkState: 'up', backlog: idle, budget: { dayBytes: 0, monthBytes: 0 }, limits: {}, ...over });
const pic = (id: number, linked: boolean, thumbBytes = 6_000): { id: number; linked: boolean; thumbBytes: number } => ({ id, linked, thumbBytes });

describe('the picture upload plan', () => {
  it('announces nothing while an alarm or health record waits, the link is not up, or over budget', () => {
    expect(announceGate(input({ linkState: 'backoff' }), true)).toEqual({ go: false, reason: 'no_link' });
    expect(announceGate(input({ linkState: 'over_budget' }), true)).toEqual({ go: false, reason: 'over_budget' });
    expect(announceGate(input({ backlog: { ...idle, alarm: { records: 1, oldestAgeMs: 3 } } }), true)).toEqual({ go: false, reason: 'alarms_waiting' });
    expect(announceGate(input({ backlog: { ...idle, health: { records: 1, oldestAgeMs: 3 } } }), true)).toEqual({ go: false, reason: 'health_waiting' });
    expect(announceGate(input({ limits: { dailyBytes: 10_000 }, budget: { dayBytes: 5_000, monthBytes: 0 } }), true)).toEqual({ go: false, reason: 'over_budget' });
    expect(announceGate(input(), false)).toEqual({ go: true, maxBytes: undefined, alarmOnly: false });
  });

  it('an alarm\'s pictures may pass a readings lane that is behind; the others wait like backups', () => {
    expect(announceGate(input({ backlog: behind }), false)).toEqual({ go: false, reason: 'readings_behind' });
    expect(announceGate(input({ backlog: behind }), true)).toEqual({ go: true, maxBytes: undefined, alarmOnly: true });
    const owed = [pic(9, true), pic(8, false), pic(3, true)];
    expect(formBatch(owed, { alarmOnly: true, maxBytes: undefined, max: IMAGE_BATCH_MAX }).map((p) => p.id)).toEqual([9, 3]);
    expect(formBatch(owed, { alarmOnly: false, maxBytes: undefined, max: IMAGE_BATCH_MAX }).map((p) => p.id)).toEqual([9, 8, 3]);
  });

  it('a backup waits while announcements are owed; the pictures do not wait for themselves', () => {
    expect(uploadGate({ ...input(), imagesWaiting: true })).toEqual({ go: false, reason: 'images_waiting' });
    expect(uploadGate({ ...input({ backlog: { ...idle, alarm: { records: 1, oldestAgeMs: 1 } } }), imagesWaiting: true })).toEqual({ go: false, reason: 'alarms_waiting' });
    expect(announceGate({ ...input(), imagesWaiting: true }, false).go).toBe(true);
  });

  it('keeps a batch near the target bytes of a slow link, but always takes the first picture', () => {
    const many = Array.from({ length: 20 }, (_, i) => pic(20 - i, false, 6_000));
    const each = announcedBytes(6_000);
    expect(formBatch(many, { alarmOnly: false, maxBytes: undefined, max: IMAGE_BATCH_MAX, targetBytes: 3 * each })).toHaveLength(3);
    expect(formBatch(many, { alarmOnly: false, maxBytes: undefined, max: IMAGE_BATCH_MAX, targetBytes: 10 }).map((p) => p.id)).toEqual([20]);
    // The budget's room is not soft.
    expect(formBatch(many, { alarmOnly: false, maxBytes: ANNOUNCEMENT_OVERHEAD + 10, max: IMAGE_BATCH_MAX, targetBytes: 10 })).toEqual([]);
  });

  it('forms batches of at most IMAGE_BATCH_MAX pictures, IMAGE_BATCH_LIMIT bytes and the budget\'s room, in the given order', () => {
    const many = Array.from({ length: 100 }, (_, i) => pic(100 - i, false, 1_000));
    expect(formBatch(many, { alarmOnly: false, maxBytes: undefined, max: IMAGE_BATCH_MAX })).toHaveLength(IMAGE_BATCH_MAX);
    expect(formBatch(many, { alarmOnly: false, maxBytes: undefined, max: 8 }).map((p) => p.id)).toEqual([100, 99, 98, 97, 96, 95, 94, 93]);
    const big = Array.from({ length: 40 }, (_, i) => pic(i + 1, false, 60_000));
    const byLimit = formBatch(big, { alarmOnly: false, maxBytes: undefined, max: IMAGE_BATCH_MAX });
    expect(byLimit.length).toBe(Math.floor(IMAGE_BATCH_LIMIT / announcedBytes(60_000)));
    expect(byLimit.length * announcedBytes(60_000)).toBeLessThanOrEqual(IMAGE_BATCH_LIMIT);
    const room = ANNOUNCEMENT_OVERHEAD + 3 * announcedBytes(6_000) + 10;
    expect(formBatch([pic(1, true), pic(2, true), pic(3, true), pic(4, true)], { alarmOnly: false, maxBytes: room, max: IMAGE_BATCH_MAX })).toHaveLength(3);
    expect(formBatch([pic(1, true, 60_000)], { alarmOnly: false, maxBytes: 20_000, max: IMAGE_BATCH_MAX })).toEqual([]);
  });

  it('full images go only within the share of the budget (no budget: always)', () => {
    expect(fullGate(input(), 0.5)).toEqual({ go: true, maxBytes: undefined });
    expect(sharedLimits({ dailyBytes: 1_000_000, monthlyBytes: 9_000_000 }, 0.5)).toEqual({ dailyBytes: 500_000, monthlyBytes: 4_500_000 });
    const limits = { dailyBytes: 1_000_000 };
    expect(fullGate(input({ limits, budget: { dayBytes: 100_000, monthBytes: 100_000 } }), 0.5)).toEqual({ go: true, maxBytes: 400_000 - REQUEST_OVERHEAD_BYTES });
    expect(fullGate(input({ limits, budget: { dayBytes: 499_000, monthBytes: 499_000 } }), 0.5)).toEqual({ go: false, reason: 'budget_share' });
    expect(fullGate(input({ limits: { monthlyBytes: 1_000_000 }, budget: { dayBytes: 0, monthBytes: 600_000 } }), 0.5)).toEqual({ go: false, reason: 'budget_share' });
    // Announcements still go there: the share is the full images' only.
    expect(announceGate(input({ limits, budget: { dayBytes: 600_000, monthBytes: 600_000 } }), false).go).toBe(true);
    expect(fullGate(input({ limits, budget: { dayBytes: 999_000, monthBytes: 0 } }), 0.5)).toEqual({ go: false, reason: 'over_budget' });
    expect(fullGate(input({ backlog: behind }), 1)).toEqual({ go: false, reason: 'readings_behind' });
    expect(fullGate(input({ limits, budget: { dayBytes: 0, monthBytes: 0 } }), 0)).toEqual({ go: false, reason: 'budget_share' });
  });

  it('chunks a full image from the hub\'s count; an unknown count is learnt with a small probe', () => {
    expect(fullChunk(100_000, 40_000, 32_768)).toEqual({ offset: 40_000, length: 32_768 });
    expect(fullChunk(100_000, 90_000, 32_768)).toEqual({ offset: 90_000, length: 10_000 });
    expect(fullChunk(100_000, undefined, 65_536)).toEqual({ offset: 0, length: PROBE_BYTES });
    expect(fullChunk(100, undefined, MIN_CHUNK_BYTES)).toEqual({ offset: 0, length: 100 });
  });

  it('does not announce what the hub would refuse', () => {
    expect(unsendable({ thumbBytes: 5_000, fullBytes: 200_000 })).toBeUndefined();
    expect(unsendable({ thumbBytes: IMAGE_THUMB_LIMIT + 1, fullBytes: 200_000 })).toMatch(/thumbnail/);
    expect(unsendable({ thumbBytes: 5_000, fullBytes: IMAGE_FULL_LIMIT + 1 })).toMatch(/larger/);
    expect(unsendable({ thumbBytes: 0, fullBytes: 1 })).toMatch(/empty/);
  });

  it('reads the hub\'s answers', () => {
    expect(announceActionFor({ status: 200 })).toEqual({ kind: 'announced' });
    expect(announceActionFor({ status: 404, code: 'not_found' })).toEqual({ kind: 'unsupported' });
    expect(announceActionFor({ status: 413 })).toEqual({ kind: 'shrink' });
    expect(announceActionFor({ status: 503, retryAfterS: 7 })).toMatchObject({ kind: 'retry', afterMs: 7_000 });
    expect(announceActionFor({ status: 0, message: 'reset' }).kind).toBe('retry');
    expect(chunkActionFor({ status: 200, received: 10, complete: true })).toEqual({ kind: 'acked', received: 10, complete: true });
    expect(chunkActionFor({ status: 409, code: 'offset_mismatch', received: 7 })).toEqual({ kind: 'acked', received: 7, complete: false });
    expect(chunkActionFor({ status: 422, code: 'sha256_mismatch', received: 0 })).toEqual({ kind: 'file_rejected' });
    expect(chunkActionFor({ status: 404, code: 'no_image' })).toEqual({ kind: 'announce_again' });
    expect(chunkActionFor({ status: 404, code: 'not_found' })).toEqual({ kind: 'unsupported' });
    expect(chunkActionFor({ status: 413 })).toEqual({ kind: 'shrink' });
    expect(chunkActionFor({ status: 400, code: 'digest_mismatch' }).kind).toBe('retry');
  });
});
