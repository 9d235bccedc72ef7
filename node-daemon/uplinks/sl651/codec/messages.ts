import {
  decodeHeadAscii,
  decodePeriodQueryAscii,
  decodeReportAscii,
  decodeStationAddressAscii,
  encodeHeadAscii,
  encodePeriodQueryAscii,
  encodeReportAscii,
  encodeStationAddressAscii,
} from './ascii-messages.js';
import {
  decodeHeadHex,
  decodePeriodQueryHex,
  decodeReportHex,
  decodeStationAddressHex,
  encodeHeadHex,
  encodePeriodQueryHex,
  encodeReportHex,
  encodeStationAddressHex,
} from './hex-messages.js';
import { Sl651Error, type MessageHead, type PeriodQueryMessage, type ReportMessage, type Sl651Encoding, type StationAddressMessage, type WireOptions } from './model.js';

/**
 * Message bodies (what goes between the start mark and the end mark) in either encoding. Times are UTC ms; the wire
 * carries the station's local time, `opts.utcOffsetMinutes` from UTC (480, Beijing, by default). Decoders throw
 * Sl651Error ('body' for the layout, 'element' for an element) and nothing else.
 */

/** Serial and send time: a keep-alive, a confirmation, a downlink 37/4A/51 is nothing else. */
export const encodeHead = (h: MessageHead, encoding: Sl651Encoding = 'hex', opts?: WireOptions): Uint8Array =>
  encoding === 'hex' ? encodeHeadHex(h, opts) : encodeHeadAscii(h, opts);

/** The head of any body (the rest is ignored). */
export const decodeHead = (body: Uint8Array, encoding: Sl651Encoding = 'hex', opts?: WireOptions): MessageHead =>
  encoding === 'hex' ? decodeHeadHex(body, opts) : decodeHeadAscii(body, opts);

/** 31..35 and the answers to 37, 38, 3A: station, type, observation groups. */
export function encodeReport(m: ReportMessage, encoding: Sl651Encoding = 'hex', opts?: WireOptions): Uint8Array {
  // A time-step series runs to the end of its group: anything after it would read as more of its values.
  for (const g of m.groups) {
    if (g.elements.some((e, i) => e.kind === 'stepSeries' && i < g.elements.length - 1)) {
      throw new Sl651Error('encode', 'a time-step series must be the last element of its group');
    }
  }
  return encoding === 'hex' ? encodeReportHex(m, opts) : encodeReportAscii(m, opts);
}

export const decodeReport = (body: Uint8Array, encoding: Sl651Encoding = 'hex', opts?: WireOptions): ReportMessage =>
  encoding === 'hex' ? decodeReportHex(body, opts) : decodeReportAscii(body, opts);

/** The answers to 4A and 51: head and station. */
export const encodeStationAddress = (m: StationAddressMessage, encoding: Sl651Encoding = 'hex', opts?: WireOptions): Uint8Array =>
  encoding === 'hex' ? encodeStationAddressHex(m, opts) : encodeStationAddressAscii(m, opts);

export const decodeStationAddress = (body: Uint8Array, encoding: Sl651Encoding = 'hex', opts?: WireOptions): StationAddressMessage =>
  encoding === 'hex' ? decodeStationAddressHex(body, opts) : decodeStationAddressAscii(body, opts);

/** 38 downlink: start and end hour, time step, element. */
export const encodePeriodQuery = (m: PeriodQueryMessage, encoding: Sl651Encoding = 'hex', opts?: WireOptions): Uint8Array =>
  encoding === 'hex' ? encodePeriodQueryHex(m, opts) : encodePeriodQueryAscii(m, opts);

export const decodePeriodQuery = (body: Uint8Array, encoding: Sl651Encoding = 'hex', opts?: WireOptions): PeriodQueryMessage =>
  encoding === 'hex' ? decodePeriodQueryHex(body, opts) : decodePeriodQueryAscii(body, opts);
