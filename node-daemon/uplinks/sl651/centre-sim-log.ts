import { elementInfo } from './codec/elements.js';
import type { ElementId, ElementValue, ObservationGroup, ReportMessage } from './codec/model.js';
import { functionName, stationTypeName } from './codec/names.js';

/**
 * The centre simulator's log lines, pure: decoded SL 651-2014 messages turned into the JSON objects it prints, one
 * per line (the field list is in centre-sim.ts's header and in `fenghuo sim --help`).
 */

/** What a log line may hold: JSON, nothing else. */
export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };
export type JsonObject = { readonly [key: string]: Json };

/** Upper-case hex of bytes, no separators: `7E7E01…`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
}

/** A function code as the standard writes it: two hex digits (`32`, `2F`). */
export function fnCode(fn: number): string {
  return fn.toString(16).toUpperCase().padStart(2, '0');
}

/** An element identifier as the standard writes it: `39`, `F5`, or `FF0A` for the extended `FF sub` ones. */
export function elementCode(id: ElementId): string {
  return id.toString(16).toUpperCase().padStart(id > 0xff ? 4 : 2, '0');
}

/** Parses `39` / `f5` / `FF0A` back to an ElementId; undefined when it is not one. */
export function parseElementCode(text: string): ElementId | undefined {
  if (!/^(?:[0-9A-Fa-f]{2}|[Ff]{2}[0-9A-Fa-f]{2})$/.test(text)) return undefined;
  return Number.parseInt(text, 16);
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** UTC ms as ISO 8601 in the wire's local time: `2026-12-06T10:00:00+08:00` (offset in minutes east of UTC). */
export function localIso(utcMs: number, utcOffsetMinutes: number): string {
  const d = new Date(utcMs + utcOffsetMinutes * 60_000);
  const sign = utcOffsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(utcOffsetMinutes);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** The function's Chinese name (未知功能码 (XX) for one the standard does not list). */
export function fnName(fn: number): string {
  return functionName(fn);
}

/** 测站分类码 as its letter (`H`) when it is a printable ASCII letter, else as two hex digits. */
export function stationTypeCode(code: number): string {
  return code >= 0x41 && code <= 0x5a ? String.fromCharCode(code) : fnCode(code);
}

function info(id: ElementId): { name: string | null; unit: string | null; ascii: string | null } {
  const e = elementInfo(id);
  return { name: e?.name ?? null, unit: e?.unit ?? null, ascii: e?.ascii ?? null };
}

/** One decoded element as logged: `{"id":"39","name":"瞬时河道水位、潮位","unit":"m","value":3.512}`. */
export function elementJson(e: ElementValue): JsonObject {
  const { name, unit, ascii } = info(e.id);
  const common = { id: elementCode(e.id), ascii, name, unit };
  switch (e.kind) {
    case 'number':
      return { ...common, value: e.value };
    case 'fiveMinute':
      return { ...common, values: [...e.values] };
    case 'stepSeries':
      return { ...common, stepMinutes: e.stepMinutes, values: [...e.values] };
    case 'raw':
      return { ...common, definition: fnCode(e.definition), raw: toHex(e.bytes) };
  }
}

/** An observation group as logged: `{"observed":"…+08:00","elements":[…]}`. */
export function groupJson(g: ObservationGroup, utcOffsetMinutes: number): JsonObject {
  return { observed: localIso(g.observedAt, utcOffsetMinutes), elements: g.elements.map(elementJson) };
}

/**
 * The report fields of a `frame` or `answer` line: station type, the first group's observation time and elements,
 * and `groups` (every group) only when there are several.
 */
export function reportFields(r: ReportMessage, utcOffsetMinutes: number): JsonObject {
  const first = r.groups[0];
  return {
    stationType: stationTypeCode(r.stationType),
    stationTypeName: stationTypeName(r.stationType),
    observed: first ? localIso(first.observedAt, utcOffsetMinutes) : null,
    elements: first ? first.elements.map(elementJson) : [],
    ...(r.groups.length > 1 ? { groups: r.groups.map((g) => groupJson(g, utcOffsetMinutes)) } : {}),
  };
}

/**
 * Remembers (station, fn, serial, observation time) of the messages logged in this run: a station that did not get
 * its confirmation sends the same message again, and the line says `"duplicate":true`.
 */
export class DuplicateBook {
  private readonly seen = new Set<string>();

  /** Whether this message was seen before; records it either way. */
  check(station: string, fn: number, serial: number, observedAt: number | null): boolean {
    const key = `${station}/${fn}/${serial}/${observedAt ?? ''}`;
    if (this.seen.has(key)) return true;
    this.seen.add(key);
    return false;
  }
}
