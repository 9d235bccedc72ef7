/**
 * Issue #14 item 3: a jump of the wall clock (backwards or forwards by hours) neither raises nor clears an alarm by
 * itself. The real rule engine, the real alarm store on a real SQLite file, on virtual time: the monotonic clock
 * runs evenly (one reading a minute, ticks every 5 s) while the wall clock, which stamps the readings and the alarm
 * transitions, jumps.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventHub, type AlarmEvent } from '../../node-daemon/core/events.js';
import { createLogger } from '../../node-daemon/core/log.js';
import { TimeBase } from '../../node-daemon/core/time-base.js';
import type { Reading } from '../../node-daemon/core/types.js';
import { openDatabase, type Db } from '../../node-daemon/storage/database.js';
import { alarmSiteSchema, type AlarmSiteConfig } from '../../node-daemon/alarms/rules/schema.js';
import { EmittingAlarmService } from '../../node-daemon/alarms/store/alarm-service.js';
import { AlarmStore } from '../../node-daemon/alarms/store/alarm-store.js';
import { RuleEngine } from '../../node-daemon/alarms/engine/rule-engine.js';
import type { TickScheduler } from '../../node-daemon/alarms/engine/scheduler.js';

const MIN = 60_000;
const H = 60 * MIN;
const T0 = Date.UTC(2024, 6, 1, 0, 0);

class VirtualTime implements TickScheduler {
  mono = 0;
  private timers: { next: number; ms: number; fn: () => void }[] = [];
  every(ms: number, fn: () => void): () => void {
    const t = { next: this.mono + ms, ms, fn };
    this.timers.push(t);
    return () => {
      this.timers = this.timers.filter((x) => x !== t);
    };
  }
  advance(ms: number): void {
    const end = this.mono + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.next <= end).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      this.mono = due.next;
      due.next += due.ms;
      due.fn();
    }
    this.mono = end;
  }
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

const site: AlarmSiteConfig = alarmSiteSchema.parse({
  id: 'qingshui',
  sensors: ['up'],
  prepare: { levelM: 3, hysteresisM: 0.2, debounce: { samples: 2, durationMs: MIN }, onDelayMs: 2 * MIN, offDelayMs: 2 * MIN },
  evacuate: { levelM: 4, hysteresisM: 0.2, debounce: { samples: 2, durationMs: MIN } },
  rateOfRise: { windowMs: 30 * MIN, riseM: 1.5, raises: 'prepare', minSamples: 5 },
  faults: { commLostMs: 10 * MIN, jumpM: 2 },
});

/** A flood: calm, rising 0.1 m a minute, high, falling. One value a minute. */
const SCRIPT: readonly number[] = [
  ...Array.from({ length: 10 }, () => 2.0),
  ...Array.from({ length: 25 }, (_, i) => 2.0 + 0.1 * (i + 1)), // to 4.5
  ...Array.from({ length: 10 }, () => 4.5),
  ...Array.from({ length: 25 }, (_, i) => 4.5 - 0.1 * (i + 1)), // to 2.0
  ...Array.from({ length: 10 }, () => 2.0),
];

interface Run {
  readonly transitions: string[];
  readonly causes: { readingTs: number | undefined; wallOfReading: number | undefined }[];
  /** Every instant a cause's detail names (`… since 2026-…Z`), and whether it is a reading's wall-clock stamp. */
  readonly detailTimes: { iso: string; aReading: boolean }[];
  readonly db: Db;
}

/**
 * Runs SCRIPT through the engine; `jumps`: minute index → how far the wall clock jumps just before that reading.
 * `steady`: the engine runs on the time base (the fix); false: on the wall clock as before issue #14.
 */
async function runScript(jumps: ReadonlyMap<number, number>, steady = true): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-wall-jump-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const vt = new VirtualTime();
  let wallOffset = 0;
  const tb = new TimeBase({ wall: () => T0 + vt.mono + wallOffset, mono: () => vt.mono });
  const log = createLogger({ level: 'silent' });
  const { db } = openDatabase({ dataDir: dir, log, clock: tb.wall });
  cleanups.push(() => {
    if (db.open) db.close();
  });
  const hub = new EventHub();
  const alarms = new EmittingAlarmService({ store: new AlarmStore(db), hub, clock: tb.wall });
  const seen: AlarmEvent[] = [];
  hub.alarm$.subscribe((e) => seen.push(e));
  const engine = new RuleEngine({ sites: [site], db, alarms, hub, clock: tb.wall, log, tickMs: 5_000, scheduler: vt, ...(steady ? { timeBase: tb } : {}) });
  await engine.start();
  const wallOfReading = new Map<number, number>();
  for (const [i, value] of SCRIPT.entries()) {
    vt.advance(MIN - 1_000);
    wallOffset += jumps.get(i) ?? 0;
    vt.advance(1_000);
    const r: Reading = { sensorId: 'up', ts: tb.wall(), value: Math.round(value * 1000) / 1000, quality: 'good' };
    wallOfReading.set(r.ts, r.ts);
    hub.reading$.next(r);
  }
  vt.advance(15 * MIN); // ticks only: the off delays and the comm-lost timer run out
  await new Promise<void>((r) => setImmediate(r));
  await engine.stop();
  return {
    transitions: seen.map((e) => `${e.alarm.key} ${e.transition.type}:${e.transition.level ?? '-'} (${e.transition.cause.rule})`),
    detailTimes: seen.flatMap((e) => [...(e.transition.cause.detail ?? '').matchAll(/\d{4}-\d{2}-\d{2}T[\d:.]+Z/g)].map((m) => ({ iso: m[0], aReading: wallOfReading.has(Date.parse(m[0])) }))),
    causes: seen.filter((e) => e.transition.cause.readingTs !== undefined && e.transition.cause.rule?.startsWith('level')).map((e) => ({ readingTs: e.transition.cause.readingTs, wallOfReading: wallOfReading.get(e.transition.cause.readingTs!) })),
    db,
  };
}

describe('a wall-clock jump neither raises nor clears an alarm by itself (engine on the steady time base)', () => {
  it('the flood without any jump: prepare, evacuate, back down, cleared — and the sensor going quiet', async () => {
    const base = await runScript(new Map());
    expect(base.transitions.filter((t) => t.startsWith('flood'))).toEqual([
      'flood:qingshui raised:prepare (rate_of_rise)',
      'flood:qingshui escalated:evacuate (level.evacuate)',
      'flood:qingshui deescalated:prepare (level.evacuate)',
      'flood:qingshui cleared:prepare (level.prepare)',
    ]);
    // After the script the sensor is silent for 15 min: comm_lost, honestly.
    expect(base.transitions.filter((t) => t.startsWith('fault'))).toEqual(['fault:comm_lost:up raised:- (fault.comm_lost)']);
  });

  for (const [name, jumps] of [
    ['back 6 h while rising (before the debounce completes)', new Map([[21, -6 * H]])],
    ['forward 6 h while rising', new Map([[21, 6 * H]])],
    ['back 6 h while the evacuate alarm stands', new Map([[38, -6 * H]])],
    ['forward 6 h while the evacuate alarm stands', new Map([[38, 6 * H]])],
    ['forward 48 h (NTP after a boot in the past) while falling, then back 3 h', new Map([[50, 48 * H], [60, -3 * H]])],
    ['back and forth every few minutes', new Map([[5, -2 * H], [15, 4 * H], [25, -5 * H], [35, 9 * H], [45, -1 * H], [55, 3 * H], [65, -12 * H]])],
  ] as const) {
    it(`the same transitions with the wall clock jumping ${name}`, async () => {
      const base = await runScript(new Map());
      const jumped = await runScript(jumps);
      expect(jumped.transitions).toEqual(base.transitions);
      // Causes still name each reading by its wall-clock stamp, jumps and all.
      expect(jumped.causes.length).toBeGreaterThan(0);
      for (const c of jumped.causes) expect(c.readingTs).toBe(c.wallOfReading);
      // And so do the times the details name (a debounce's first sample, a stuck sensor's last change).
      expect(jumped.detailTimes.length).toBeGreaterThan(0);
      for (const d of jumped.detailTimes) expect(d, d.iso).toMatchObject({ aReading: true });
    });
  }

  it('(the same jumps on the wall clock alone, as before issue #14, do raise or hold alarms by themselves)', async () => {
    const base = await runScript(new Map(), false);
    const forward = await runScript(new Map([[38, 6 * H]]), false);
    const back = await runScript(new Map([[21, -6 * H]]), false);
    expect(forward.transitions).not.toEqual(base.transitions); // a tick 6 h "later": comm_lost, with readings arriving
    expect(back.transitions).not.toEqual(base.transitions); // the debounce window never completes
  });
});
