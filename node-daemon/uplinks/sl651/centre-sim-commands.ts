import { elementInfo } from './codec/elements.js';
import { FN } from './codec/model.js';
import { parseElementCode } from './centre-sim-log.js';

/**
 * The centre simulator's commands, pure: one JSON object a line on its stdin, each a query the centre sends the
 * station (downlink, end mark ENQ):
 *
 *     {"query":"realtime"}                                           37 查询遥测站实时数据
 *     {"query":"period","from":"2026-12-06T10:00+08:00","to":"2026-12-06T12:00+08:00","stepMinutes":5,"element":"39"}
 *                                                                    38 查询遥测站时段数据 (optional "definition":"23")
 *     {"query":"clock"}                                              51 查询遥测站时钟
 *     {"query":"set-clock","time":"2026-12-06T12:00:00+08:00"}       4A 设置遥测站时钟 (default time: now)
 *
 * Each may name `"station":"0012345678"`: only that station's connection; default, every connected station.
 */
export type QueryCommand =
  | { readonly query: 'realtime'; readonly fn: number; readonly station?: string }
  | { readonly query: 'clock'; readonly fn: number; readonly station?: string }
  | { readonly query: 'set-clock'; readonly fn: number; readonly station?: string; readonly time?: number }
  | {
      readonly query: 'period';
      readonly fn: number;
      readonly station?: string;
      readonly from: number;
      readonly to: number;
      readonly stepMinutes: number;
      readonly element: number;
      readonly definition: number;
    };

export type CommandParse = { readonly ok: true; readonly command: QueryCommand } | { readonly ok: false; readonly reason: string };

function time(value: unknown, what: string): number | string {
  if (typeof value !== 'string') return `"${what}" must be an ISO 8601 time with an offset, e.g. 2026-12-06T10:00+08:00`;
  if (!/(?:Z|[+-]\d{2}:?\d{2})$/.test(value)) return `"${what}": "${value}" has no offset (add +08:00 or Z)`;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? `"${what}": "${value}" is not a time` : ms;
}

/** Parses one stdin line; blank lines are not commands (the caller skips them). */
export function parseCommand(line: string): CommandParse {
  let input: unknown;
  try {
    input = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, reason: 'not a JSON object' };
  const o = input as Record<string, unknown>;
  let station: string | undefined;
  if (o.station !== undefined) {
    if (typeof o.station !== 'string' || !/^[0-9A-Fa-f]{10}$/.test(o.station)) return { ok: false, reason: '"station" must be 10 hex digits' };
    station = o.station.toUpperCase();
  }
  const on = station === undefined ? {} : { station };
  switch (o.query) {
    case 'realtime':
      return { ok: true, command: { query: 'realtime', fn: FN.queryRealtime, ...on } };
    case 'clock':
      return { ok: true, command: { query: 'clock', fn: FN.queryClock, ...on } };
    case 'set-clock': {
      if (o.time === undefined) return { ok: true, command: { query: 'set-clock', fn: FN.setClock, ...on } };
      const t = time(o.time, 'time');
      if (typeof t === 'string') return { ok: false, reason: t };
      return { ok: true, command: { query: 'set-clock', fn: FN.setClock, ...on, time: t } };
    }
    case 'period': {
      const from = time(o.from, 'from');
      if (typeof from === 'string') return { ok: false, reason: from };
      const to = time(o.to, 'to');
      if (typeof to === 'string') return { ok: false, reason: to };
      if (to < from) return { ok: false, reason: '"to" is before "from"' };
      const step = o.stepMinutes;
      if (typeof step !== 'number' || !Number.isInteger(step) || step < 1 || step > 31 * 24 * 60) {
        return { ok: false, reason: '"stepMinutes" must be a positive whole number of minutes' };
      }
      const element = typeof o.element === 'string' ? parseElementCode(o.element) : undefined;
      if (element === undefined) return { ok: false, reason: '"element" must be an element identifier in hex, e.g. "39"' };
      let definition: number | undefined;
      if (o.definition !== undefined) {
        definition = typeof o.definition === 'string' && /^[0-9A-Fa-f]{2}$/.test(o.definition) ? Number.parseInt(o.definition, 16) : undefined;
        if (definition === undefined) return { ok: false, reason: '"definition" must be two hex digits, e.g. "23"' };
      } else {
        definition = elementInfo(element)?.definition;
        if (definition === undefined) return { ok: false, reason: `element ${o.element as string} has no known definition: give "definition", e.g. "23"` };
      }
      return { ok: true, command: { query: 'period', fn: FN.queryPeriod, ...on, from, to, stepMinutes: step, element, definition } };
    }
    default:
      return { ok: false, reason: '"query" must be one of realtime, period, clock, set-clock' };
  }
}
