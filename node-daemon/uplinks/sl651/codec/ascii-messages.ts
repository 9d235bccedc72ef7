import { decodeElementsAscii, encodeElementAscii, stepFromToken, stepToken } from './ascii-elements.js';
import { elementIdOfAscii, elementInfo } from './elements.js';
import { checkSerial, checkStation, checkStationType } from './hex-messages.js';
import { timeDigits, timeFromDigits } from './local-time.js';
import { Sl651Error, type ElementValue, type MessageHead, type PeriodQueryMessage, type ReportMessage, type StationAddressMessage, type WireOptions } from './model.js';

/**
 * Message bodies in the ASCII encoding: the head is the serial (4 hex digits) and the send time (12 digits) with no
 * space between, then space-separated fields: `ST <station> <type letter>`, `TT <YYMMDDhhmm>` and the group's
 * elements (ascii-elements.ts), again for each group. A clock answer is the head and `ST <station>`; a period query
 * the head, `<YYMMDDHH> <YYMMDDHH> DRxnn <identifier>` (no definition on the wire: decoded as the table's).
 */
const HEAD_CHARS = 16;

function textOf(body: Uint8Array): string {
  if (!body.every((b) => b >= 0x20 && b < 0x7f)) throw new Sl651Error('body', 'an ASCII body has a byte outside printable ASCII');
  return String.fromCharCode(...body);
}

function bytesOf(text: string): Uint8Array {
  const out = Uint8Array.from(text, (c) => c.charCodeAt(0));
  if (!out.every((b, i) => b === text.charCodeAt(i) && b >= 0x20 && b < 0x7f)) throw new Sl651Error('encode', 'an ASCII body takes printable ASCII only');
  return out;
}

function headText(h: MessageHead, opts?: WireOptions): string {
  checkSerial(h.serial);
  return h.serial.toString(16).toUpperCase().padStart(4, '0') + timeDigits(h.sentAt, 12, opts);
}

function tokensOf(body: Uint8Array, opts?: WireOptions): { head: MessageHead; tokens: string[] } {
  const text = textOf(body);
  const head = text.slice(0, HEAD_CHARS);
  if (!/^[0-9A-Fa-f]{4}\d{12}$/.test(head)) throw new Sl651Error('body', `an ASCII body starts with a 4-hex-digit serial and a 12-digit send time, got ${JSON.stringify(head)}`);
  const rest = text.slice(HEAD_CHARS);
  if (rest !== '' && !rest.startsWith(' ')) throw new Sl651Error('body', 'a space expected after the send time');
  return {
    head: { serial: parseInt(head.slice(0, 4), 16), sentAt: timeFromDigits(head.slice(4), 'body', opts) },
    tokens: rest.split(' ').filter((t) => t !== ''),
  };
}

function expectStation(tokens: readonly string[]): string {
  const station = tokens[1] ?? '';
  if (tokens[0] !== 'ST' || !/^[0-9A-Fa-f]{10}$/.test(station)) throw new Sl651Error('body', 'ST <10 hex digits> expected after the head');
  return station.toUpperCase();
}

export const encodeHeadAscii = (h: MessageHead, opts?: WireOptions): Uint8Array => bytesOf(headText(h, opts));

export const decodeHeadAscii = (body: Uint8Array, opts?: WireOptions): MessageHead => tokensOf(body, opts).head;

export function encodeReportAscii(m: ReportMessage, opts?: WireOptions): Uint8Array {
  checkStationType(m.stationType);
  if (m.stationType < 0x41 || m.stationType > 0x5a) throw new Sl651Error('encode', `station type ${m.stationType} is not a letter A..Z`);
  const fields = [headText(m, opts), 'ST', checkStation(m.station), String.fromCharCode(m.stationType)];
  for (const g of m.groups) fields.push('TT', timeDigits(g.observedAt, 10, opts), ...g.elements.flatMap(encodeElementAscii));
  return bytesOf(fields.join(' '));
}

export function decodeReportAscii(body: Uint8Array, opts?: WireOptions): ReportMessage {
  const { head, tokens } = tokensOf(body, opts);
  const station = expectStation(tokens);
  const type = tokens[2] ?? '';
  if (!/^[A-Z]$/.test(type)) throw new Sl651Error('body', `a station type letter expected, got ${JSON.stringify(type)}`);
  const groups: { observedAt: number; elements: ElementValue[] }[] = [];
  let p = 3;
  while (p < tokens.length) {
    if (tokens[p] !== 'TT') throw new Sl651Error('body', `TT <observation time> expected, got ${JSON.stringify(tokens[p])}`);
    const observedAt = timeFromDigits(tokens[p + 1] ?? '', 'body', opts);
    const { elements, next } = decodeElementsAscii(tokens, p + 2);
    groups.push({ observedAt, elements });
    p = next;
  }
  return { ...head, station, stationType: type.charCodeAt(0), groups };
}

export function encodeStationAddressAscii(m: StationAddressMessage, opts?: WireOptions): Uint8Array {
  return bytesOf([headText(m, opts), 'ST', checkStation(m.station)].join(' '));
}

export function decodeStationAddressAscii(body: Uint8Array, opts?: WireOptions): StationAddressMessage {
  const { head, tokens } = tokensOf(body, opts);
  const station = expectStation(tokens);
  if (tokens.length !== 2) throw new Sl651Error('body', 'nothing follows the station address');
  return { ...head, station };
}

export function encodePeriodQueryAscii(m: PeriodQueryMessage, opts?: WireOptions): Uint8Array {
  const info = elementInfo(m.id);
  if (info === undefined || info.form !== 'bcd') throw new Sl651Error('encode', `element ${m.id} has no ASCII identifier here`);
  return bytesOf([headText(m, opts), timeDigits(m.from, 8, opts), timeDigits(m.to, 8, opts), stepToken(m.stepMinutes), info.ascii].join(' '));
}

export function decodePeriodQueryAscii(body: Uint8Array, opts?: WireOptions): PeriodQueryMessage {
  const { head, tokens } = tokensOf(body, opts);
  const [from, to, step, identifier] = tokens;
  const stepMinutes = stepFromToken(step ?? '');
  const id = elementIdOfAscii(identifier ?? '');
  const definition = id === undefined ? undefined : elementInfo(id)?.definition;
  if (tokens.length !== 4 || stepMinutes === undefined || id === undefined || definition === undefined) {
    throw new Sl651Error('body', 'a period query is <YYMMDDHH> <YYMMDDHH> DRxnn <identifier>');
  }
  return { ...head, from: timeFromDigits(from ?? '', 'body', opts), to: timeFromDigits(to ?? '', 'body', opts), stepMinutes, id, definition };
}
