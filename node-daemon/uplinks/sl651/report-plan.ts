import { FN, type ElementValue, type ObservationGroup } from './codec/model.js';
import type { Sl651CentreConfig, Sl651LevelConfig } from './config-schema.js';
import type { PlannedReport } from './report-types.js';
import { QUALITY_CODE } from '../../storage/quality-codes.js';

/**
 * Which SL 651 reports one centre is owed (加报, 定时报, 小时报), from the box's stored readings. Pure: the readings,
 * the time and two lookups come in; the reports and the next state go out. The state is plain JSON: the outbox
 * (outbox-store.ts) saves it with the queued reports in one transaction, so a restart between two calls changes
 * nothing (the planner picks up exactly where the saved state says).
 *
 * - 加报: a good reading of a mapped level that crosses a threshold (either way, against the sensor's previous good
 *   reading) or moved more than `stepM` from the element's last reported value. Observed at the reading's minute.
 * - 定时报 / 小时报: at each mark of the station's local clock, once a reading at or after the mark arrived from every
 *   mapped level sensor, or the mark is `settleMs` old. Marks missed (the box was off) are planned back to
 *   `backfillHours`; a mark whose every element is missing is skipped (nothing to say, and no noise).
 * - Readings taken on an untrusted clock (`marked`) stop the cursor: neither they nor anything after them is used
 *   until they are corrected, and no mark is planned on the settle time meanwhile (now may be untrusted too).
 */

export interface PlannerReading {
  readonly id: number;
  readonly sensorId: string;
  /** UTC ms. */
  readonly ts: number;
  /** Metres, null when none. */
  readonly value: number | null;
  /** storage/quality-codes.ts */
  readonly quality: number;
  /** Taken on an untrusted clock and not yet corrected. */
  readonly marked: boolean;
}

export interface RainTotalsMm {
  readonly h1: number;
  readonly h3: number;
  readonly h6: number;
}

export interface PlannerPorts {
  /** The newest good reading of the sensor at or before `atMs` and no older than `maxAgeMs`, else null. */
  levelAt(sensorId: string, atMs: number, maxAgeMs: number): number | null;
  /** The site's rain totals at `atMs`, null when unknown. */
  rainAt(siteId: string, atMs: number): RainTotalsMm | null;
}

export interface PlannerOptions {
  /** A mark is planned this long after it even if no reading at or after it arrived (default 60 s). */
  readonly settleMs?: number;
  /** How old a level may be and still be a mark's value (default twice the timed interval). */
  readonly maxAgeMs?: number;
}

export interface LastGood {
  readonly value: number;
  readonly ts: number;
}

/** What the planner keeps between calls (JSON: numbers, nulls and plain objects only). */
export interface Sl651PlannerState {
  readonly version: 1;
  /** The highest reading id consumed. */
  readonly cursor: number;
  /** The next 定时报 mark (UTC ms) not planned yet; null: from the backfill limit. */
  readonly nextTimed: number | null;
  /** The next 小时报 hour (UTC ms) not planned yet; null: from the backfill limit. */
  readonly nextHourly: number | null;
  /** Per mapped sensor: its last good reading (for crossings and the other levels of a 加报). */
  readonly lastGood: Readonly<Record<string, LastGood>>;
  /** Per mapped sensor: the newest `ts` of any reading consumed (whether a mark's readings have arrived). */
  readonly seenTs: Readonly<Record<string, number>>;
  /** Per level element ('39'…): the value last reported (for `stepM`). */
  readonly lastReported: Readonly<Record<string, number>>;
}

export interface PlanInput {
  readonly config: Sl651CentreConfig;
  readonly state: Sl651PlannerState;
  /** UTC ms. */
  readonly now: number;
  /** Readings after `state.cursor`, in id order. */
  readonly readings: readonly PlannerReading[];
  /** More readings wait after these (the batch was cut): marks wait for them rather than the settle time. */
  readonly more?: boolean;
  readonly ports: PlannerPorts;
  readonly options?: PlannerOptions;
}

export interface PlanResult {
  readonly reports: PlannedReport[];
  readonly next: Sl651PlannerState;
  /** A marked reading stopped the cursor. */
  readonly held: boolean;
}

export const DEFAULT_SETTLE_MS = 60_000;
/** N(7,3): 4 bytes, 3 decimals. */
export const LEVEL_DEFINITION = 0x23;
/** N(5,1): 3 bytes, 1 decimal. */
export const RAIN_DEFINITION = 0x19;
/** F5..FC: twelve 2-byte values, 24 bytes, no decimals. */
export const FIVE_MINUTE_DEFINITION = 0xc0;

const MINUTE = 60_000;
const HOUR = 3_600_000;
const FIVE_MINUTES = 5 * MINUTE;
/** 4 BCD bytes, FF-prefixed when negative: 3 bytes (6 digits) left for the magnitude. */
const LEVEL_MAX = 9999.999;
const LEVEL_MIN = -999.999;
const RAIN_MAX = 9999.9;
/** FFFF means missing. */
const FIVE_MINUTE_MAX_CM = 0xfffe;

export function initialPlannerState(cursor: number): Sl651PlannerState {
  return { version: 1, cursor, nextTimed: null, nextHourly: null, lastGood: {}, seenTs: {}, lastReported: {} };
}

/** A saved state read back, or undefined when it is not one (then start afresh from the saved cursor). */
export function parsePlannerState(value: unknown): Sl651PlannerState | undefined {
  if (!isObject(value) || value.version !== 1) return undefined;
  const { cursor, nextTimed, nextHourly, lastGood, seenTs, lastReported } = value;
  if (!isWhole(cursor) || !isMark(nextTimed) || !isMark(nextHourly)) return undefined;
  if (!isRecordOf(seenTs, isFiniteNumber) || !isRecordOf(lastReported, isFiniteNumber) || !isRecordOf(lastGood, isLastGood)) return undefined;
  return { version: 1, cursor, nextTimed, nextHourly, lastGood, seenTs, lastReported };
}

/** The first mark of `stepMs` on the local clock at or after `t` (marks aligned to local midnight). */
export function markAtOrAfter(t: number, stepMs: number, utcOffsetMinutes: number): number {
  const off = utcOffsetMinutes * MINUTE;
  return Math.ceil((t + off) / stepMs) * stepMs - off;
}

export function elementId(hex: string): number {
  return parseInt(hex, 16);
}

/** The identifier carrying level `index`'s twelve 5-minute values in a 小时报. */
export function fiveMinuteId(level: Sl651LevelConfig, index: number): number {
  return level.fiveMinute === undefined ? 0xf5 + index : elementId(level.fiveMinute);
}

export function planReports(input: PlanInput): PlanResult {
  return new Planning(input).run();
}

class Planning {
  private readonly config: Sl651CentreConfig;
  private readonly now: number;
  private readonly ports: PlannerPorts;
  private readonly settleMs: number;
  private readonly maxAgeMs: number;
  private readonly intervalMs: number;
  /** Marks and readings older than this are past the backfill limit. */
  private readonly floor: number;
  private readonly sensors: ReadonlySet<string>;

  private cursor: number;
  private nextTimed: number;
  private nextHourly: number;
  private readonly lastGood = new Map<string, LastGood>();
  private readonly seenTs = new Map<string, number>();
  private readonly lastReported = new Map<string, number>();
  private readonly reports: PlannedReport[] = [];

  constructor(private readonly input: PlanInput) {
    const { config, state, now } = input;
    this.config = config;
    this.now = now;
    this.ports = input.ports;
    this.settleMs = input.options?.settleMs ?? DEFAULT_SETTLE_MS;
    this.intervalMs = config.timedIntervalMin * MINUTE;
    this.maxAgeMs = input.options?.maxAgeMs ?? 2 * this.intervalMs;
    this.floor = now - config.backfillHours * HOUR - this.settleMs;
    this.sensors = new Set(config.levels.map((l) => l.sensor));
    this.cursor = state.cursor;
    const off = config.utcOffsetMinutes;
    this.nextTimed = markAtOrAfter(Math.max(state.nextTimed ?? this.floor, this.floor), this.intervalMs, off);
    // While 小时报 is off its hour keeps up with the clock, so turning it on does not report the past.
    this.nextHourly = config.hourly
      ? markAtOrAfter(Math.max(state.nextHourly ?? this.floor, this.floor), HOUR, off)
      : markAtOrAfter(Math.max(state.nextHourly ?? now, now - this.settleMs), HOUR, off);
    // Only what the config still maps is kept: a sensor or element dropped from it leaves the state.
    for (const s of this.sensors) {
      const g = own(state.lastGood, s);
      if (g !== undefined) this.lastGood.set(s, g);
      const t = own(state.seenTs, s);
      if (t !== undefined) this.seenTs.set(s, t);
    }
    for (const l of config.levels) {
      const v = own(state.lastReported, l.element);
      if (v !== undefined) this.lastReported.set(l.element, v);
    }
  }

  run(): PlanResult {
    let held = false;
    for (const r of this.input.readings) {
      if (r.marked) {
        held = true;
        break;
      }
      this.consume(r);
      this.cursor = Math.max(this.cursor, r.id);
    }
    this.planMarks(!held && this.input.more !== true);
    return { reports: this.reports, next: this.state(), held };
  }

  private consume(r: PlannerReading): void {
    if (!this.sensors.has(r.sensorId)) return;
    this.seenTs.set(r.sensorId, Math.max(this.seenTs.get(r.sensorId) ?? -Infinity, r.ts));
    // Marks this reading completes come first: they are before it in time.
    this.planMarks(false);
    if (r.quality !== QUALITY_CODE.good || r.value === null || !Number.isFinite(r.value)) return;
    const prev = this.lastGood.get(r.sensorId);
    const reasons: string[] = [];
    for (const level of this.config.levels) {
      if (level.sensor !== r.sensorId) continue;
      const why = this.trigger(level, prev?.value, r.value);
      if (why !== undefined) reasons.push(why);
    }
    this.lastGood.set(r.sensorId, { value: r.value, ts: r.ts });
    if (reasons.length > 0 && r.ts >= this.floor) this.added(r, reasons.join('; '));
  }

  private trigger(level: Sl651LevelConfig, prev: number | undefined, value: number): string | undefined {
    const parts: string[] = [];
    if (prev !== undefined) {
      const up = level.thresholdsM.filter((t) => prev < t && value >= t).sort((a, b) => a - b);
      const down = level.thresholdsM.filter((t) => prev >= t && value < t).sort((a, b) => b - a);
      if (up.length > 0) parts.push(`${level.element} crossed ${up.map((t) => `${t} m`).join(', ')} rising`);
      if (down.length > 0) parts.push(`${level.element} crossed ${down.map((t) => `${t} m`).join(', ')} falling`);
    }
    const last = this.lastReported.get(level.element);
    // The small slack keeps a move of exactly stepM (in metres' binary fractions) from counting as more.
    if (level.stepM !== undefined && last !== undefined && Math.abs(value - last) > level.stepM + 1e-9) {
      parts.push(`${level.element} moved ${round(Math.abs(value - last), 3)} m since the last report (step ${level.stepM} m)`);
    }
    return parts.length === 0 ? undefined : parts.join('; ');
  }

  private added(r: PlannerReading, reason: string): void {
    const at = Math.floor(r.ts / MINUTE) * MINUTE;
    const levels = this.config.levels.map((l) => {
      if (l.sensor === r.sensorId) return r.value;
      const g = this.lastGood.get(l.sensor);
      if (g !== undefined && g.ts <= r.ts && g.ts >= r.ts - this.maxAgeMs) return g.value;
      return this.ports.levelAt(l.sensor, r.ts, this.maxAgeMs);
    });
    const elements = [...this.levelElements(levels), ...this.rainElements(at)];
    this.push({ kind: 'added', fn: FN.added, observedAt: at, groups: [{ observedAt: at, elements }], reason });
  }

  /**
   * Plans every due mark, oldest first (a 定时报 before a 小时报 of the same time). Due: passed, and a reading at or
   * after it consumed from every mapped level sensor, or (when `settle`) at least `settleMs` old.
   */
  private planMarks(settle: boolean): void {
    for (;;) {
      const hourFirst = this.config.hourly && this.nextHourly < this.nextTimed;
      const mark = hourFirst ? this.nextHourly : this.nextTimed;
      if (!this.due(mark, settle)) return;
      if (hourFirst) {
        this.hourly(mark);
        this.nextHourly = mark + HOUR;
      } else {
        this.timed(mark);
        this.nextTimed = mark + this.intervalMs;
      }
    }
  }

  private due(mark: number, settle: boolean): boolean {
    if (mark > this.now) return false;
    const levels = this.config.levels;
    if (levels.length > 0 && levels.every((l) => (this.seenTs.get(l.sensor) ?? -Infinity) >= mark)) return true;
    return settle && this.now >= mark + this.settleMs;
  }

  private timed(at: number): void {
    const levels = this.config.levels.map((l) => this.ports.levelAt(l.sensor, at, this.maxAgeMs));
    const rain = this.rainElements(at);
    if (this.empty(levels, rain)) return;
    const elements = [...this.levelElements(levels), ...rain];
    this.push({ kind: 'timed', fn: FN.timed, observedAt: at, groups: [{ observedAt: at, elements }] });
  }

  private hourly(at: number): void {
    const five: ElementValue[] = this.config.levels.map((l, i) => ({
      kind: 'fiveMinute',
      id: fiveMinuteId(l, i),
      definition: FIVE_MINUTE_DEFINITION,
      values: Array.from({ length: 12 }, (_, k) => fiveMinuteValue(this.ports.levelAt(l.sensor, at - 55 * MINUTE + k * FIVE_MINUTES, FIVE_MINUTES))),
    }));
    const levels = this.config.levels.map((l) => this.ports.levelAt(l.sensor, at, this.maxAgeMs));
    const rain = this.rainElements(at);
    const anyFive = five.some((e) => e.kind === 'fiveMinute' && e.values.some((v) => v !== null));
    if (!anyFive && this.empty(levels, rain)) return;
    const elements = [...five, ...this.levelElements(levels), ...rain];
    this.push({ kind: 'hourly', fn: FN.hourly, observedAt: at, groups: [{ observedAt: at, elements }] });
  }

  /** Missing: every level (or, for a centre of rain only, every rain total). */
  private empty(levels: readonly (number | null)[], rain: readonly ElementValue[]): boolean {
    if (levels.length > 0) return levels.every((v) => v === null || levelValue(v) === null);
    return rain.every((e) => e.kind === 'number' && e.value === null);
  }

  private levelElements(values: readonly (number | null)[]): ElementValue[] {
    return this.config.levels.map((l, i) => ({
      kind: 'number',
      id: elementId(l.element),
      definition: LEVEL_DEFINITION,
      value: levelValue(values[i] ?? null),
    }));
  }

  private rainElements(at: number): ElementValue[] {
    const cache = new Map<string, RainTotalsMm | null>();
    return this.config.rain.map((r) => {
      if (!cache.has(r.site)) cache.set(r.site, this.ports.rainAt(r.site, at));
      const totals = cache.get(r.site) ?? null;
      const mm = totals === null ? null : r.element === '1A' ? totals.h1 : r.element === '1C' ? totals.h3 : totals.h6;
      return { kind: 'number', id: elementId(r.element), definition: RAIN_DEFINITION, value: rainValue(mm) };
    });
  }

  private push(report: PlannedReport): void {
    this.reports.push(report);
    for (const g of report.groups) this.noteReported(g);
  }

  private noteReported(group: ObservationGroup): void {
    for (const l of this.config.levels) {
      const id = elementId(l.element);
      const e = group.elements.find((x) => x.kind === 'number' && x.id === id);
      if (e?.kind === 'number' && e.value !== null) this.lastReported.set(l.element, e.value);
    }
  }

  private state(): Sl651PlannerState {
    return {
      version: 1,
      cursor: this.cursor,
      nextTimed: this.nextTimed,
      nextHourly: this.nextHourly,
      lastGood: Object.fromEntries(this.lastGood),
      seenTs: Object.fromEntries(this.seenTs),
      lastReported: Object.fromEntries(this.lastReported),
    };
  }
}

/** A level as sent: metres to 3 decimals, null when it does not fit N(7,3) (negative: FF and 6 digits). */
export function levelValue(m: number | null): number | null {
  if (m === null || !Number.isFinite(m)) return null;
  const v = round(m, 3);
  return v > LEVEL_MAX || v < LEVEL_MIN ? null : v;
}

/** A rain total as sent: mm to 1 decimal, null when it does not fit N(5,1). */
export function rainValue(mm: number | null): number | null {
  if (mm === null || !Number.isFinite(mm)) return null;
  const v = round(mm, 1);
  return v < 0 || v > RAIN_MAX ? null : v;
}

/** A 5-minute level as sent: whole centimetres, 0..FFFE (FFFF is missing), in metres. */
export function fiveMinuteValue(m: number | null): number | null {
  if (m === null || !Number.isFinite(m)) return null;
  const cm = Math.round(m * 100);
  return cm < 0 || cm > FIVE_MINUTE_MAX_CM ? null : cm / 100;
}

function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isWhole(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isMark(v: unknown): v is number | null {
  return v === null || isFiniteNumber(v);
}

function isLastGood(v: unknown): v is LastGood {
  return isObject(v) && isFiniteNumber(v.value) && isFiniteNumber(v.ts);
}

function isRecordOf<T>(v: unknown, check: (x: unknown) => x is T): v is Record<string, T> {
  return isObject(v) && Object.values(v).every(check);
}

/** An own entry only: a sensor id is never looked up on the object's prototype. */
function own<T>(rec: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}
