import { Sl651Error, type ElementId, type ElementValue } from './model.js';

/**
 * The element identifiers (要素标识符) the codec understands, after SL 651-2014's table of identifiers: HEX code,
 * ASCII identifier, name, unit, and the standard's definition byte (its N(x,y) format as bytes and decimals). An id
 * not listed here decodes as `raw`. `form` says how the value travels: BCD numbers, the F4/F5..FC hour of 5-minute
 * values, or the 04 time-step code.
 */
export interface ElementInfo {
  readonly hex: string;
  readonly ascii: string;
  readonly name: string;
  readonly unit: string;
  readonly definition: number;
  readonly form: 'bcd' | 'fiveMinute' | 'step';
}

/** The definition byte (引导符后的数据定义): value length in bytes (1..31) and decimals (0..7). */
export function definitionOf(bytes: number, decimals: number): number {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 31) throw new Sl651Error('encode', `an element value has 1..31 bytes, got ${bytes}`);
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 7) throw new Sl651Error('encode', `an element value has 0..7 decimals, got ${decimals}`);
  return (bytes << 3) | decimals;
}

/** The standard's N(digits, decimals) as a definition byte. */
const n = (digits: number, decimals = 0): number => definitionOf(Math.ceil(digits / 2), decimals);

type Row = readonly [id: number, ascii: string, name: string, unit: string, definition: number, form?: ElementInfo['form']];

const ROWS: readonly Row[] = [
  [0x01, 'AC', '断面面积', 'm²', n(8, 2)],
  [0x02, 'AI', '瞬时气温', '℃', n(3, 1)],
  [0x03, 'C', '瞬时水温', '℃', n(3, 1)],
  [0x04, 'DRxnn', '时间步长码', '', 0x18, 'step'],
  [0x05, 'DT', '时段长', 'h.mm', n(5, 2)],
  [0x06, 'ED', '日蒸发量', 'mm', n(5, 1)],
  [0x07, 'EJ', '当前蒸发', 'mm', n(5, 1)],
  [0x08, 'FL', '气压', 'hPa', n(5)],
  [0x09, 'GH', '闸坝、水库闸门开启高度', 'm', n(5, 2)],
  [0x0a, 'GN', '输水设备、闸门(组)编号', '', n(3)],
  [0x0b, 'GS', '输水设备类别', '', n(1)],
  [0x0c, 'GT', '水库、闸坝闸门开启孔数', '孔', n(3)],
  [0x0d, 'GTP', '地温', '℃', n(3, 1)],
  [0x0e, 'H', '地下水瞬时埋深', 'm', n(6, 2)],
  [0x0f, 'HW', '波浪高度', 'm', n(5, 2)],
  [0x10, 'M10', '10 厘米处土壤含水量', '%', n(4, 1)],
  [0x11, 'M20', '20 厘米处土壤含水量', '%', n(4, 1)],
  [0x12, 'M30', '30 厘米处土壤含水量', '%', n(4, 1)],
  [0x13, 'M40', '40 厘米处土壤含水量', '%', n(4, 1)],
  [0x14, 'M50', '50 厘米处土壤含水量', '%', n(4, 1)],
  [0x15, 'M60', '60 厘米处土壤含水量', '%', n(4, 1)],
  [0x16, 'M80', '80 厘米处土壤含水量', '%', n(4, 1)],
  [0x17, 'M100', '100 厘米处土壤含水量', '%', n(4, 1)],
  [0x18, 'MST', '湿度', '%', n(4, 1)],
  [0x19, 'NS', '开机台数', '台', n(3)],
  [0x1a, 'P1', '1 小时时段降水量', 'mm', n(5, 1)],
  [0x1b, 'P2', '2 小时时段降水量', 'mm', n(5, 1)],
  [0x1c, 'P3', '3 小时时段降水量', 'mm', n(5, 1)],
  [0x1d, 'P6', '6 小时时段降水量', 'mm', n(5, 1)],
  [0x1e, 'P12', '12 小时时段降水量', 'mm', n(5, 1)],
  [0x1f, 'PD', '日降水量', 'mm', n(5, 1)],
  [0x20, 'PJ', '当前降水量', 'mm', n(5, 1)],
  [0x21, 'PN01', '1 分钟时段降水量', 'mm', n(5, 1)],
  [0x22, 'PN05', '5 分钟时段降水量', 'mm', n(5, 1)],
  [0x23, 'PN10', '10 分钟时段降水量', 'mm', n(5, 1)],
  [0x24, 'PN30', '30 分钟时段降水量', 'mm', n(5, 1)],
  [0x25, 'PR', '暴雨量', 'mm', n(5, 1)],
  [0x26, 'PT', '降水量累计值', 'mm', n(6, 1)],
  [0x27, 'Q', '瞬时流量、抽水流量', 'm³/s', n(9, 3)],
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((k): Row => [0x27 + k, `Q${k}`, `取(排)水口流量 ${k}`, 'm³/s', n(9, 3)]),
  [0x30, 'QA', '总出库流量、过闸总流量', 'm³/s', n(9, 3)],
  [0x31, 'QZ', '输水设备流量、过闸(组)流量', 'm³/s', n(9, 3)],
  [0x32, 'SW', '输沙量', '万吨', n(11, 3)],
  [0x33, 'UC', '风向', '', n(2)],
  [0x34, 'UE', '风力(级)', '级', n(2)],
  [0x35, 'US', '风速', 'm/s', n(4, 1)],
  [0x36, 'VA', '断面平均流速', 'm/s', n(5, 3)],
  [0x37, 'VJ', '当前瞬时流速', 'm/s', n(5, 3)],
  [0x38, 'VT', '电源电压', 'V', n(4, 2)],
  [0x39, 'Z', '瞬时河道水位、潮位', 'm', n(7, 3)],
  [0x3a, 'ZB', '库(闸、站)下水位', 'm', n(7, 3)],
  [0x3b, 'ZU', '库(闸、站)上水位', 'm', n(7, 3)],
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((k): Row => [0x3b + k, `Z${k}`, `取(排)水口水位 ${k}`, 'm', n(7, 3)]),
  [0x44, 'SQ', '含沙量', 'kg/m³', n(9, 3)],
  [0x46, 'PH', 'pH 值', '', n(4, 2)],
  [0x47, 'DO', '溶解氧', 'mg/L', n(4, 1)],
  [0x48, 'COND', '电导率', 'μS/cm', n(5)],
  [0x49, 'TURB', '浊度', '度', n(3)],
  [0xf4, 'DRP', '1 小时内每 5 分钟时段雨量', 'mm', 0x60, 'fiveMinute'],
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((k): Row => [0xf4 + k, `DRZ${k}`, `1 小时内 5 分钟间隔相对水位 ${k}`, 'm', 0xc0, 'fiveMinute']),
];

const hexOf = (id: ElementId): string => id.toString(16).toUpperCase().padStart(id > 0xff ? 4 : 2, '0');

export const ELEMENTS: Readonly<Record<number, ElementInfo>> = Object.fromEntries(
  ROWS.map(([id, ascii, name, unit, definition, form = 'bcd']) => [id, { hex: hexOf(id), ascii, name, unit, definition, form }]),
);

const BY_ASCII: ReadonlyMap<string, ElementId> = new Map(ROWS.map((r) => [r[1], r[0]]));

export function elementInfo(id: ElementId): ElementInfo | undefined {
  return ELEMENTS[id];
}

/** The id of an ASCII identifier (`Z` → 0x39), undefined when the table does not have it. */
export function elementIdOfAscii(identifier: string): ElementId | undefined {
  return BY_ASCII.get(identifier);
}

/** A number element, its definition the table's unless given (a provincial profile may use another). */
export function numberElement(id: ElementId, value: number | null, definition?: number): ElementValue {
  const def = definition ?? elementInfo(id)?.definition;
  if (def === undefined) throw new Sl651Error('encode', `element ${hexOf(id)} is not in the table: give its definition byte`);
  return { kind: 'number', id, definition: def, value };
}

/** `39` for 0x39, `FF09` for an extended identifier; for logs. */
export function elementHex(id: ElementId): string {
  return hexOf(id);
}
