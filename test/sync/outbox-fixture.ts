// A box with a week behind it, made by the real writers on a real SQLite file: readings through the ReadingsWriter
// (one change-log row per committed batch) and alarm transitions through the AlarmStore (one row each), in time
// order, with each batch committed at the time of its newest reading, as on a box polling live.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlarmStore } from '../../node-daemon/alarms/store/alarm-store.js';
import type { RaiseRequest } from '../../node-daemon/alarms/store/alarm-requests.js';
import { EventHub } from '../../node-daemon/core/events.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import type { Quality, Reading } from '../../node-daemon/core/types.js';
import { openDatabase, type Db } from '../../node-daemon/storage/database.js';
import { ReadingsWriter } from '../../node-daemon/storage/readings-writer.js';

export const T0 = Date.UTC(2025, 6, 1, 0, 0, 0);
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const SENSORS = ['dam', 'river', 'sea'] as const;
export const POLL_MS = 5 * 60_000;
export const BATCH = 64;

export interface TempBox {
  readonly dir: string;
  db: Db;
  reopen(): Db;
  cleanup(): void;
}

export function tempBox(): TempBox {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-sync-'));
  const box: TempBox = {
    dir,
    db: openDatabase({ dataDir: dir, log: silentLogger() }).db,
    reopen() {
      if (box.db.open) box.db.close();
      box.db = openDatabase({ dataDir: dir, log: silentLogger() }).db;
      return box.db;
    },
    cleanup() {
      if (box.db.open) box.db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return box;
}

/** A level that rises into a flood on day 2 and falls back; now and then a failed poll or an out-of-range value. */
export function reading(sensorId: string, ts: number, i: number): Reading {
  const quality: Quality = i % 97 === 13 ? 'comm_fail' : i % 211 === 7 ? 'out_of_range' : 'good';
  const base = sensorId === 'dam' ? 12 : sensorId === 'river' ? 2 : 0.5;
  const flood = Math.max(0, 6 - Math.abs(ts - (T0 + DAY + 12 * HOUR)) / HOUR) * 0.8;
  const value = quality === 'comm_fail' ? null : Math.round((base + flood + Math.sin(ts / 7_200_000) * 0.3 + (quality === 'out_of_range' ? 150 : 0)) * 1000) / 1000;
  return { sensorId, ts, value, quality };
}

export interface AlarmStep {
  readonly at: number;
  readonly apply: (alarms: AlarmStore, now: number) => void;
}

const flood = (level: 'prepare' | 'evacuate'): RaiseRequest => ({
  key: 'flood:qingshui',
  kind: 'flood',
  level,
  siteId: 'qingshui',
  sensorId: 'river',
  drill: false,
  title: level === 'evacuate' ? '清水河站 立即转移' : '清水河站 准备转移',
  cause: { rule: `level-${level}`, sensorId: 'river', value: level === 'evacuate' ? 6.1 : 4.2 },
});

/** The week's alarm transitions: a flood raised, escalated, acknowledged by a token, de-escalated and cleared; a fault. */
export const ALARM_STEPS: readonly AlarmStep[] = [
  { at: T0 + DAY + 8 * HOUR, apply: (a, now) => void a.raise(flood('prepare'), now) },
  { at: T0 + DAY + 10 * HOUR, apply: (a, now) => void a.raise(flood('evacuate'), now) },
  { at: T0 + DAY + 10 * HOUR + 300_000, apply: (a, now) => void a.acknowledge(a.findByKey('flood:qingshui')!.id, { account: 'token:county', by: '县长' }, '已通知', now) },
  { at: T0 + DAY + 15 * HOUR, apply: (a, now) => void a.raise(flood('prepare'), now) },
  { at: T0 + DAY + 18 * HOUR, apply: (a, now) => void a.clear({ key: 'flood:qingshui' }, { rule: 'level-clear', sensorId: 'river' }, now) },
  {
    at: T0 + 4 * DAY + 3 * HOUR,
    apply: (a, now) =>
      void a.raise({ key: 'fault:comm_lost:sea', kind: 'fault', level: null, sensorId: 'sea', drill: false, title: '海堤水位计 通讯中断', cause: { rule: 'comm_lost', sensorId: 'sea' } }, now),
  },
  { at: T0 + 4 * DAY + 5 * HOUR, apply: (a, now) => void a.clear({ key: 'fault:comm_lost:sea' }, { rule: 'comm_restored', sensorId: 'sea' }, now) },
];

export interface Week {
  readonly readings: number;
  readonly batches: number;
  readonly alarmTransitions: number;
  /** The time of the last reading. */
  readonly end: number;
}

/** Writes `days` of readings of every sensor every 5 minutes, and the alarm steps in that span, in time order. */
export async function writeWeek(db: Db, days = 7, from = T0): Promise<Week> {
  const hub = new EventHub();
  let now = from;
  const writer = new ReadingsWriter({ db, hub, log: silentLogger(), batchSize: BATCH, flushIntervalMs: 3_600_000, clock: () => now });
  await writer.start();
  const alarms = new AlarmStore(db);
  const steps = ALARM_STEPS.filter((s) => s.at >= from && s.at < from + days * DAY);
  let stepIndex = 0;
  let readings = 0;
  let batches = 0;
  hub.stored$.subscribe(() => void (batches += 1));
  const end = from + days * DAY - POLL_MS;
  for (let ts = from, i = 0; ts <= end; ts += POLL_MS, i++) {
    while (stepIndex < steps.length && steps[stepIndex]!.at <= ts) {
      const step = steps[stepIndex++]!;
      step.apply(alarms, step.at);
    }
    now = ts;
    for (const s of SENSORS) {
      hub.reading$.next(reading(s, ts, i));
      readings += 1;
    }
  }
  await writer.stop();
  return { readings, batches, alarmTransitions: stepIndex, end };
}
