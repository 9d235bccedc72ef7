import { withCrc } from '../../../drivers/modbus/rtu-frame.js';

/**
 * SL 651-2014 (水文监测数据通信规约) uplink frames in the HEX/BCD encoding, pure: what a telemetry station sends its
 * centre. Issue 15 builds the uplink around it; for now the sync-bytes bench sizes our readings in this form.
 *
 *     7E 7E | centre(1) | station(5) | password(2) | function(1) | direction(4 bits)+length(12 bits) | STX(02) |
 *     serial(2) | sent at(6, BCD YYMMDDhhmmss) | body… | ETX(03) | CRC16(2)
 *
 * `length` counts serial, time and body. The CRC is the Modbus one (modbus-serial's, through drivers/modbus's
 * rtu-frame: no second copy of the arithmetic) over everything from the first 7E to ETX, sent high byte first (Modbus
 * RTU sends it low byte first). A report's body: `F1 F1 station(5) type(1) F0 F0 observed at(5, BCD YYMMDDhhmm)`, then
 * elements, each `id(1) definition(1) value`: the definition byte is the value's length in bytes (high 5 bits) and its
 * decimals (low 3 bits), the value BCD, all `FF` when missing. Times are the station's local time (Beijing, UTC+8,
 * unless a station says otherwise).
 */

/** The function codes of the reports sized and tested here. */
export const SL651_FUNCTION = {
  /** 均匀时段报 */
  uniform: 0x31,
  /** 定时报: one value of each element at the observation time. */
  timed: 0x32,
  /** 加报报: sent at once when a value crosses a threshold. */
  added: 0x33,
  /** 小时报: the hour's twelve 5-minute values plus the current ones. */
  hourly: 0x34,
} as const;

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
  /** 中心站地址, 1 to 255. */
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

const START = 0x7e;
const STX = 0x02;
const ETX = 0x03;
/** The length field has 12 bits. */
const MAX_LENGTH = 0xfff;
/** F5, 1小时内5分钟间隔相对水位: twelve 2-byte HEX values in centimetres. */
const FIVE_MINUTE_LEVELS = 0xf5;
/** SL 651-2014's definition byte for F5: 24 bytes, no decimals. */
export const FIVE_MINUTE_LEVELS_DEFINITION = 0xc0;

export class Sl651Error extends Error {}

function checkByteRange(what: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new Sl651Error(`${what} must be a whole number in 0..${max}, got ${v}`);
}

/** `value` as `digits` BCD digits (two per byte), most significant first. */
function bcd(value: number, bytes: number): number[] {
  const digits = String(value).padStart(bytes * 2, '0');
  if (digits.length > bytes * 2) throw new Sl651Error(`${value} does not fit in ${bytes} BCD bytes`);
  const out: number[] = [];
  for (let i = 0; i < digits.length; i += 2) out.push((Number(digits[i]) << 4) | Number(digits[i + 1]));
  return out;
}

/** The local-time fields of `utcMs` as BCD: YY MM DD hh mm (ss when `seconds`). */
function bcdTime(utcMs: number, offsetMinutes: number, seconds: boolean): number[] {
  const d = new Date(utcMs + offsetMinutes * 60_000);
  const fields = [d.getUTCFullYear() % 100, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()];
  if (seconds) fields.push(d.getUTCSeconds());
  return fields.flatMap((f) => bcd(f, 1));
}

function stationBytes(station: string): number[] {
  if (!/^[0-9A-Fa-f]{10}$/.test(station)) throw new Sl651Error(`station must be 10 hex digits, got ${JSON.stringify(station)}`);
  return Array.from({ length: 5 }, (_, i) => parseInt(station.slice(i * 2, i * 2 + 2), 16));
}

/** One element: id, definition byte, BCD value (all FF when missing). Negative values are not encoded yet. */
export function encodeElement(e: ElementValue): number[] {
  const { id, bytes, decimals } = e.format;
  checkByteRange('element id', id, 0xff);
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 31) throw new Sl651Error(`element ${id.toString(16)}: bytes must be 1..31, got ${bytes}`);
  checkByteRange(`element ${id.toString(16)} decimals`, decimals, 7);
  const head = [id, (bytes << 3) | decimals];
  if (e.value === null) return [...head, ...new Array<number>(bytes).fill(0xff)];
  if (!Number.isFinite(e.value) || e.value < 0) throw new Sl651Error(`element ${id.toString(16)}: ${e.value} cannot be encoded (negative values are not supported)`);
  return [...head, ...bcd(Math.round(e.value * 10 ** decimals), bytes)];
}

/**
 * F5: the hour's twelve 5-minute water levels (metres, null when missing), 2-byte HEX centimetres each, FFFF missing.
 * `definition` is SL 651-2014's C0 unless a provincial profile writes another (Fujian's published examples write 5C).
 */
export function encodeFiveMinuteLevels(levelsM: readonly (number | null)[], definition = FIVE_MINUTE_LEVELS_DEFINITION): number[] {
  if (levelsM.length !== 12) throw new Sl651Error(`an hour has twelve 5-minute levels, got ${levelsM.length}`);
  checkByteRange('F5 definition', definition, 0xff);
  const out = [FIVE_MINUTE_LEVELS, definition];
  for (const m of levelsM) {
    const cm = m === null ? 0xffff : Math.round(m * 100);
    if (m !== null && !(cm >= 0 && cm < 0xffff)) throw new Sl651Error(`5-minute level ${m} m does not fit 2 bytes of centimetres`);
    out.push(cm >> 8, cm & 0xff);
  }
  return out;
}

/** A whole uplink frame around `body` (the bytes after serial and send time), CRC included. */
export function encodeUplinkFrame(station: Sl651Station, fn: number, times: Pick<ReportTimes, 'serial' | 'sentAt'>, body: readonly number[]): Uint8Array {
  checkByteRange('centre', station.centre, 0xff);
  checkByteRange('password', station.password, 0xffff);
  checkByteRange('function', fn, 0xff);
  checkByteRange('serial', times.serial, 0xffff);
  const offset = station.utcOffsetMinutes ?? 480;
  const payload = [times.serial >> 8, times.serial & 0xff, ...bcdTime(times.sentAt, offset, true), ...body];
  if (payload.length > MAX_LENGTH) throw new Sl651Error(`body of ${payload.length} bytes exceeds the 12-bit length (${MAX_LENGTH}); split it into packets`);
  const head = [START, START, station.centre, ...stationBytes(station.station), station.password >> 8, station.password & 0xff, fn, payload.length >> 8, payload.length & 0xff, STX];
  const framed = Buffer.from([...head, ...payload, ETX]);
  const crc = withCrc(framed).readUInt16LE(framed.length);
  const out = new Uint8Array(framed.length + 2);
  out.set(framed);
  out[framed.length] = crc >> 8;
  out[framed.length + 1] = crc & 0xff;
  return out;
}

/** A report's body: station identification and observation time, then the encoded elements in order. */
export function reportBody(station: Sl651Station, observedAt: number, elements: readonly (readonly number[])[]): number[] {
  checkByteRange('station type', station.stationType, 0xff);
  return [0xf1, 0xf1, ...stationBytes(station.station), station.stationType, 0xf0, 0xf0, ...bcdTime(observedAt, station.utcOffsetMinutes ?? 480, false), ...elements.flat()];
}

/** 定时报 (or 加报报 with `fn` SL651_FUNCTION.added): one value of each element at `observedAt`. */
export function encodeTimedReport(station: Sl651Station, times: ReportTimes, elements: readonly ElementValue[], fn: number = SL651_FUNCTION.timed): Uint8Array {
  return encodeUplinkFrame(station, fn, times, reportBody(station, times.observedAt, elements.map(encodeElement)));
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
  const elements = [encodeFiveMinuteLevels(report.fiveMinuteLevelsM, report.fiveMinuteDefinition), ...report.current.map(encodeElement)];
  return encodeUplinkFrame(station, SL651_FUNCTION.hourly, times, reportBody(station, times.observedAt, elements));
}
