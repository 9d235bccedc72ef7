/**
 * Pure decisions of the I/O board driver: logical relay state ↔ physical pin level, what to write when a
 * (re)connected board reports its pins, and rain-gauge counter differences. No I/O here.
 */

/** Physical pin level that gives the logical relay state `on` (an active-low relay is on when its input is LOW). */
export function physicalLevel(on: boolean, activeLow: boolean): 0 | 1 {
  return on !== activeLow ? 1 : 0;
}

/** Logical relay state of a physical pin level. */
export function logicalState(level: number, activeLow: boolean): boolean {
  return (level !== 0) !== activeLow;
}

/** What a PIN_STATE_QUERY answered for a relay pin (undefined: no answer in time). */
export interface PinReadBack {
  readonly mode: number;
  readonly level: number;
}

export interface RelaySyncStep {
  /** The logical state the relay is to have (and the driver's commanded state from now on). */
  readonly on: boolean;
  /** The pin is not an output on the board: send SET_PIN_MODE OUTPUT. */
  readonly setMode: boolean;
  /** Write the level (it differs from the board's, or the board's is unknown). */
  readonly write: boolean;
  /** The board already has the pin as an output at the wanted level: nothing to send, already proven. */
  readonly matched: boolean;
}

const OUTPUT = 0x01;

/**
 * One relay at (re)connect. `want` is what the daemon wants now (undefined: it has not said yet). A relay whose
 * pin is already an output at the wanted level is left alone (no SET_PIN_MODE either: StandardFirmata drives the pin
 * LOW on every SET_PIN_MODE OUTPUT); with no wish, an output keeps the level it has (adopted), anything else
 * becomes an output in the safe (off) state.
 */
export function planRelaySync(want: boolean | undefined, read: PinReadBack | undefined, activeLow: boolean): RelaySyncStep {
  if (read === undefined || read.mode !== OUTPUT) {
    return { on: want ?? false, setMode: true, write: true, matched: false };
  }
  const on = want ?? logicalState(read.level, activeLow);
  const write = physicalLevel(on, activeLow) !== (read.level !== 0 ? 1 : 0);
  return { on, setMode: false, write, matched: !write };
}

/**
 * Tips since the last reading of a board counter that only grows and wraps at 2³². A smaller count with a small
 * gap is a counter that started again (the board lost power): everything it counted since is new.
 */
export function pulseDelta(last: number | undefined, count: number): number {
  if (last === undefined) return 0;
  if (count >= last) return count - last;
  const wrapped = count + 2 ** 32 - last;
  return wrapped < 2 ** 31 ? wrapped : count;
}

/** Heartbeat period that fits a silence limit: the configured one, but never more than a third of the limit. */
export function heartbeatPeriodMs(configuredMs: number, silenceS: number): number {
  if (silenceS <= 0) return configuredMs;
  return Math.max(100, Math.min(configuredMs, Math.floor((silenceS * 1_000) / 3)));
}
