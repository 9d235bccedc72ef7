/**
 * Encoder and decoder of the fenghuo-io firmware's Firmata extension (sysex ids 0x01–0x0F, Firmata's user range).
 * Pure functions over byte arrays; the contract is firmware/PROTOCOL.md. Also a small Firmata frame splitter, for
 * talking to a board without firmata-io (tests, diagnostics).
 */

export const FENGHUO_FIRMWARE_NAME = 'fenghuo-io';

export const FENGHUO_SYSEX = {
  HEARTBEAT: 0x01,
  RELAY_CONFIG: 0x02,
  FAILSAFE_CONFIG: 0x03,
  EVACUATE: 0x04,
  PULSE_CONFIG: 0x05,
  PULSE_COUNT: 0x06,
  STATUS: 0x07,
  /** Only in the test build (`-DFENGHUO_TEST_HANG`): hangs the main loop so the watchdog must reset the board. */
  TEST_HANG: 0x0e,
} as const;

const START_SYSEX = 0xf0;
const END_SYSEX = 0xf7;

export type RelayRole = 'plain' | 'siren' | 'hold';
const ROLES: readonly RelayRole[] = ['plain', 'siren', 'hold'];

export interface FenghuoRelayConfig {
  /** The relay module switches on when its input is LOW. */
  readonly activeLow: boolean;
  /**
   * plain: safe when the host falls silent and during the board's own evacuate run; siren: sounds the evacuate
   * pattern in that run; hold: keeps its level during that run (e.g. the siren amplifier's power), safe after it.
   */
  readonly role: RelayRole;
}

export interface FailsafeConfig {
  /** Heartbeat silence that counts as "host gone", 1..16383 s; 0 turns the fail-safe off. */
  readonly silenceS: number;
  readonly onMs: number;
  readonly offMs: number;
  /** Longest the board sounds evacuate on its own, s. */
  readonly boundS: number;
}

export type PulseEdge = 'off' | 'falling' | 'rising';
const EDGES: readonly PulseEdge[] = ['off', 'falling', 'rising'];

export interface PulseConfig {
  readonly edge: PulseEdge;
  /** Edges closer than this to the last counted one are bounce and not counted (0 = count every edge). */
  readonly minGapMs: number;
}

export type FailsafeState = 'host' | 'silent-safe' | 'evacuating' | 'expired';
const STATES: readonly FailsafeState[] = ['host', 'silent-safe', 'evacuating', 'expired'];

export interface BoardStatus {
  /** A heartbeat was seen since power-on: silence now means the host is gone. */
  readonly hostArmed: boolean;
  readonly evacuateArmed: boolean;
  readonly testBuild: boolean;
  readonly state: FailsafeState;
  /** Cause of the last reset (MCUSR). */
  readonly resetCause: { readonly powerOn: boolean; readonly external: boolean; readonly brownOut: boolean; readonly watchdog: boolean };
  /** Watchdog resets since power-on (saturates at 127). */
  readonly watchdogResets: number;
  readonly uptimeMs: number;
  /** How long the board has sounded evacuate on its own, s. */
  readonly evacuateElapsedS: number;
}

export type FenghuoReply =
  | { readonly kind: 'relay-config'; readonly pin: number; readonly config: FenghuoRelayConfig | null }
  | { readonly kind: 'failsafe-config'; readonly config: FailsafeConfig }
  | { readonly kind: 'pulse-config'; readonly pin: number; readonly config: PulseConfig }
  | { readonly kind: 'pulse-count'; readonly pin: number; readonly count: number }
  | { readonly kind: 'status'; readonly status: BoardStatus };

// ---- helpers ----

function u7(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0x7f) throw new RangeError(`${what} ${v} is not 0..127`);
  return v;
}

function u14(v: number, what: string): [number, number] {
  if (!Number.isInteger(v) || v < 0 || v > 0x3fff) throw new RangeError(`${what} ${v} is not 0..16383`);
  return [v & 0x7f, v >> 7];
}

function pulsePin(pin: number): number {
  if (pin !== 2 && pin !== 3) throw new RangeError(`pulse counter pin ${pin} is not 2 (INT0) or 3 (INT1)`);
  return pin;
}

const sysex = (command: number, ...data: number[]): number[] => [START_SYSEX, command, ...data, END_SYSEX];

const read14 = (d: readonly number[], i: number): number => (d[i] ?? 0) | ((d[i + 1] ?? 0) << 7);

/** Five 7-bit groups, least significant first, as an unsigned 32-bit number. */
function read32(d: readonly number[], i: number): number {
  let v = 0;
  for (let k = 4; k >= 0; k--) v = v * 128 + ((d[i + k] ?? 0) & 0x7f);
  return v % 2 ** 32;
}

// ---- encoders: each returns one complete sysex message (F0 … F7) ----

export function encodeHeartbeat(): number[] {
  return sysex(FENGHUO_SYSEX.HEARTBEAT);
}

/** `null` clears the pin's relay configuration (it may then be used as an input). */
export function encodeRelayConfig(pin: number, config: FenghuoRelayConfig | null): number[] {
  u7(pin, 'relay pin');
  if (config === null) return sysex(FENGHUO_SYSEX.RELAY_CONFIG, pin, 0x7f);
  const role = ROLES.indexOf(config.role);
  if (role < 0) throw new RangeError(`relay role ${String(config.role)} is unknown`);
  return sysex(FENGHUO_SYSEX.RELAY_CONFIG, pin, (config.activeLow ? 1 : 0) | (role << 1));
}

export function encodeRelayConfigQuery(pin: number): number[] {
  return sysex(FENGHUO_SYSEX.RELAY_CONFIG, u7(pin, 'relay pin'));
}

export function encodeFailsafeConfig(c: FailsafeConfig): number[] {
  return sysex(
    FENGHUO_SYSEX.FAILSAFE_CONFIG,
    ...u14(c.silenceS, 'silenceS'),
    ...u14(c.onMs, 'onMs'),
    ...u14(c.offMs, 'offMs'),
    ...u14(c.boundS, 'boundS'),
  );
}

export function encodeFailsafeConfigQuery(): number[] {
  return sysex(FENGHUO_SYSEX.FAILSAFE_CONFIG);
}

export function encodeEvacuate(armed: boolean): number[] {
  return sysex(FENGHUO_SYSEX.EVACUATE, armed ? 1 : 0);
}

export function encodePulseConfig(pin: number, c: PulseConfig): number[] {
  const edge = EDGES.indexOf(c.edge);
  if (edge < 0) throw new RangeError(`pulse edge ${String(c.edge)} is unknown`);
  return sysex(FENGHUO_SYSEX.PULSE_CONFIG, pulsePin(pin), edge, ...u14(c.minGapMs, 'minGapMs'));
}

export function encodePulseCountQuery(pin: number): number[] {
  return sysex(FENGHUO_SYSEX.PULSE_COUNT, pulsePin(pin));
}

export function encodeStatusQuery(): number[] {
  return sysex(FENGHUO_SYSEX.STATUS);
}

/** Accepted only by the test build of the firmware; the release build ignores it. */
export function encodeTestHang(): number[] {
  return sysex(FENGHUO_SYSEX.TEST_HANG, 0x48, 0x41, 0x4e, 0x47); // "HANG"
}

// ---- decoder ----

/**
 * Decodes a reply from the board: `command` is the byte after START_SYSEX, `data` the bytes up to END_SYSEX (what
 * firmata-io's `sysexResponse` handler receives). Returns undefined for anything that is not a fenghuo reply.
 */
export function decodeFenghuoReply(command: number, data: readonly number[]): FenghuoReply | undefined {
  switch (command) {
    case FENGHUO_SYSEX.RELAY_CONFIG: {
      if (data.length < 2) return undefined;
      const flags = data[1]!;
      const role = ROLES[(flags >> 1) & 3];
      if (flags === 0x7f || role === undefined) return { kind: 'relay-config', pin: data[0]!, config: null };
      return { kind: 'relay-config', pin: data[0]!, config: { activeLow: (flags & 1) === 1, role } };
    }
    case FENGHUO_SYSEX.FAILSAFE_CONFIG:
      if (data.length < 8) return undefined;
      return {
        kind: 'failsafe-config',
        config: { silenceS: read14(data, 0), onMs: read14(data, 2), offMs: read14(data, 4), boundS: read14(data, 6) },
      };
    case FENGHUO_SYSEX.PULSE_CONFIG:
      if (data.length < 4) return undefined;
      return {
        kind: 'pulse-config',
        pin: data[0]!,
        config: { edge: EDGES[data[1]!] ?? 'off', minGapMs: read14(data, 2) },
      };
    case FENGHUO_SYSEX.PULSE_COUNT:
      if (data.length < 6) return undefined;
      return { kind: 'pulse-count', pin: data[0]!, count: read32(data, 1) };
    case FENGHUO_SYSEX.STATUS: {
      if (data.length < 11) return undefined;
      const flags = data[0]!;
      const cause = data[2]!;
      return {
        kind: 'status',
        status: {
          hostArmed: (flags & 1) !== 0,
          evacuateArmed: (flags & 2) !== 0,
          testBuild: (flags & 4) !== 0,
          state: STATES[data[1]!] ?? 'host',
          resetCause: {
            powerOn: (cause & 1) !== 0,
            external: (cause & 2) !== 0,
            brownOut: (cause & 4) !== 0,
            watchdog: (cause & 8) !== 0,
          },
          watchdogResets: data[3]!,
          uptimeMs: read32(data, 4),
          evacuateElapsedS: read14(data, 9),
        },
      };
    }
    default:
      return undefined;
  }
}

// ---- Firmata frame splitter ----

export type FirmataFrame =
  | { readonly kind: 'sysex'; readonly command: number; readonly data: number[] }
  | { readonly kind: 'message'; readonly bytes: number[] };

/**
 * Splits a Firmata byte stream from a board into frames: sysex (F0 cmd … F7) and the 3-byte messages a board
 * sends (digital/analog port messages, REPORT_VERSION). Bytes that fit neither are skipped.
 */
export class FirmataFrameReader {
  private buf: number[] = [];
  private inSysex = false;

  push(bytes: Iterable<number>): FirmataFrame[] {
    const out: FirmataFrame[] = [];
    for (const b of bytes) {
      if (b === START_SYSEX) {
        this.inSysex = true;
        this.buf = [];
      } else if (this.inSysex) {
        if (b === END_SYSEX) {
          this.inSysex = false;
          if (this.buf.length > 0) out.push({ kind: 'sysex', command: this.buf[0]!, data: this.buf.slice(1) });
          this.buf = [];
        } else if (b & 0x80) {
          this.inSysex = false; // a broken sysex: start over with this command byte
          this.startMessage(b);
        } else {
          this.buf.push(b);
        }
      } else if (b & 0x80) {
        this.startMessage(b);
      } else if (this.buf.length > 0) {
        this.buf.push(b);
        if (this.buf.length === 3) {
          out.push({ kind: 'message', bytes: this.buf });
          this.buf = [];
        }
      }
    }
    return out;
  }

  private startMessage(b: number): void {
    const kind = b & 0xf0;
    this.buf = kind === 0x90 || kind === 0xe0 || b === 0xf9 ? [b] : [];
  }
}
