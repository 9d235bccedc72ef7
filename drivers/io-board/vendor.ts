import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';

/**
 * Typed views of the two untyped CommonJS libraries, loaded here and nowhere else so that their quirks stay in
 * this folder. Only the members this driver uses are described.
 */

export interface FirmataPin {
  supportedModes: number[];
  mode?: number;
  value?: number;
  /** Filled by a pin-state response: the output level, or the pull-up flag of an input. */
  state?: number;
  analogChannel?: number;
}

export interface FirmataIo extends EventEmitter {
  readonly MODES: { readonly INPUT: number; readonly OUTPUT: number; readonly PULLUP: number };
  isReady: boolean;
  pins: FirmataPin[];
  /** Local cache of each 8-pin port's output bits; a port write sends the whole byte. */
  ports: number[];
  firmware: { name?: string; version?: { major: number; minor: number } };
  version: { major?: number; minor?: number };
  /** Timer of the one-shot "ask for the version" fallback; it survives a torn-down instance unless cleared. */
  reportVersionTimeoutId?: ReturnType<typeof setTimeout>;
  updateDigitalPort(pin: number, value: number): number;
  writeDigitalPort(port: number): void;
  reportVersion(callback: () => void): void;
}

export interface FirmataOptions {
  /** ms before the client asks for the version itself instead of waiting for the board to announce it. */
  reportVersionTimeout?: number;
}

type FirmataCtor = new (transport: Duplex, options?: FirmataOptions) => FirmataIo;

export interface FiveBoard extends EventEmitter {
  readonly io: FirmataIo;
  isReady: boolean;
  /** johnny-five's connect-timeout timer; it emits "error" later unless cleared. */
  timer: ReturnType<typeof setTimeout> | null;
  pinMode(pin: number, mode: number): this;
  digitalRead(pin: number, listener: (value: number) => void): this;
  queryPinState(pin: number, listener: () => void): this;
}

export interface FiveBoardOptions {
  io: FirmataIo;
  repl: false;
  debug: false;
  /** johnny-five otherwise installs a process-wide SIGINT handler that calls process.reallyExit(). */
  sigint: false;
  /** ms johnny-five waits between "connect" and "ready" before emitting its own error. */
  timeout: number;
  id?: string;
}

interface FiveModule {
  Board: (new (options: FiveBoardOptions) => FiveBoard) & { readonly cache: FiveBoard[] };
}

const require = createRequire(import.meta.url);

/**
 * Loaded on first use, not at import: johnny-five costs ~24 MB of resident memory, which a box without an I/O board
 * (or a process that only imports the daemon) should not pay.
 */
let five: FiveModule | undefined;
let firmata: FirmataCtor | undefined;

/** firmata-io exports a transport binder; the client class hangs off it (the binder itself is not constructible). */
export function firmataCtor(): FirmataCtor {
  firmata ??= (require('firmata-io') as { Firmata: FirmataCtor }).Firmata;
  return firmata;
}

function fiveModule(): FiveModule {
  five ??= require('johnny-five') as FiveModule;
  return five;
}

export function fiveBoardCtor(): FiveModule['Board'] {
  return fiveModule().Board;
}

/** johnny-five keeps every Board ever made in a module-wide array; drop ours so reconnects do not leak. */
export function forgetFiveBoard(board: FiveBoard): void {
  const cache = fiveModule().Board.cache;
  const i = cache.indexOf(board);
  if (i >= 0) cache.splice(i, 1);
}
