/**
 * SL 651-2014 (水文监测数据通信规约) message model shared by the codec, the uplink and the centre simulator. Pure types
 * and constants: no I/O. Times are UTC milliseconds here; the codec turns them into the station's local time (Beijing,
 * UTC+8, unless a centre is configured otherwise) on the wire.
 */

/** The standard's transmission control characters (SL 651-2014 §6.3). */
export const CONTROL = {
  /** ASCII frame start. The HEX/BCD frame starts with `7E 7E`. */
  SOH: 0x01,
  /** Body starts (a message in one packet). */
  STX: 0x02,
  /** Body starts, a packet of a multi-packet message (followed by 3 bytes: 12 bits total, 12 bits sequence). */
  SYN: 0x16,
  /** End of the message, nothing follows. */
  ETX: 0x03,
  /** End of a packet, more packets follow. */
  ETB: 0x17,
  /** A query: the other side is to answer. */
  ENQ: 0x05,
  /** Positive confirmation, go on sending. */
  ACK: 0x06,
  /** Negative confirmation: send again. */
  NAK: 0x15,
  /** Confirmed, end of transmission: the station may hang up. */
  EOT: 0x04,
  /** Confirmed, end of transmission: the station stays on line. */
  ESC: 0x1b,
} as const;

export type EndMark = 'ETX' | 'ETB' | 'ENQ' | 'ACK' | 'NAK' | 'EOT' | 'ESC';
export type Sl651Encoding = 'hex' | 'ascii';
export type Direction = 'up' | 'down';

/** Function codes (功能码) the box sends, answers or understands. */
export const FN = {
  /** 链路维持报: keep-alive, head only, no confirmation. */
  keepAlive: 0x2f,
  /** 测试报 */
  test: 0x30,
  /** 均匀时段水文信息报 */
  uniform: 0x31,
  /** 遥测站定时报 */
  timed: 0x32,
  /** 遥测站加报报 */
  added: 0x33,
  /** 遥测站小时报 */
  hourly: 0x34,
  /** 遥测站人工置数报 */
  manual: 0x35,
  /** 中心站查询遥测站实时数据 */
  queryRealtime: 0x37,
  /** 中心站查询遥测站时段数据 */
  queryPeriod: 0x38,
  /** 中心站查询遥测站指定要素数据 */
  queryElements: 0x3a,
  /** 设置遥测站时钟 */
  setClock: 0x4a,
  /** 查询遥测站时钟 */
  queryClock: 0x51,
} as const;

/** Station classification codes (测站分类码); the HEX code is the ASCII letter's byte. */
export const STATION_TYPE = {
  /** 降水 */
  rain: 0x50, // 'P'
  /** 河道 */
  river: 0x48, // 'H'
  /** 水库（湖泊） */
  reservoir: 0x4b, // 'K'
  /** 闸坝 */
  sluice: 0x5a, // 'Z'
  /** 泵站 */
  pump: 0x44, // 'D'
  /** 潮汐 */
  tide: 0x54, // 'T'
  /** 墒情 */
  soil: 0x4d, // 'M'
  /** 地下水 */
  groundwater: 0x47, // 'G'
  /** 水质 */
  quality: 0x51, // 'Q'
  /** 取水口 */
  intake: 0x49, // 'I'
  /** 排水口 */
  outlet: 0x4f, // 'O'
} as const;

/** One frame on the wire, either direction, decoded down to its body. */
export interface Sl651Frame {
  readonly encoding: Sl651Encoding;
  readonly direction: Direction;
  /** 中心站地址, 0..255. */
  readonly centre: number;
  /** 遥测站地址: 10 hex digits, upper case. */
  readonly station: string;
  /** 密码, 0..0xFFFF. */
  readonly password: number;
  readonly fn: number;
  /** Multi-packet position (SYN start); absent for a message in one packet (STX start). 1-based. */
  readonly packet?: { readonly total: number; readonly seq: number };
  /**
   * The message body between the start mark (and the packet header) and the end mark: serial, send time, the rest.
   * HEX frames: bytes; ASCII frames: the ASCII characters as bytes.
   */
  readonly body: Uint8Array;
  readonly end: EndMark;
}

/** Every message body starts with these two (a keep-alive, a confirmation, a clock query are nothing else). */
export interface MessageHead {
  /** 流水号, 1..65535 (0 is used by some centres in confirmations). */
  readonly serial: number;
  /** 发报时间, UTC ms (seconds on the wire). */
  readonly sentAt: number;
}

/**
 * An element identifier: one byte for the standard's elements (`0x39` water level), `0xFF00 | sub` for the extended
 * `FF sub` identifiers some provinces use.
 */
export type ElementId = number;

/** One element of a report, as it travels. */
export type ElementValue =
  /** A number element: `id`, definition byte (high 5 bits: bytes, low 3 bits: decimals), BCD value; null = all `FF`. */
  | { readonly kind: 'number'; readonly id: ElementId; readonly definition: number; readonly value: number | null }
  /**
   * F4 (1 小时内每 5 分钟时段雨量, twelve 1-byte HEX values, 0.1 mm → mm) and F5..FC (1 小时内 5 分钟间隔相对水位 1..8,
   * twelve 2-byte HEX values, cm → m): null = `FF`/`FFFF`.
   */
  | { readonly kind: 'fiveMinute'; readonly id: number; readonly definition: number; readonly values: readonly (number | null)[] }
  /**
   * `04 18 DDHHmm` (时间步长码) followed by one element whose values repeat at that step to the end of the group
   * (均匀时段报 and the answer to a period query).
   */
  | { readonly kind: 'stepSeries'; readonly stepMinutes: number; readonly id: ElementId; readonly definition: number; readonly values: readonly (number | null)[] }
  /** An element the codec does not understand: kept as its bytes, counted by the caller. */
  | { readonly kind: 'raw'; readonly id: ElementId; readonly definition: number; readonly bytes: Uint8Array };

/** `F0 F0` observation time and the elements under it; a body may carry several (e.g. 小时报 with rain and level). */
export interface ObservationGroup {
  /** 观测时间, UTC ms (minutes on the wire). */
  readonly observedAt: number;
  readonly elements: readonly ElementValue[];
}

/** Bodies of 31..35 and of the answers to 37, 38 and 3A: `F1 F1` station, type, then observation groups. */
export interface ReportMessage extends MessageHead {
  readonly station: string;
  readonly stationType: number;
  readonly groups: readonly ObservationGroup[];
}

/** The answers to 4A (clock set) and 51 (clock query): head (its send time is the station's clock) and `F1 F1` station. */
export interface StationAddressMessage extends MessageHead {
  readonly station: string;
}

/** 38 downlink: a period query (起始时间 and 结束时间 to the hour, 时间步长码, one element identifier). */
export interface PeriodQueryMessage extends MessageHead {
  /** UTC ms of the first hour asked (YYMMDDHH on the wire). */
  readonly from: number;
  /** UTC ms of the last hour asked, inclusive. */
  readonly to: number;
  readonly stepMinutes: number;
  readonly id: ElementId;
  readonly definition: number;
}

/** What the codec needs to know of a link besides the frame: the wire's local time. */
export interface WireOptions {
  /** The station clock's offset from UTC in minutes; default 480 (Beijing). */
  readonly utcOffsetMinutes?: number;
}

/** Why a frame or body could not be decoded: a counted error, never a crash. */
export type Sl651ErrorCode =
  | 'start' // no 7E7E / SOH
  | 'truncated' // fewer bytes than the length field says
  | 'length' // length field and frame disagree, or over 4095
  | 'end' // unknown end mark
  | 'crc' // CRC mismatch
  | 'password' // a frame with the wrong password (checked by the link, not the codec)
  | 'address' // a frame for another station or centre (checked by the link)
  | 'element' // an element that cannot be decoded (bad BCD, length overruns the body)
  | 'body' // a body that does not fit its function's layout
  | 'encode'; // a value that cannot be encoded

export class Sl651Error extends Error {
  constructor(
    readonly code: Sl651ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'Sl651Error';
  }
}
