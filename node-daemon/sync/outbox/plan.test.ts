import { describe, expect, it } from 'vitest';
import { planRequest, type LanePending, type PendingRecord } from './plan.js';

/** `n` records of `bytes` each, seqs from `first` stepping by `step`. */
function recs(first: number, n: number, bytes: number, step = 1): PendingRecord[] {
  return Array.from({ length: n }, (_, i) => ({ seq: first + i * step, bytes }));
}

const counts = (plan: ReturnType<typeof planRequest>): Record<string, number> => Object.fromEntries(plan.lanes.map((l) => [l.lane, l.count]));

describe('planRequest', () => {
  it('fills the target from the top: an alarm raised while a week of readings waits goes in the next request, first', () => {
    const lanes: LanePending[] = [
      { lane: 'readings', records: recs(10, 1_000, 2_000) },
      { lane: 'alarm', records: recs(5_000, 1, 500) },
      { lane: 'health', records: recs(4_000, 2, 3_000) },
    ];
    const plan = planRequest({ lanes, targetBytes: 20_000, overBudget: false });
    expect(plan.lanes.map((l) => l.lane)).toEqual(['alarm', 'health', 'readings']);
    expect(counts(plan)).toEqual({ alarm: 1, health: 2, readings: 6 });
    expect(plan.bytes).toBe(500 + 6_000 + 12_000);
    expect(plan.bytes).toBeLessThanOrEqual(20_000);
    expect(plan.lanes.find((l) => l.lane === 'readings')?.lastSeq).toBe(15);
    expect(plan.heldBack).toEqual([]);
  });

  it('sends a prefix of each lane, never skipping a record; lower lanes may use the room left', () => {
    const lanes: LanePending[] = [
      { lane: 'readings', records: [{ seq: 1, bytes: 100 }, { seq: 2, bytes: 5_000 }, { seq: 3, bytes: 100 }] },
      { lane: 'bulk', records: recs(100, 10, 100) },
    ];
    const plan = planRequest({ lanes, targetBytes: 1_000, overBudget: false });
    expect(counts(plan)).toEqual({ readings: 1, bulk: 9 });
    expect(plan.bytes).toBe(1_000);
  });

  it('over budget only alarms go, all of them within the target, and the rest is held back', () => {
    const lanes: LanePending[] = [
      { lane: 'alarm', records: recs(1, 3, 600) },
      { lane: 'health', records: recs(10, 1, 100) },
      { lane: 'readings', records: recs(20, 5, 100) },
    ];
    const plan = planRequest({ lanes, targetBytes: 10_000, overBudget: true });
    expect(counts(plan)).toEqual({ alarm: 3 });
    expect(plan.heldBack).toEqual(['health', 'readings']);
  });

  it('a record larger than the target still goes alone, so it never stalls its lane', () => {
    expect(counts(planRequest({ lanes: [{ lane: 'readings', records: recs(1, 3, 50_000) }], targetBytes: 4_096, overBudget: false }))).toEqual({ readings: 1 });
    // ...but not beside other records: then it waits for the next request, where it is first.
    const plan = planRequest({ lanes: [{ lane: 'health', records: recs(1, 1, 1_000) }, { lane: 'readings', records: recs(5, 1, 50_000) }], targetBytes: 4_096, overBudget: false });
    expect(counts(plan)).toEqual({ health: 1 });
    expect(plan.heldBack).toEqual(['readings']);
  });

  it('always sends at least one alarm, even over budget with a target smaller than it', () => {
    const plan = planRequest({ lanes: [{ lane: 'alarm', records: recs(7, 2, 900) }], targetBytes: 100, overBudget: true });
    expect(counts(plan)).toEqual({ alarm: 1 });
    expect(plan.lanes[0]?.lastSeq).toBe(7);
  });

  it('plans nothing when nothing waits', () => {
    expect(planRequest({ lanes: [{ lane: 'alarm', records: [] }], targetBytes: 1_000, overBudget: false })).toEqual({ lanes: [], bytes: 0, records: 0, heldBack: [] });
  });
});
