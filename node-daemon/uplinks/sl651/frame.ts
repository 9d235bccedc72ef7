import { definitionOf } from './codec/elements.js';
import { encodeFrame } from './codec/frames.js';
import { encodeElementHex } from './codec/hex-elements.js';
import { encodeReport } from './codec/messages.js';
import { FN, Sl651Error, type ElementValue as CodecElement } from './codec/model.js';

/**
 * Uplink reports in the HEX/BCD encoding the simple way, for the sync-bytes bench (which sizes our readings as SL 651
 * frames) and for callers that have a station and a few values: a thin layer over codec/ (frames.ts, messages.ts),
 * which holds the protocol.
 */

/** The function codes of the reports built here. */
export const SL651_FUNCTION = { uniform: FN.uniform, timed: FN.timed, added: FN.added, hourly: FN.hourly } as const;

/** An element's identifier and format; the field notes' water level is `39 23`: 4 bytes, 3 decimals, metres. */
export interface ElementFormat {
  readonly id: number;
  readonly bytes: number;
  readonly decimals: number;
}

export const WATER_LEVEL: ElementFormat = { id: 0x39, bytes: 4, decimals: 3 };
/** 当前降水量 (mm). */
export const CURRENT_RAIN: ElementFormat = { id: 0x20, bytes: 3, decimals: 1 };
/** 电源电压 (V). */
export const VOLTAGE: ElementFormat = { id: 0x38, bytes: 2, decimals: 2 };

export interface ElementValue {
  readonly format: ElementFormat;
  /** Null: missing, sent as all `FF`. */
  readonly value: number | null;
}

export interface Sl651Station {
  /** 中心站地址, 0 to 255. */
  readonly centre: number;
  /** 遥测站地址: 10 hex digits (5 bytes). */
  readonly station: string;
  /** 0 to 0xFFFF. */
  readonly password: number;
  /** 测站分类码, e.g. 0x48 河道站 (river). */
  readonly stationType: number;
  /** The station clock's offset from UTC in minutes; default 480 (Beijing). */
  readonly utcOffsetMinutes?: number;
}

export interface ReportTimes {
  /** 流水号, 0 to 0xFFFF. */
  readonly serial: number;
  /** UTC ms the frame is sent (seconds resolution on the wire). */
  readonly sentAt: number;
  /** UTC ms of the observation (minutes resolution on the wire). */
  readonly observedAt: number;
}

/** F5, 1小时内5分钟间隔相对水位 1. */
const FIVE_MINUTE_LEVELS = 0xf5;
/** SL 651-2014's definition byte for F5: 24 bytes, no decimals. */
export const FIVE_MINUTE_LEVELS_DEFINITION = 0xc0;

const numberOf = (e: ElementValue): CodecElement => ({ kind: 'number', id: e.format.id, definition: definitionOf(e.format.bytes, e.format.decimals), value: e.value });

function fiveMinuteOf(levelsM: readonly (number | null)[], definition: number): CodecElement {
  if (levelsM.length !== 12) throw new Sl651Error('encode', `an hour has twelve 5-minute levels, got ${levelsM.length}`);
  return { kind: 'fiveMinute', id: FIVE_MINUTE_LEVELS, definition, values: levelsM };
}

/** One element: id, definition byte, BCD value (all FF when missing, `FF` then the magnitude when negative). */
export function encodeElement(e: ElementValue): number[] {
  const out: number[] = [];
  encodeElementHex(numberOf(e), out);
  return out;
}

/**
 * F5: the hour's twelve 5-minute water levels (metres, null when missing), 2-byte HEX centimetres each, FFFF missing.
 * `definition` is SL 651-2014's C0 unless a provincial profile writes another (Fujian's published examples write 5C).
 */
export function encodeFiveMinuteLevels(levelsM: readonly (number | null)[], definition = FIVE_MINUTE_LEVELS_DEFINITION): number[] {
  const out: number[] = [];
  encodeElementHex(fiveMinuteOf(levelsM, definition), out);
  return out;
}

function reportFrame(station: Sl651Station, fn: number, times: ReportTimes, elements: readonly CodecElement[]): Uint8Array {
  const opts = { utcOffsetMinutes: station.utcOffsetMinutes ?? 480 };
  const body = encodeReport(
    { serial: times.serial, sentAt: times.sentAt, station: station.station, stationType: station.stationType, groups: [{ observedAt: times.observedAt, elements }] },
    'hex',
    opts,
  );
  return encodeFrame({ encoding: 'hex', direction: 'up', centre: station.centre, station: station.station, password: station.password, fn, body, end: 'ETX' });
}

/** 定时报 (or 加报报 with `fn` SL651_FUNCTION.added): one value of each element at `observedAt`. */
export function encodeTimedReport(station: Sl651Station, times: ReportTimes, elements: readonly ElementValue[], fn: number = SL651_FUNCTION.timed): Uint8Array {
  return reportFrame(station, fn, times, elements.map(numberOf));
}

/**
 * 小时报: the hour's twelve 5-minute water levels (F5), then the current values (`current`, e.g. the level and the
 * supply voltage), all under one observation time.
 */
export function encodeHourlyReport(
  station: Sl651Station,
  times: ReportTimes,
  report: { readonly fiveMinuteLevelsM: readonly (number | null)[]; readonly current: readonly ElementValue[]; readonly fiveMinuteDefinition?: number },
): Uint8Array {
  const elements = [fiveMinuteOf(report.fiveMinuteLevelsM, report.fiveMinuteDefinition ?? FIVE_MINUTE_LEVELS_DEFINITION), ...report.current.map(numberOf)];
  return reportFrame(station, SL651_FUNCTION.hourly, times, elements);
}
