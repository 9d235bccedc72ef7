import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { foldAlarm, type FoldTransition } from '../../hub/store/alarm-state.js';
import { seqDigest } from '../../hub/store/checksum.js';
import { planIngest } from '../../hub/store/ingest-plan.js';
import { stepSql, HUB_MIGRATIONS, pendingSteps, LATEST_VERSION } from '../../hub/store/migrations.js';
import { bucketRange, mergeBuckets } from '../../hub/store/readings-15m.js';
import type { SyncRecord } from '../../hub/store/types.js';
import { BUCKET, T0, ZERO } from './box-sim.js';

/* The dialect-free rules both stores share, on their own. */

const rec = (seq: number, kind: SyncRecord['kind'] = 'readings'): SyncRecord =>
  ({ seq, kind, ts: seq, payload: kind === 'readings' ? { readings: [] } : {} }) as SyncRecord;

describe('planIngest', () => {
  it('conflicts per lane, skips at or below the mark, dedups, and orders by lane priority then seq', () => {
    const plan = planIngest({ ...ZERO, readings: 5, health: 2 }, [
      { lane: 'readings', after: 5, records: [rec(4), rec(9), rec(7), rec(9)] },
      { lane: 'health', after: 3, records: [rec(8, 'health')] },
      { lane: 'alarm', after: 0, records: [rec(10, 'alarm')] },
      { lane: 'bulk', after: 0, records: [rec(7)] },
    ]);
    expect(plan.conflicts).toEqual(['health']);
    expect(plan.candidates.map((c) => `${c.lane}:${c.record.seq}`)).toEqual(['alarm:10', 'readings:7', 'readings:9']);
    // seq 4 is below the mark, the second 9 is a repeat, bulk's 7 is the same (seq, kind) as readings' 7.
    expect(plan.skipped).toBe(3);
    expect(plan.marks).toEqual({ alarm: 10, health: 2, readings: 9, bulk: 7 });
  });

  it('refuses a record its lane cannot carry, and a bad seq', () => {
    expect(() => planIngest(ZERO, [{ lane: 'alarm', after: 0, records: [rec(1, 'health')] }])).toThrow(/cannot carry/);
    expect(() => planIngest(ZERO, [{ lane: 'readings', after: 0, records: [rec(0)] }])).toThrow(/bad seq/);
  });

  it('v1 is never edited: its tables are as shipped', () => {
    expect(HUB_MIGRATIONS[0]?.sql.every((s) => typeof s === 'string')).toBe(true);
    expect(stepSql(HUB_MIGRATIONS[0] as (typeof HUB_MIGRATIONS)[number], 'sqlite').join('\n')).toContain('UNIQUE (box_id, seq, kind)');
  });
});

describe('foldAlarm', () => {
  const alarm = { id: 1, key: 'flood:a', kind: 'flood', siteId: 'a', drill: false, title: 'A 准备转移', raisedAt: 10 };
  const t = (transitionId: number, type: string, level: string | null, extra: Partial<FoldTransition> = {}): FoldTransition => ({
    transitionId,
    seq: transitionId * 10,
    ts: transitionId * 100,
    type,
    level,
    by: null,
    account: null,
    title: `t${transitionId}`,
    receivedAt: transitionId,
    ...extra,
  });

  it('folds in transition-id order whatever the input order; escalation re-activates; unknown types move only the level', () => {
    const s = foldAlarm(alarm, [t(3, 'escalated', 'evacuate'), t(1, 'raised', 'prepare'), t(2, 'acknowledged', 'prepare', { by: 'x' }), t(4, 'shelved', 'evacuate'), t(5, 'reminded', 'evacuate')]);
    expect(s).toMatchObject({ state: 'active', level: 'evacuate', acknowledgedAt: null, shelved: true, title: 't5', lastTransitionId: 5, lastSeq: 50, updatedAt: 500, siteId: 'a', sensorId: null });
    const c = foldAlarm(alarm, [t(1, 'raised', 'prepare'), t(2, 'deescalated', 'prepare'), t(3, 'acknowledged', 'prepare', { by: 'x', account: 'op' }), t(4, 'cleared', 'prepare')]);
    expect(c).toMatchObject({ state: 'cleared', clearedAt: 400, acknowledgedAt: 300, acknowledgedBy: 'x', acknowledgedByAccount: 'op' });
  });

  it('v1 is never edited: its tables are as shipped', () => {
    expect(HUB_MIGRATIONS[0]?.sql.every((s) => typeof s === 'string')).toBe(true);
    expect(stepSql(HUB_MIGRATIONS[0] as (typeof HUB_MIGRATIONS)[number], 'sqlite').join('\n')).toContain('UNIQUE (box_id, seq, kind)');
  });
});

describe('15-minute buckets', () => {
  it('merges parts by count and says where they came from', () => {
    const b = mergeBuckets(
      [
        { raw: true, bucket: BUCKET, min: 1, mean: 2, max: 3, count: 2 },
        { raw: false, bucket: BUCKET, min: 0, mean: 5, max: 9, count: 6 },
        { raw: false, bucket: 0, min: 1, mean: 1, max: 1, count: 1 },
        { raw: false, bucket: 2 * BUCKET, min: 1, mean: 1, max: 1, count: 0 },
      ],
      10,
    );
    expect(b).toEqual([
      { bucket: 0, min: 1, mean: 1, max: 1, count: 1, source: 'aggregates' },
      { bucket: BUCKET, min: 0, mean: (2 * 2 + 5 * 6) / 8, max: 9, count: 8, source: 'mixed' },
    ]);
  });

  it('answers whole buckets overlapping [from, to)', () => {
    expect(bucketRange({ boxId: 'b', sensorId: 's', from: T0 + 1, to: T0 + BUCKET + 1 })).toMatchObject({ from: T0, to: T0 + 2 * BUCKET });
    expect(bucketRange({ boxId: 'b', sensorId: 's', from: T0, to: T0 + BUCKET })).toMatchObject({ from: T0, to: T0 + BUCKET });
  });

  it('v1 is never edited: its tables are as shipped', () => {
    expect(HUB_MIGRATIONS[0]?.sql.every((s) => typeof s === 'string')).toBe(true);
    expect(stepSql(HUB_MIGRATIONS[0] as (typeof HUB_MIGRATIONS)[number], 'sqlite').join('\n')).toContain('UNIQUE (box_id, seq, kind)');
  });
});

describe('seqDigest', () => {
  it('is SHA-256 over the ascending distinct seqs, one per line', () => {
    expect(seqDigest([3, 1, 2, 2])).toBe(createHash('sha256').update('1\n2\n3\n').digest('hex'));
    expect(seqDigest([])).toBe(createHash('sha256').update('').digest('hex'));
    expect(seqDigest([1, 2, 4])).not.toBe(seqDigest([1, 3, 3]));
  });

  it('v1 is never edited: its tables are as shipped', () => {
    expect(HUB_MIGRATIONS[0]?.sql.every((s) => typeof s === 'string')).toBe(true);
    expect(stepSql(HUB_MIGRATIONS[0] as (typeof HUB_MIGRATIONS)[number], 'sqlite').join('\n')).toContain('UNIQUE (box_id, seq, kind)');
  });
});

describe('migrations', () => {
  it('are numbered 1..n, and differ between dialects only in the declared words or per-dialect statements', () => {
    expect(HUB_MIGRATIONS.map((s) => s.version)).toEqual(HUB_MIGRATIONS.map((_s, i) => i + 1));
    expect(pendingSteps(0)).toHaveLength(LATEST_VERSION);
    expect(pendingSteps(LATEST_VERSION)).toEqual([]);
    for (const step of HUB_MIGRATIONS) {
      // Statements given per dialect (tables SQLite rebuilds, PostgreSQL alters) are left out of the comparison.
      const shared = { ...step, sql: step.sql.filter((s) => typeof s === 'string') };
      const lite = stepSql(shared, 'sqlite');
      const pg = stepSql(shared, 'postgres');
      for (const sql of [...stepSql(step, 'sqlite'), ...stepSql(step, 'postgres')]) expect(sql).not.toMatch(/\{\w+\}/);
      for (const sql of [...lite, ...pg]) expect(sql).not.toMatch(/\{\w+\}/);
      const norm = (s: string): string => s.replace(/INTEGER PRIMARY KEY AUTOINCREMENT|BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY/g, 'ID').replace(/ WITHOUT ROWID/g, '');
      expect(lite.map(norm)).toEqual(pg.map(norm));
    }
  });

  it('v1 is never edited: its tables are as shipped', () => {
    expect(HUB_MIGRATIONS[0]?.sql.every((s) => typeof s === 'string')).toBe(true);
    expect(stepSql(HUB_MIGRATIONS[0] as (typeof HUB_MIGRATIONS)[number], 'sqlite').join('\n')).toContain('UNIQUE (box_id, seq, kind)');
  });
});
