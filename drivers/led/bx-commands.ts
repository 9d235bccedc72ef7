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

/**
 * Area geometry (Onbon "BX-5K/6K通讯协议用户版本" v1.4, 2021-02-28, §9.1 区域数据格式, doc.onbonbx.com/zh/k/potocol, source
 * in github.com/onbonlab/onbonlab.github.io docs/zh/k/potocol.md): AreaX and AreaWidth are in pixels when the top bit
 * of their high byte (bit 15) is set and in bytes (8 pixels) when it is clear; AreaY and AreaHeight are always pixels.
 * The protocol's 6K3 examples (§5.1.1 example 2, §8.2.1 example 8, §9.1 example 9) send `00 80` / `80 80` (x 0 and
 * width 128 px), and so does Onbon's C# demo for every 6K model (github.com/onbonlab/BX-K bx.k.csharp/src/demo/Area.cs:
 * 6K `| 0x8000`, 5K `/ 8`); an Onbon engineer's frame analyser (github.com/strongercjd/Onbon-Protocol-Analysis) reads
 * x/width the same way.
 * Where sources disagree: Onbon's Java sample (github.com/onbonlab/bx.k.java, BxAreaDynamic.java) set bit 15 for every
 * board until commit 46bc87c (2021-11-18, "5代字库卡X坐标和宽度设置无效"), and since then sends 5K x/width in bytes
 * and 6K x/width as plain pixels WITHOUT bit 15 — which a board following §9.1 reads as bytes (8× too far/wide). The
 * Led5kSDK manual (BX-K bx.k.cplus/doc/SdkWord/appendix.md) says all four fields are bytes, which §9.1 and every
 * example contradict for y/height. We follow §9.1: 6K → pixels with bit 15, 5K → bytes (the 2021 Java fix suggests 5K
 * boards ignore the pixel form). `parseDynamicTextData` can also apply the Java sample's plain-pixel reading so the
 * simulator can show what each reading makes of a frame.
 */
const PIXEL_UNIT_FLAG = 0x8000;

/** How a board reads AreaX/AreaWidth: `published` = §9.1 (bit 15 → pixels, else bytes); `plain-pixels` = always pixels. */
export type BxGeometryReading = 'published' | 'plain-pixels';

/**
 * TextAlignment byte (§9.1): bits 1–0 horizontal (00 left = default, 01 right, 10 centre), bits 3–2 vertical (00 top =
 * default, 01 bottom, 10 centre). Same values in a third-party transcription of the 5K protocol
 * (github.com/LuckyKoala/BX5KProtocol BX4K.h, TEXT_ALIGN_*). 11 and the high nibble are undefined.
 */
export const BX_TEXT_ALIGN = { left: 0x00, right: 0x01, center: 0x02 } as const;
export type BxTextAlign = keyof typeof BX_TEXT_ALIGN;
export const BX_VERTICAL_ALIGN = { top: 0x00, bottom: 0x01, middle: 0x02 } as const;
export type BxVerticalAlign = keyof typeof BX_VERTICAL_ALIGN;

/**
 * SoundMode byte (§9.1): 0 no speech, 1 speak the display Data, 2 speak the SoundData that follows. Only voice boards
 * (5K1Q-YY, 6K-YY) act on it; this driver always sends 0.
 */
export const BX_SOUND_MODE = { off: 0x00, speakText: 0x01, speakSoundData: 0x02 } as const;
export type BxSoundMode = keyof typeof BX_SOUND_MODE;

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
  /** Horizontal alignment of the text in the area (TextAlignment bits 1–0); default left, the byte every example sends. */
  readonly align?: BxTextAlign;
  /** Vertical alignment (TextAlignment bits 3–2); default top. */
  readonly verticalAlign?: BxVerticalAlign;
}

/** Speech parameters of a voice board's area (§9.1), present when SoundMode is not 0. Parsed, never built. */
export interface BxAreaSound {
  /** Bits 0–3 speaker (0–5), bits 4–7 repeat count (0–15). */
  readonly personRepeat: number;
  /** 0–10, 0 = mute. */
  readonly volume: number;
  /** 0–10. */
  readonly speed: number;
  /** SoundData (SoundMode 2 only), raw bytes. */
  readonly data?: Buffer;
}

/** What the board would put up, as read back from a payload (text already decoded). */
export interface BxDynamicTextArea extends BxDynamicText {
  readonly areaType: number;
  readonly textBytes: Buffer;
  readonly align: BxTextAlign;
  readonly verticalAlign: BxVerticalAlign;
  readonly soundMode: BxSoundMode;
  readonly sound?: BxAreaSound;
  /** ExtendParaLen: how many extension bytes (TypeSetting, Font_sizes, reserved) preceded TextAlignment. */
  readonly extendParaLen: number;
  readonly extendedParams: Buffer;
  /** AreaX, AreaY, AreaWidth, AreaHeight as sent (before any unit conversion). */
  readonly rawGeometry: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
}

export interface BxDynamicTextUpdate {
  readonly deleteAreaIds: readonly number[];
  readonly areas: readonly BxDynamicTextArea[];
}

/**
 * Payload of A3 06 (real-time dynamic area), one area. Layout (all confirmed by the published 6K3 frame unless noted):
 *   deleteCount(1)=0, areaCount(1)=1, areaDataLen(2 LE), then the area:
 *   areaType(1)=0, x(2 LE), y(2 LE), width(2 LE), height(2 LE), areaId(1), lineSpacing(1), runMode(1),
 *   timeout(2 LE, s), soundMode(1)=0, extendParaLen(1)=0, textAlignment(1), singleLine(1), newLine(1),
 *   displayMode(1), exitMode(1), speed(1), stayTime(1), textLen(4 LE), text.
 * The three bytes after timeout were "reserved" in older SDK manuals (Led5kSDK appendix: Reserved1–3 = 0); the
 * protocol (§9.1) and Onbon's Java sample (bx.k.java BxAreaDynamic.java) name them SoundMode, ExtendParaLen and
 * TextAlignment, with the sound and extension fields present only when those are non-zero. With left/top alignment the
 * bytes are 00 00 00, as before and as in every published example.
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
  o = head.writeUInt8(BX_SOUND_MODE.off, o); // no speech, so no sound fields follow
  o = head.writeUInt8(0, o); // ExtendParaLen 0: no TypeSetting/Font_sizes/reserved bytes follow
  o = head.writeUInt8(alignmentByte(area.align ?? 'left', area.verticalAlign ?? 'top'), o);
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

/**
 * Reads an A3 06 payload as a board would. `geometry` chooses how AreaX/AreaWidth are read (default: as §9.1 says).
 * Throws BxPayloadError for anything a board could not make sense of.
 */
export function parseDynamicTextData(
  data: Uint8Array,
  encoding: BxTextEncoding,
  opts: { readonly geometry?: BxGeometryReading } = {},
): BxDynamicTextUpdate {
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
    areas.push(parseArea(buf.subarray(o, o + len), encoding, opts.geometry ?? 'published'));
    o += len;
  }
  if (o !== buf.length) throw new BxPayloadError(`${buf.length - o} stray bytes after the last area`);
  return { deleteAreaIds, areas };
}

function parseArea(a: Buffer, encoding: BxTextEncoding, geometry: BxGeometryReading): BxDynamicTextArea {
  let o = 0;
  const need = (n: number, what: string): void => {
    if (o + n > a.length) throw new BxPayloadError(`area of ${a.length} bytes ends inside ${what}`);
  };
  const u8 = (what: string): number => {
    need(1, what);
    return a.readUInt8(o++);
  };
  const u16 = (what: string): number => {
    need(2, what);
    o += 2;
    return a.readUInt16LE(o - 2);
  };
  const u32 = (what: string): number => {
    need(4, what);
    o += 4;
    return a.readUInt32LE(o - 4);
  };
  const bytes = (n: number, what: string): Buffer => {
    need(n, what);
    o += n;
    return Buffer.from(a.subarray(o - n, o));
  };
  const areaType = u8('area type');
  const raw = { x: u16('x'), y: u16('y'), width: u16('width'), height: u16('height') };
  // §9.1 gives each of AreaX and AreaWidth its own flag.
  const px = (v: number): number => (geometry === 'plain-pixels' ? v : v & PIXEL_UNIT_FLAG ? v & ~PIXEL_UNIT_FLAG : v * 8);
  const areaId = u8('area id');
  const lineSpacing = u8('line spacing');
  const runMode = keyOf(BX_RUN_MODE, u8('run mode'), 'run mode');
  const timeoutSeconds = u16('timeout');
  const soundMode = keyOf(BX_SOUND_MODE, u8('sound mode'), 'sound mode');
  let sound: BxAreaSound | undefined;
  if (soundMode !== 'off') {
    const personRepeat = u8('sound person/repeat');
    const volume = u8('sound volume');
    const speed = u8('sound speed');
    const data = soundMode === 'speakSoundData' ? bytes(u32('sound data length'), 'sound data') : undefined;
    sound = { personRepeat, volume, speed, ...(data ? { data } : {}) };
  }
  // §9.1 lists TypeSetting (ExtendParaLen > 0), Font_sizes and "Reserved N-1" (both > 1), which would add up to N+1
  // bytes; we read ExtendParaLen bytes in all, as the Onbon analyser does for ExtendParaLen = 1.
  const extendParaLen = u8('extended parameter length');
  const extendedParams = bytes(extendParaLen, 'extended parameters');
  const alignByte = u8('text alignment');
  if (alignByte & 0xf0) throw new BxPayloadError(`text alignment 0x${alignByte.toString(16).padStart(2, '0')} sets undefined bits`);
  const align = keyOf(BX_TEXT_ALIGN, alignByte & 0x03, 'horizontal text alignment');
  const verticalAlign = keyOf(BX_VERTICAL_ALIGN, (alignByte >> 2) & 0x03, 'vertical text alignment');
  const singleLine = u8('single line') === 0x01;
  const autoWrap = u8('new line') === 0x02;
  const displayMode = keyOf(BX_DISPLAY_MODE, u8('display mode'), 'display mode');
  const exitMode = u8('exit mode');
  const speed = u8('speed');
  const stayTime = u8('stay time');
  const textLen = u32('text length');
  if (o + textLen !== a.length) throw new BxPayloadError(`text length ${textLen} does not match the area length ${a.length}`);
  const textBytes = bytes(textLen, 'text');
  return {
    areaType,
    x: px(raw.x),
    y: raw.y,
    width: px(raw.width),
    height: raw.height,
    unit: geometry === 'plain-pixels' || raw.x & PIXEL_UNIT_FLAG ? 'pixel' : 'byte',
    rawGeometry: raw,
    areaId,
    lineSpacing,
    runMode,
    timeoutSeconds,
    soundMode,
    ...(sound ? { sound } : {}),
    extendParaLen,
    extendedParams,
    align,
    verticalAlign,
    singleLine,
    autoWrap,
    displayMode,
    exitMode,
    speed,
    stayTime,
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

function alignmentByte(align: BxTextAlign, vertical: BxVerticalAlign): number {
  const h = BX_TEXT_ALIGN[align];
  const v = BX_VERTICAL_ALIGN[vertical];
  if (h === undefined) throw new BxPayloadError(`unknown text alignment ${String(align)}`);
  if (v === undefined) throw new BxPayloadError(`unknown vertical alignment ${String(vertical)}`);
  return h | (v << 2);
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
