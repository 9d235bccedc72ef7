import { bcdDigits, packBcd } from './bcd.js';
import { decodeElementsHex, encodeElementHex } from './hex-elements.js';
import { timeDigits, timeFromDigits, type TimeDigits } from './local-time.js';
import { Sl651Error, type MessageHead, type PeriodQueryMessage, type ReportMessage, type StationAddressMessage, type WireOptions } from './model.js';
import { stepFromDigits } from './element-value.js';

/** Message bodies in the HEX encoding: head `serial(2) sentAt(6 BCD)`, `F1 F1 station(5) [type(1)]`, `F0 F0` groups. */
const HEAD = 8;
const MARK_STATION = 0xf1;
const MARK_GROUP = 0xf0;

export function checkSerial(serial: number): void {
  if (!Number.isInteger(serial) || serial < 0 || serial > 0xffff) throw new Sl651Error('encode', `serial must be 0..65535, got ${serial}`);
}

export function checkStation(station: string): string {
  if (!/^[0-9A-Fa-f]{10}$/.test(station)) throw new Sl651Error('encode', `station must be 10 hex digits, got ${JSON.stringify(station)}`);
  return station.toUpperCase();
}

export function checkStationType(type: number): void {
  if (!Number.isInteger(type) || type < 0 || type > 0xff) throw new Sl651Error('encode', `station type must be a byte, got ${type}`);
}

const bcdTime = (utcMs: number, count: TimeDigits, opts?: WireOptions): number[] => packBcd(timeDigits(utcMs, count, opts));

class Cursor {
  p = 0;
  constructor(readonly body: Uint8Array) {}
  take(n: number, what: string): Uint8Array {
    if (this.p + n > this.body.length) throw new Sl651Error('body', `${what}: the body ends at ${this.body.length}, ${this.p + n} needed`);
    const out = this.body.subarray(this.p, this.p + n);
    this.p += n;
    return out;
  }
  time(bytes: number, what: string, opts?: WireOptions): number {
    return timeFromDigits(bcdDigits(this.take(bytes, what), 'body', what), 'body', opts);
  }
  mark(byte: number, what: string): void {
    const m = this.take(2, what);
    if (m[0] !== byte || m[1] !== byte) throw new Sl651Error('body', `${what} expected at ${this.p - 2}`);
  }
  station(): string {
    this.mark(MARK_STATION, 'F1 F1 (station)');
    return Array.from(this.take(5, 'station'), (b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
  }
  done(what: string): void {
    if (this.p !== this.body.length) throw new Sl651Error('body', `${this.body.length - this.p} bytes after ${what}`);
  }
}

function headBytes(h: MessageHead, opts?: WireOptions): number[] {
  checkSerial(h.serial);
  return [h.serial >> 8, h.serial & 0xff, ...bcdTime(h.sentAt, 12, opts)];
}

function readHead(c: Cursor, opts?: WireOptions): MessageHead {
  const s = c.take(2, 'serial');
  return { serial: ((s[0] ?? 0) << 8) | (s[1] ?? 0), sentAt: c.time(6, 'send time', opts) };
}

const stationBytes = (station: string): number[] => Array.from({ length: 5 }, (_, i) => parseInt(checkStation(station).slice(i * 2, i * 2 + 2), 16));

export const encodeHeadHex = (h: MessageHead, opts?: WireOptions): Uint8Array => Uint8Array.from(headBytes(h, opts));

/** The head of any body (a longer body is fine: the rest is the function's). */
export function decodeHeadHex(body: Uint8Array, opts?: WireOptions): MessageHead {
  if (body.length < HEAD) throw new Sl651Error('body', `a body starts with ${HEAD} bytes of serial and send time, got ${body.length}`);
  return readHead(new Cursor(body), opts);
}

export function encodeReportHex(m: ReportMessage, opts?: WireOptions): Uint8Array {
  checkStationType(m.stationType);
  const out = [...headBytes(m, opts), MARK_STATION, MARK_STATION, ...stationBytes(m.station), m.stationType];
  for (const g of m.groups) {
    out.push(MARK_GROUP, MARK_GROUP, ...bcdTime(g.observedAt, 10, opts));
    for (const e of g.elements) encodeElementHex(e, out);
  }
  return Uint8Array.from(out);
}

export function decodeReportHex(body: Uint8Array, opts?: WireOptions): ReportMessage {
  const c = new Cursor(body);
  const head = readHead(c, opts);
  const station = c.station();
  const stationType = c.take(1, 'station type')[0] ?? 0;
  const groups = [];
  while (c.p < body.length) {
    c.mark(MARK_GROUP, 'F0 F0 (observation time)');
    const observedAt = c.time(5, 'observation time', opts);
    const { elements, next } = decodeElementsHex(body, c.p);
    c.p = next;
    groups.push({ observedAt, elements });
  }
  return { ...head, station, stationType, groups };
}

export function encodeStationAddressHex(m: StationAddressMessage, opts?: WireOptions): Uint8Array {
  return Uint8Array.from([...headBytes(m, opts), MARK_STATION, MARK_STATION, ...stationBytes(m.station)]);
}

export function decodeStationAddressHex(body: Uint8Array, opts?: WireOptions): StationAddressMessage {
  const c = new Cursor(body);
  const head = readHead(c, opts);
  const station = c.station();
  c.done('the station address');
  return { ...head, station };
}

export function encodePeriodQueryHex(m: PeriodQueryMessage, opts?: WireOptions): Uint8Array {
  const out = [...headBytes(m, opts), ...bcdTime(m.from, 8, opts), ...bcdTime(m.to, 8, opts)];
  encodeElementHex({ kind: 'stepSeries', stepMinutes: m.stepMinutes, id: m.id, definition: m.definition, values: [] }, out);
  return Uint8Array.from(out);
}

export function decodePeriodQueryHex(body: Uint8Array, opts?: WireOptions): PeriodQueryMessage {
  const c = new Cursor(body);
  const head = readHead(c, opts);
  const from = c.time(4, 'start time', opts);
  const to = c.time(4, 'end time', opts);
  const step = c.take(3, 'time-step code');
  if (step[0] !== 0x04 || step[1] !== 0x18) throw new Sl651Error('body', 'the time-step code 04 18 expected after the end time');
  const stepMinutes = stepFromDigits(bcdDigits(step.subarray(2), 'body', 'time step') + bcdDigits(c.take(2, 'time step'), 'body', 'time step'));
  const first = c.take(1, 'element id')[0] ?? 0;
  const id = first === 0xff ? 0xff00 | (c.take(1, 'extended element id')[0] ?? 0) : first;
  const definition = c.take(1, 'definition')[0] ?? 0;
  c.done('the period query');
  return { ...head, from, to, stepMinutes, id, definition };
}
