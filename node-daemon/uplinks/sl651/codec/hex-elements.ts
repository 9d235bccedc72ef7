import { bcdDigits, packBcd } from './bcd.js';
import { elementHex, elementInfo } from './elements.js';
import { FIVE_MINUTE, fiveMinuteFormat, fiveMinuteRaw, scaleNumber, stepDigits, stepFromDigits, unscale, valueBytes, valueDecimals } from './element-value.js';
import { Sl651Error, type ElementId, type ElementValue } from './model.js';

/** Elements in the HEX encoding: `id definition value`, `FF sub definition value`, F4/F5..FC, and `04 18 DDHHmm`. */
const EXTENDED = 0xff;
const STEP_ID = 0x04;
const STEP_DEFINITION = 0x18;
const GROUP_MARK = 0xf0;

function pushId(id: ElementId, definition: number, out: number[]): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffff || (id > 0xff && id >> 8 !== EXTENDED) || id === EXTENDED) {
    throw new Sl651Error('encode', `element id ${id} is neither one byte nor FF00|sub`);
  }
  if (!Number.isInteger(definition) || definition < 0 || definition > 0xff) throw new Sl651Error('encode', `definition ${definition} is not a byte`);
  if (id > 0xff) out.push(EXTENDED, id & 0xff, definition);
  else out.push(id, definition);
}

function pushValue(id: ElementId, definition: number, value: number | null, out: number[]): void {
  const bytes = valueBytes(definition);
  if (bytes === 0) throw new Sl651Error('encode', `element ${elementHex(id)}: definition ${definition} has no value bytes`);
  if (value === null) {
    for (let i = 0; i < bytes; i++) out.push(0xff);
    return;
  }
  const s = scaleNumber(id, definition, value);
  if (s.negative) out.push(0xff, ...packBcd(s.magnitude.padStart((bytes - 1) * 2, '0')));
  else out.push(...packBcd(s.magnitude.padStart(bytes * 2, '0')));
}

export function encodeElementHex(e: ElementValue, out: number[]): void {
  switch (e.kind) {
    case 'number':
      pushId(e.id, e.definition, out);
      pushValue(e.id, e.definition, e.value, out);
      return;
    case 'fiveMinute': {
      const format = fiveMinuteFormat(e.id);
      if (format === undefined) throw new Sl651Error('encode', `element ${elementHex(e.id)} is not F4..FC`);
      if (e.values.length !== FIVE_MINUTE.count) throw new Sl651Error('encode', `element ${elementHex(e.id)}: an hour has twelve 5-minute values, got ${e.values.length}`);
      pushId(e.id, e.definition, out);
      for (const v of e.values) {
        const raw = fiveMinuteRaw(e.id, format, v);
        if (format.bytes === 2) out.push(raw >> 8);
        out.push(raw & 0xff);
      }
      return;
    }
    case 'stepSeries':
      out.push(STEP_ID, STEP_DEFINITION, ...packBcd(stepDigits(e.stepMinutes)));
      pushId(e.id, e.definition, out);
      for (const v of e.values) pushValue(e.id, e.definition, v, out);
      return;
    case 'raw':
      pushId(e.id, e.definition, out);
      out.push(...e.bytes);
  }
}

/** Reads one group's elements from `at` to the next `F0 F0` or the end of `body`. */
export function decodeElementsHex(body: Uint8Array, at: number): { elements: ElementValue[]; next: number } {
  const elements: ElementValue[] = [];
  let p = at;
  const take = (n: number, what: string): Uint8Array => {
    if (p + n > body.length) throw new Sl651Error('element', `${what} needs ${n} bytes at ${p}, the body ends at ${body.length}`);
    const out = body.subarray(p, p + n);
    p += n;
    return out;
  };
  const groupEnds = (): boolean => p >= body.length || (body[p] === GROUP_MARK && body[p + 1] === GROUP_MARK);
  const header = (): { id: ElementId; definition: number } => {
    const [first] = take(1, 'an element id');
    const id = first === EXTENDED ? 0xff00 | (take(1, 'an extended id')[0] ?? 0) : (first ?? 0);
    return { id, definition: take(1, `element ${elementHex(id)}'s definition`)[0] ?? 0 };
  };
  const numberAt = (id: ElementId, definition: number): number | null => {
    const bytes = valueBytes(definition);
    if (bytes === 0) throw new Sl651Error('element', `element ${elementHex(id)}: definition ${definition} has no value bytes`);
    const v = take(bytes, `element ${elementHex(id)}'s value`);
    if (v.every((b) => b === 0xff)) return null;
    const negative = v[0] === 0xff;
    return unscale(id, negative, bcdDigits(negative ? v.subarray(1) : v, 'element', `element ${elementHex(id)}`), valueDecimals(definition));
  };

  while (!groupEnds()) {
    const { id, definition } = header();
    const fiveMinute = fiveMinuteFormat(id);
    if (id === STEP_ID && definition === STEP_DEFINITION) {
      const stepMinutes = stepFromDigits(bcdDigits(take(3, 'the time step'), 'element', 'the time step'));
      const series = header();
      const values: (number | null)[] = [];
      while (!groupEnds()) values.push(numberAt(series.id, series.definition));
      elements.push({ kind: 'stepSeries', stepMinutes, id: series.id, definition: series.definition, values });
    } else if (fiveMinute !== undefined) {
      const v = take(FIVE_MINUTE.count * fiveMinute.bytes, `element ${elementHex(id)}'s twelve values`);
      const values = Array.from({ length: FIVE_MINUTE.count }, (_, i) => {
        const raw = fiveMinute.bytes === 2 ? ((v[2 * i] ?? 0) << 8) | (v[2 * i + 1] ?? 0) : (v[i] ?? 0);
        return raw === fiveMinute.missing ? null : raw / fiveMinute.scale;
      });
      elements.push({ kind: 'fiveMinute', id, definition, values });
    } else if (elementInfo(id)?.form === 'bcd') {
      elements.push({ kind: 'number', id, definition, value: numberAt(id, definition) });
    } else {
      elements.push({ kind: 'raw', id, definition, bytes: take(valueBytes(definition), `element ${elementHex(id)}'s value`).slice() });
    }
  }
  return { elements, next: p };
}
