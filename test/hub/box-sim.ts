import type {
  AggregateTuple,
  AlarmRecordAlarm,
  IngestLane,
  Lane,
  LaneMarks,
  ReadingTuple,
  RecordKind,
  SyncRecord,
} from '../../hub/store/types.js';
import { LANES } from '../../hub/store/types.js';

export const T0 = Date.UTC(2025, 9, 1, 0, 0, 0);
export const MIN = 60_000;
export const BUCKET = 15 * MIN;

export interface Sent {
  readonly lane: Lane;
  readonly record: SyncRecord;
}

/**
 * A township box's change log as the sync protocol sees it: records with one seq counter shared by all lanes,
 * reading ids and alarm transition ids of its own, each record put in its lane. Tests build requests from it the way
 * the box's outbox would (per lane, in seq order, after the lane's cursor).
 */
export class BoxSim {
  seq = 0;
  readingId = 0;
  transitionId = 0;
  alarmId = 0;
  readonly log: Sent[] = [];

  #push(lane: Lane, record: SyncRecord): SyncRecord {
    this.log.push({ lane, record });
    return record;
  }

  /** A readings batch of `n` readings of `sensorId`, `stepMs` apart from `start`; values from `value(i)`. */
  readings(
    n: number,
    opts: {
      sensorId?: string;
      start?: number;
      stepMs?: number;
      value?: (i: number) => number | null;
      quality?: (i: number) => string;
      lane?: 'readings' | 'bulk' | null;
    } = {},
  ): SyncRecord & { kind: 'readings' } {
    const sensorId = opts.sensorId ?? 's1';
    const start = opts.start ?? T0;
    const step = opts.stepMs ?? MIN;
    const readings: ReadingTuple[] = [];
    for (let i = 0; i < n; i += 1) {
      this.readingId += 1;
      readings.push([this.readingId, sensorId, start + i * step, opts.value ? opts.value(i) : 1 + i / 100, opts.quality ? opts.quality(i) : 'good']);
    }
    this.seq += 1;
    const record = { seq: this.seq, kind: 'readings' as const, ts: start + n * step, payload: { readings } };
    if (opts.lane !== null) this.#push(opts.lane ?? 'readings', record);
    return record;
  }

  /**
   * A batch that goes as aggregates first (readings lane) with its raw readings owed on the bulk lane (same seq):
   * returns both; the raw one is only logged (sent) when `payDebt` is called.
   */
  debtBatch(n: number, opts: Parameters<BoxSim['readings']>[1] = {}): { aggregates: SyncRecord; raw: SyncRecord } {
    const raw = this.readings(n, { ...opts, lane: null });
    const aggregates: SyncRecord = { seq: raw.seq, kind: 'aggregates', ts: raw.ts, payload: { aggregates: fold(raw.payload.readings) } };
    this.#push('readings', aggregates);
    return { aggregates, raw };
  }

  payDebt(raw: SyncRecord): void {
    this.#push('bulk', raw);
  }

  newAlarm(over: Partial<AlarmRecordAlarm> = {}): AlarmRecordAlarm {
    this.alarmId += 1;
    return {
      id: this.alarmId,
      key: `flood:site-${this.alarmId}`,
      kind: 'flood',
      siteId: `site-${this.alarmId}`,
      sensorId: 's1',
      drill: false,
      title: `站${this.alarmId} 准备转移`,
      raisedAt: T0 + this.alarmId * MIN,
      ...over,
    };
  }

  transition(alarm: AlarmRecordAlarm, type: string, level: string | null, ts = T0 + this.seq * MIN, extra: { by?: string; account?: string; note?: string; title?: string } = {}): SyncRecord {
    this.transitionId += 1;
    this.seq += 1;
    return this.#push('alarm', {
      seq: this.seq,
      kind: 'alarm',
      ts,
      payload: {
        alarm: { ...alarm, title: extra.title ?? alarm.title },
        transition: {
          id: this.transitionId,
          ts,
          type,
          level,
          by: extra.by ?? null,
          account: extra.account ?? null,
          note: extra.note ?? null,
          cause: { rule: 'threshold', sensorId: alarm.sensorId ?? undefined },
        },
      },
    });
  }

  /** An alarm record whose rows the box lost: only the change-log reference, `missing: true`. */
  missingAlarm(alarmId: number, type = 'raised'): SyncRecord {
    this.transitionId += 1;
    this.seq += 1;
    return this.#push('alarm', {
      seq: this.seq,
      kind: 'alarm',
      ts: T0 + this.seq * MIN,
      payload: { alarmId, transitionId: this.transitionId, type, missing: true },
    });
  }

  /** A readings batch retention thinned: `kept` readings sent, `missing` gone (lane `readings`). */
  partialReadings(kept: number, missing: number): SyncRecord {
    const r = this.readings(kept, { lane: null, start: T0 + this.seq * MIN });
    this.readingId += missing;
    return this.#push('readings', { ...r, payload: { ...r.payload, missing } });
  }

  /** A batch folded to aggregates with `missing` readings gone before the fold (lane `readings`, no raw debt). */
  partialAggregates(kept: number, missing: number): SyncRecord {
    const r = this.readings(kept, { lane: null, start: T0 + this.seq * MIN });
    this.readingId += missing;
    return this.#push('readings', { seq: r.seq, kind: 'aggregates', ts: r.ts, payload: { aggregates: fold(r.payload.readings), missing } });
  }

  health(body: Record<string, unknown> = {}): SyncRecord {
    this.seq += 1;
    return this.#push('health', { seq: this.seq, kind: 'health', ts: T0 + this.seq * MIN, payload: { status: 'ok', ...body } });
  }

  /** A `recording` record (health lane) as the box's recordings store writes one (node-daemon/recording/recording-record.ts). */
  recording(payload: Record<string, unknown>, ts = T0 + (this.seq + 1) * MIN): SyncRecord {
    this.seq += 1;
    return this.#push('health', { seq: this.seq, kind: 'recording', ts, payload } as SyncRecord);
  }

  audit(section = 'alarms'): SyncRecord {
    this.seq += 1;
    return this.#push('health', {
      seq: this.seq,
      kind: 'audit',
      ts: T0 + this.seq * MIN,
      payload: { section, by: '县长', account: 'admin', before: { a: 1 }, after: { a: 2 } },
    });
  }

  /** A mixed log of `n` records, chosen by `rng`: mostly readings, some alarms, health, audit and debt batches. */
  mixed(n: number, rng: () => number): void {
    const alarms: AlarmRecordAlarm[] = [];
    const debts: SyncRecord[] = [];
    for (let i = 0; i < n; i += 1) {
      const x = rng();
      if (x < 0.55) this.readings(1 + Math.floor(rng() * 40), { sensorId: rng() < 0.5 ? 's1' : 's2', start: T0 + this.seq * MIN });
      else if (x < 0.65) {
        const d = this.debtBatch(1 + Math.floor(rng() * 30), { start: T0 + this.seq * MIN, sensorId: 's2' });
        debts.push(d.raw);
      } else if (x < 0.75 && debts.length > 0) this.payDebt(debts.shift() as SyncRecord);
      else if (x < 0.85) {
        const open = alarms.length > 0 && rng() < 0.6 ? alarms[Math.floor(rng() * alarms.length)] : undefined;
        if (open === undefined) {
          const a = this.newAlarm();
          alarms.push(a);
          this.transition(a, 'raised', 'prepare');
        } else {
          this.transition(open, rng() < 0.5 ? 'escalated' : 'acknowledged', 'evacuate');
        }
      } else if (x < 0.95) this.health({ n: i });
      else this.audit();
    }
    for (const d of debts) this.payDebt(d);
  }

  /** The lane's records in seq order. */
  lane(lane: Lane): SyncRecord[] {
    return this.log.filter((s) => s.lane === lane).map((s) => s.record).sort((a, b) => a.seq - b.seq);
  }

  /** A request as the outbox builds it: every lane, records after the cursor, at most `perLane` each. */
  request(cursor: LaneMarks, perLane: number | Partial<Record<Lane, number>>): IngestLane[] {
    return LANES.map((lane) => {
      const max = typeof perLane === 'number' ? perLane : (perLane[lane] ?? 0);
      return { lane, after: cursor[lane], records: this.lane(lane).filter((r) => r.seq > cursor[lane]).slice(0, max) };
    }).filter((l) => l.records.length > 0 || l.after > 0);
  }

  /** The highest seq per lane: what the hub's marks must be once it holds everything. */
  finalMarks(): LaneMarks {
    const m = { alarm: 0, health: 0, readings: 0, bulk: 0 };
    for (const s of this.log) m[s.lane] = Math.max(m[s.lane], s.record.seq);
    return m;
  }

  /** The distinct seqs of one kind the box sent. */
  seqsOf(kind: RecordKind): number[] {
    return [...new Set(this.log.filter((s) => s.record.kind === kind).map((s) => s.record.seq))].sort((a, b) => a - b);
  }

  /** Every raw reading id the box sent on readings or bulk. */
  readingIds(): number[] {
    const ids: number[] = [];
    for (const s of this.log) if (s.record.kind === 'readings') for (const r of s.record.payload.readings) ids.push(r[0]);
    return [...new Set(ids)];
  }
}

/** The box's aggregateRows: good readings with a value, per (sensor, 15-minute bucket). */
export function fold(readings: readonly ReadingTuple[]): AggregateTuple[] {
  const acc = new Map<string, { sensorId: string; bucket: number; min: number; max: number; sum: number; count: number }>();
  for (const [, sensorId, ts, value, quality] of readings) {
    if (quality !== 'good' || value === null) continue;
    const bucket = Math.floor(ts / BUCKET) * BUCKET;
    const key = `${sensorId}@${bucket}`;
    const a = acc.get(key);
    if (a === undefined) acc.set(key, { sensorId, bucket, min: value, max: value, sum: value, count: 1 });
    else {
      a.min = Math.min(a.min, value);
      a.max = Math.max(a.max, value);
      a.sum += value;
      a.count += 1;
    }
  }
  return [...acc.values()].map((a) => [a.sensorId, a.bucket, a.min, a.sum / a.count, a.max, a.count] as const);
}

export const ZERO: LaneMarks = { alarm: 0, health: 0, readings: 0, bulk: 0 };
