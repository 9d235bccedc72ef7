/**
 * What the rest of fenghuo needs from the box's I/O co-processor: relays it can switch and prove switched, and
 * digital inputs it can watch. Hardware only: which relay means "siren" and when to sound it is policy, elsewhere.
 */

export type IoBoardErrorCode =
  /** Not connected now (never connected yet, or the line is lost and a reconnect is under way). */
  | 'disconnected'
  /** The line went away while this command was under way; the write may or may not have reached the board. */
  | 'lost'
  /** The pin is not one of the relays / inputs this driver was configured with. */
  | 'invalid_pin'
  /** The driver was stopped. */
  | 'stopped';

export class IoBoardError extends Error {
  constructor(
    readonly code: IoBoardErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'IoBoardError';
  }
}

export type RelayResult =
  /** The board reported the pin as an output at the commanded level. */
  | { readonly confirmed: true }
  /**
   * Written, but not proven: `timeout` = no pin-state answer in time (board silent, line saturated);
   * `mismatch` = the board answered with another level or mode (stuck relay, board reset behind our back).
   */
  | {
      readonly confirmed: false;
      readonly reason: 'timeout' | 'mismatch';
      /** What the board reported, when it reported anything. */
      readonly readBack?: { readonly mode: number; readonly level: number };
    };

export interface RelayState {
  readonly pin: number;
  readonly name?: string;
  /** Last level we sent (it is re-asserted after every reconnect). */
  readonly on: boolean;
  /** Whether the last read-back matched `on`; false until proven, and after a reconnect until re-proven. */
  readonly confirmed: boolean;
  /** UTC ms of the last confirmation, if any. */
  readonly confirmedAt?: number;
}

export interface InputEvent {
  readonly pin: number;
  readonly name?: string;
  /** Debounced electrical level. */
  readonly level: 0 | 1;
  /** Level interpreted through the pin's polarity (pressed, door open, bucket tipping). */
  readonly active: boolean;
  /** UTC ms when the level became stable. */
  readonly at: number;
}

export type InputListener = (ev: InputEvent) => void;

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'lost' | 'stopped';

export type ConnectionEvent = 'connected' | 'lost';

export interface ConnectionInfo {
  /** For `lost`: why. */
  readonly reason?: string;
  readonly at: number;
}

export interface IoBoard {
  /** Opens the line and keeps it open (reconnecting with backoff) until `stop()`. Resolves at once; watch events. */
  start(): void;
  /** Closes the line; pending relay writes reject with `stopped`. Relays are left as they are on the board. */
  stop(): Promise<void>;
  /**
   * Drives a relay and reads its state back from the board. Rejects (IoBoardError) when the command cannot be
   * sent or the line is lost before the answer; resolves `confirmed: false` when sent but not proven.
   */
  setRelay(pin: number, on: boolean): Promise<RelayResult>;
  /** Debounced level changes of one configured input. Returns an unsubscribe function. */
  onInput(pin: number, listener: InputListener): () => void;
  /** Current debounced input, or undefined before the board first reported it. */
  input(pin: number): InputEvent | undefined;
  /** Debounced activations of an input since start (rain gauge tips); kept across reconnects. */
  pulseCount(pin: number): number;
  /** Every configured relay. */
  state(): readonly RelayState[];
  connection(): ConnectionState;
  on(event: ConnectionEvent, listener: (info: ConnectionInfo) => void): () => void;
  /**
   * Where the driver reads, at every (re)connect, the state each relay must have now (undefined: no wish yet). The
   * driver reads the board's pins first and writes only what differs, so a relay that is already right is not
   * touched (no blip when the daemon restarts during an alarm). Returns a function that removes the source.
   */
  desiredFrom?(source: (pin: number) => boolean | undefined): () => void;
  /**
   * Whether an evacuate-level alarm is sounding the sirens now. With the fenghuo firmware the board's evacuate latch
   * follows it (the board sounds the sirens on its own for a bounded time if the daemon dies); otherwise ignored.
   */
  setEvacuate?(armed: boolean): void;
  /** What the board's firmware is and, with the fenghuo firmware, its fail-safe state. */
  firmwareStatus?(): IoBoardFirmwareStatus;
}

export type IoFirmwareSetting = 'standard-firmata' | 'fenghuo' | 'auto';

export type FailsafeStateName = 'host' | 'silent-safe' | 'evacuating' | 'expired';

export interface IoBoardFirmwareStatus {
  /** As configured. */
  readonly configured: IoFirmwareSetting;
  /** Firmware name the board reported at the last connect; null before. */
  readonly reported: string | null;
  /** The fenghuo extensions are in use on the current connection. */
  readonly extensions: boolean;
  /** Last STATUS of a fenghuo board; null with StandardFirmata or before the first answer. */
  readonly failsafe: {
    readonly state: FailsafeStateName;
    /** A heartbeat was seen since the board powered on: silence now means the daemon is gone. */
    readonly armed: boolean;
    /** The board sounds evacuate on its own if the daemon falls silent now. */
    readonly evacuateArmed: boolean;
    readonly watchdogResets: number;
    /** Causes of the board's last reset. */
    readonly resetCause: readonly ('power-on' | 'external' | 'brown-out' | 'watchdog')[];
    readonly uptimeMs: number;
    /** UTC ms of this status. */
    readonly at: number;
  } | null;
}
