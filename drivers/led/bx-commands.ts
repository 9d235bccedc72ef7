import iconv from 'iconv-lite';

/**
 * Payloads of the BX-5K/BX-6K commands this driver uses (pure: no I/O). Every builder has its parser so the
 * simulator reads exactly what the driver writes.
 *
 * What is confirmed and what is a best effort is said next to each field; "confirmed" means a public example frame
 * with a CRC that our framing reproduces byte for byte (see test/led/bx-commands.test.ts).
 */

export interface BxCommandCode {
  readonly cmdGroup: number;
  readonly cmd: number;
}

export const BX_CMD = {
  ping: { cmdGroup: 0xa2, cmd: 0x00 },
  status: { cmdGroup: 0xa1, cmd: 0x02 },
  clear: { cmdGroup: 0xa3, cmd: 0x10 },
  dynamicText: { cmdGroup: 0xa3, cmd: 0x06 },
  /** Reply: command accepted (confirmed by a published ACK frame). */
  ack: { cmdGroup: 0xa0, cmd: 0x00 },
  /** Reply: command refused (best effort: the group is confirmed, the code 01 is not). */
  nack: { cmdGroup: 0xa0, cmd: 0x01 },
} as const satisfies Record<string, BxCommandCode>;

export type BxTextEncoding = 'gb2312' | 'gbk';

export class BxPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BxPayloadError';
  }
}

/**
 * Encodes text for the board. iconv-lite's "gb2312" is really its GBK table, so for GB2312 the result is also
 * checked to stay inside GB2312's double-byte range (lead A1–F7, trail A1–FE): a board with only a GB2312 font
 * would otherwise show garbage for a rare place-name character instead of us reporting it.
 */
export function encodeText(text: string, encoding: BxTextEncoding): Buffer {
  const bytes = iconv.encode(text, 'gbk');
  const unencodable = [...text].filter((ch) => {
    const back = iconv.decode(iconv.encode(ch, 'gbk'), 'gbk');
    return back !== ch || (encoding === 'gb2312' && !isGb2312(iconv.encode(ch, 'gbk')));
  });
  if (unencodable.length > 0) {
    throw new BxPayloadError(
      `text has characters ${encoding.toUpperCase()} cannot carry: ${[...new Set(unencodable)].map((c) => `${c} (U+${c.codePointAt(0)?.toString(16).toUpperCase()})`).join(', ')}`,
    );
  }
  return bytes;
}

export function decodeText(bytes: Uint8Array, _encoding: BxTextEncoding): string {
  // GB2312 is a subset of GBK, so one decoder reads both.
  return iconv.decode(Buffer.from(bytes), 'gbk');
}

function isGb2312(bytes: Buffer): boolean {
  if (bytes.length === 1) return (bytes[0] as number) < 0x80;
  if (bytes.length !== 2) return false;
  const [lead, trail] = [bytes[0] as number, bytes[1] as number];
  return lead >= 0xa1 && lead <= 0xf7 && trail >= 0xa1 && trail <= 0xfe;
}

/** DisplayMode byte. Static (0x01) and left scroll (0x03) are seen in published examples; the rest is best effort. */
export const BX_DISPLAY_MODE = {
  static: 0x01,
  instant: 0x02,
  scrollLeft: 0x03,
  scrollRight: 0x04,
  scrollUp: 0x05,
  scrollDown: 0x06,
} as const;
export type BxDisplayMode = keyof typeof BX_DISPLAY_MODE;

/**
 * RunMode byte (what the board does with the area over time). 0 = loop the content (confirmed as the value of
 * "normal mode"); the others are best effort from the protocol's description.
 */
export const BX_RUN_MODE = {
  loop: 0x00,
  /** Show once, then hold the last page. */
  holdLast: 0x01,
  /** Loop, and stop showing when not refreshed within `timeoutSeconds`. */
  loopUntilTimeout: 0x02,
} as const;
export type BxRunMode = keyof typeof BX_RUN_MODE;

/** Coordinates and widths with bit 15 set are in pixels (6K example); without it, in units of 8 pixels (5K). */
const PIXEL_UNIT_FLAG = 0x8000;

export interface BxDynamicText {
  /** Dynamic area number (0-based; 5K boards have few, 6K up to 32). */
  readonly areaId: number;
  /** Position and size in pixels. x and width must be multiples of 8 when `unit` is 'byte'. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** 'pixel' sets the bit-15 pixel flag on x and width (BX-6K); 'byte' sends them in 8-pixel units (BX-5K). */
  readonly unit: 'pixel' | 'byte';
  readonly displayMode: BxDisplayMode;
  readonly runMode: BxRunMode;
  /** Seconds after which a `loopUntilTimeout` area goes dark if not refreshed. */
  readonly timeoutSeconds: number;
  readonly lineSpacing: number;
  /** true → single line (0x01), false → several lines (0x02). */
  readonly singleLine: boolean;
  /** true → the board wraps lines itself (0x02), false → only at explicit line breaks (0x01). */
  readonly autoWrap: boolean;
  /** ExitMode byte; 0 is what every published example uses. */
  readonly exitMode: number;
  /** Effect speed, board units (1 = fastest is our reading; best effort). */
  readonly speed: number;
  /** StayTime byte, board units (published examples use 5 and 10; unit not confirmed). */
  readonly stayTime: number;
  readonly text: string;
  readonly encoding: BxTextEncoding;
}

/** What the board would put up, as read back from a payload (text already decoded). */
export interface BxDynamicTextArea extends BxDynamicText {
  readonly areaType: number;
  readonly textBytes: Buffer;
}

export interface BxDynamicTextUpdate {
  readonly deleteAreaIds: readonly number[];
  readonly areas: readonly BxDynamicTextArea[];
}

/**
 * Payload of A3 06 (real-time dynamic area), one area. Layout (all confirmed by the published 6K3 frame unless noted):
 *   deleteCount(1)=0, areaCount(1)=1, areaDataLen(2 LE), then the area:
 *   areaType(1)=0, x(2 LE), y(2 LE), width(2 LE), height(2 LE), areaId(1), lineSpacing(1), runMode(1),
 *   timeout(2 LE, s), reserved(3), singleLine(1), newLine(1), displayMode(1), exitMode(1), speed(1), stayTime(1),
 *   textLen(4 LE), text.
 */
export function buildDynamicTextData(area: BxDynamicText): Buffer {
  checkByte('areaId', area.areaId);
  checkByte('lineSpacing', area.lineSpacing);
  checkByte('exitMode', area.exitMode);
  checkByte('speed', area.speed);
  checkByte('stayTime', area.stayTime);
  if (!Number.isInteger(area.timeoutSeconds) || area.timeoutSeconds < 0 || area.timeoutSeconds > 0xffff) {
    throw new BxPayloadError(`timeoutSeconds ${area.timeoutSeconds} is not 0..65535`);
  }
  const text = encodeText(area.text, area.encoding);
  const head = Buffer.alloc(27);
  let o = 0;
  o = head.writeUInt8(0x00, o); // areaType: text/dynamic
  o = head.writeUInt16LE(horizontal('x', area.x, area.unit), o);
  o = head.writeUInt16LE(vertical('y', area.y), o);
  o = head.writeUInt16LE(horizontal('width', area.width, area.unit), o);
  o = head.writeUInt16LE(vertical('height', area.height), o);
  o = head.writeUInt8(area.areaId, o);
  o = head.writeUInt8(area.lineSpacing, o);
  o = head.writeUInt8(BX_RUN_MODE[area.runMode], o);
  o = head.writeUInt16LE(area.timeoutSeconds, o);
  o += 3; // reserved
  o = head.writeUInt8(area.singleLine ? 0x01 : 0x02, o);
  o = head.writeUInt8(area.autoWrap ? 0x02 : 0x01, o);
  o = head.writeUInt8(BX_DISPLAY_MODE[area.displayMode], o);
  o = head.writeUInt8(area.exitMode, o);
  o = head.writeUInt8(area.speed, o);
  o = head.writeUInt8(area.stayTime, o);
  head.writeUInt32LE(text.length, o);
  const areaBytes = Buffer.concat([head, text]);
  const prefix = Buffer.alloc(4);
  prefix.writeUInt8(0, 0); // no areas deleted
  prefix.writeUInt8(1, 1); // one area updated
  prefix.writeUInt16LE(areaBytes.length, 2);
  return Buffer.concat([prefix, areaBytes]);
}

export function parseDynamicTextData(data: Uint8Array, encoding: BxTextEncoding): BxDynamicTextUpdate {
  const buf = Buffer.from(data);
  const need = (at: number, n: number, what: string): void => {
    if (at + n > buf.length) throw new BxPayloadError(`dynamic area payload ends inside ${what} (${buf.length} bytes)`);
  };
  let o = 0;
  need(o, 1, 'delete count');
  const deleteCount = buf.readUInt8(o++);
  need(o, deleteCount, 'deleted area ids');
  const deleteAreaIds = [...buf.subarray(o, o + deleteCount)];
  o += deleteCount;
  need(o, 1, 'area count');
  const areaCount = buf.readUInt8(o++);
  const areas: BxDynamicTextArea[] = [];
  for (let i = 0; i < areaCount; i++) {
    need(o, 2, 'area length');
    const len = buf.readUInt16LE(o);
    o += 2;
    need(o, len, `area ${i}`);
    areas.push(parseArea(buf.subarray(o, o + len), encoding));
    o += len;
  }
  if (o !== buf.length) throw new BxPayloadError(`${buf.length - o} stray bytes after the last area`);
  return { deleteAreaIds, areas };
}

function parseArea(a: Buffer, encoding: BxTextEncoding): BxDynamicTextArea {
  if (a.length < 27) throw new BxPayloadError(`area of ${a.length} bytes is shorter than its 27-byte header`);
  const rawX = a.readUInt16LE(1);
  const rawW = a.readUInt16LE(5);
  const unit = rawX & PIXEL_UNIT_FLAG ? 'pixel' : 'byte';
  const px = (raw: number): number => (raw & PIXEL_UNIT_FLAG ? raw & ~PIXEL_UNIT_FLAG : raw * 8);
  const runByte = a.readUInt8(11);
  const modeByte = a.readUInt8(19);
  const textLen = a.readUInt32LE(23);
  if (27 + textLen !== a.length) throw new BxPayloadError(`text length ${textLen} does not match the area length ${a.length}`);
  const textBytes = Buffer.from(a.subarray(27));
  return {
    areaType: a.readUInt8(0),
    x: px(rawX),
    y: a.readUInt16LE(3),
    width: px(rawW),
    height: a.readUInt16LE(7),
    unit,
    areaId: a.readUInt8(9),
    lineSpacing: a.readUInt8(10),
    runMode: keyOf(BX_RUN_MODE, runByte, 'run mode'),
    timeoutSeconds: a.readUInt16LE(12),
    singleLine: a.readUInt8(17) === 0x01,
    autoWrap: a.readUInt8(18) === 0x02,
    displayMode: keyOf(BX_DISPLAY_MODE, modeByte, 'display mode'),
    exitMode: a.readUInt8(20),
    speed: a.readUInt8(21),
    stayTime: a.readUInt8(22),
    text: decodeText(textBytes, encoding),
    textBytes,
    encoding,
  };
}

/** Data of a board's status reply (A1 02). Best effort: the first bytes are read as below, the rest kept raw. */
export interface BxStatus {
  readonly screenOn: boolean;
  /** 0..15 */
  readonly brightness: number;
  readonly raw: Buffer;
}

export function buildStatusData(status: { screenOn: boolean; brightness: number }): Buffer {
  checkByte('brightness', status.brightness);
  return Buffer.from([status.screenOn ? 0x01 : 0x00, status.brightness]);
}

export function parseStatusData(data: Uint8Array): BxStatus {
  const buf = Buffer.from(data);
  if (buf.length < 2) throw new BxPayloadError(`status reply carries ${buf.length} bytes, expected at least 2`);
  return { screenOn: buf.readUInt8(0) !== 0, brightness: buf.readUInt8(1), raw: buf };
}

function keyOf<T extends Record<string, number>>(table: T, value: number, what: string): keyof T & string {
  for (const [k, v] of Object.entries(table)) if (v === value) return k;
  throw new BxPayloadError(`unknown ${what} 0x${value.toString(16).padStart(2, '0')}`);
}

function checkByte(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new BxPayloadError(`${name} ${v} is not 0..255`);
}

function horizontal(name: string, px: number, unit: 'pixel' | 'byte'): number {
  if (!Number.isInteger(px) || px < 0 || px > 0x7fff) throw new BxPayloadError(`${name} ${px} is not 0..32767 pixels`);
  if (unit === 'pixel') return px | PIXEL_UNIT_FLAG;
  if (px % 8 !== 0) throw new BxPayloadError(`${name} ${px} must be a multiple of 8 pixels when sent in byte units`);
  return px / 8;
}

function vertical(name: string, px: number): number {
  if (!Number.isInteger(px) || px < 0 || px > 0xffff) throw new BxPayloadError(`${name} ${px} is not 0..65535 pixels`);
  return px;
}
