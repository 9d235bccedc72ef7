import { definitionOf, elementHex, elementIdOfAscii, elementInfo } from './elements.js';
import { FIVE_MINUTE, fiveMinuteFormat, fiveMinuteRaw, scaleNumber, unscale, valueBytes, valueDecimals } from './element-value.js';
import { Sl651Error, type ElementId, type ElementValue } from './model.js';

/**
 * Elements in the ASCII encoding, as space-separated tokens `<identifier> <value>` with the identifiers of elements.ts.
 * What it covers, kept small:
 * - numbers in decimal text with the definition's decimals, negative with '-', missing as 'M' (never omitted, so a
 *   missing value survives a round trip). ASCII carries no definition byte: a decoded number gets the table's byte
 *   length and the decimals its text shows;
 * - DRP (F4) and DRZ1..DRZ8 (F5..FC): the twelve values as hex digits (2 or 4 each, FF/FFFF missing); the
 *   definition decoded is the table's;
 * - the time step `DRxnn` (x = D days, H hours, N minutes): `DRN05 Z 1.230 1.240 …`, values to the end of the group;
 * - any other identifier: kind raw with id 0, definition 0 and `bytes` the text `<identifier> <value>`; a raw element
 *   is written back as its bytes (a HEX raw element's id is not carried).
 */
const MISSING = 'M';
const GROUP = 'TT';
const NUMBER = /^(-?)(\d+)(?:\.(\d{1,7}))?$/;

function identifierOf(id: ElementId): string {
  const info = elementInfo(id);
  if (info === undefined || info.form !== 'bcd') throw new Sl651Error('encode', `element ${elementHex(id)} has no ASCII identifier here`);
  return info.ascii;
}

function numberText(id: ElementId, definition: number, value: number | null): string {
  if (value === null) return MISSING;
  const s = scaleNumber(id, definition, value);
  const decimals = valueDecimals(definition);
  const digits = s.magnitude.padStart(decimals + 1, '0');
  const text = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return s.negative ? `-${text}` : text;
}

export function stepToken(stepMinutes: number): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  if (stepMinutes > 0 && stepMinutes % 1440 === 0 && stepMinutes / 1440 <= 99) return `DRD${two(stepMinutes / 1440)}`;
  if (stepMinutes > 0 && stepMinutes % 60 === 0 && stepMinutes / 60 <= 99) return `DRH${two(stepMinutes / 60)}`;
  if (Number.isInteger(stepMinutes) && stepMinutes >= 0 && stepMinutes <= 99) return `DRN${two(stepMinutes)}`;
  throw new Sl651Error('encode', `time step ${stepMinutes} min has no DRxnn form`);
}

export function stepFromToken(token: string): number | undefined {
  const m = /^DR([DHN])(\d\d)$/.exec(token);
  if (m === null) return undefined;
  return Number(m[2]) * (m[1] === 'D' ? 1440 : m[1] === 'H' ? 60 : 1);
}

export function encodeElementAscii(e: ElementValue): string[] {
  switch (e.kind) {
    case 'number':
      return [identifierOf(e.id), numberText(e.id, e.definition, e.value)];
    case 'fiveMinute': {
      const format = fiveMinuteFormat(e.id);
      const info = elementInfo(e.id);
      if (format === undefined || info === undefined) throw new Sl651Error('encode', `element ${elementHex(e.id)} is not F4..FC`);
      if (e.values.length !== FIVE_MINUTE.count) throw new Sl651Error('encode', `element ${elementHex(e.id)}: an hour has twelve 5-minute values, got ${e.values.length}`);
      const hex = e.values.map((v) => fiveMinuteRaw(e.id, format, v).toString(16).toUpperCase().padStart(format.bytes * 2, '0')).join('');
      return [info.ascii, hex];
    }
    case 'stepSeries':
      return [stepToken(e.stepMinutes), identifierOf(e.id), ...e.values.map((v) => numberText(e.id, e.definition, v))];
    case 'raw':
      return [String.fromCharCode(...e.bytes)];
  }
}

function numberFromText(id: ElementId, text: string | undefined): { value: number | null; definition: number } {
  const bytes = valueBytes(elementInfo(id)?.definition ?? 0);
  if (text === MISSING) return { value: null, definition: elementInfo(id)?.definition ?? 0 };
  const m = text === undefined ? null : NUMBER.exec(text);
  if (m === null) throw new Sl651Error('element', `element ${elementHex(id)}: ${JSON.stringify(text)} is not a number`);
  const fraction = m[3] ?? '';
  const definition = definitionOf(bytes, fraction.length);
  return { value: unscale(id, m[1] === '-', (m[2] ?? '') + fraction, fraction.length), definition };
}

function fiveMinuteFromText(id: number, text: string | undefined): ElementValue {
  const format = fiveMinuteFormat(id);
  const width = (format?.bytes ?? 1) * 2;
  if (format === undefined || text === undefined || !new RegExp(`^[0-9A-Fa-f]{${width * FIVE_MINUTE.count}}$`).test(text)) {
    throw new Sl651Error('element', `element ${elementHex(id)}: twelve values of ${width} hex digits expected`);
  }
  const values = Array.from({ length: FIVE_MINUTE.count }, (_, i) => {
    const raw = parseInt(text.slice(i * width, (i + 1) * width), 16);
    return raw === format.missing ? null : raw / format.scale;
  });
  return { kind: 'fiveMinute', id, definition: elementInfo(id)?.definition ?? 0, values };
}

/** One group's elements from `tokens[at]` to the next `TT` or the end. */
export function decodeElementsAscii(tokens: readonly string[], at: number): { elements: ElementValue[]; next: number } {
  const elements: ElementValue[] = [];
  let p = at;
  const groupEnds = (): boolean => p >= tokens.length || tokens[p] === GROUP;
  while (!groupEnds()) {
    const token = tokens[p++] ?? '';
    const step = stepFromToken(token);
    const id = elementIdOfAscii(token);
    const form = id === undefined ? undefined : elementInfo(id)?.form;
    if (step !== undefined) {
      const seriesId = elementIdOfAscii(tokens[p++] ?? '');
      if (seriesId === undefined || elementInfo(seriesId)?.form !== 'bcd') throw new Sl651Error('element', `the time step ${token} is not followed by a number element`);
      const values: (number | null)[] = [];
      let definition = elementInfo(seriesId)?.definition ?? 0;
      while (!groupEnds()) {
        const v = numberFromText(seriesId, tokens[p++]);
        if (v.value !== null) definition = v.definition;
        values.push(v.value);
      }
      elements.push({ kind: 'stepSeries', stepMinutes: step, id: seriesId, definition, values });
    } else if (id !== undefined && form === 'fiveMinute') {
      elements.push(fiveMinuteFromText(id, tokens[p++]));
    } else if (id !== undefined && form === 'bcd') {
      const v = numberFromText(id, tokens[p++]);
      elements.push({ kind: 'number', id, definition: v.definition, value: v.value });
    } else {
      const value = groupEnds() ? '' : ` ${tokens[p++] ?? ''}`;
      elements.push({ kind: 'raw', id: 0, definition: 0, bytes: Uint8Array.from(token + value, (c) => c.charCodeAt(0)) });
    }
  }
  return { elements, next: p };
}
