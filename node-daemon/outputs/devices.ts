import type { IoBoard } from '../../drivers/io-board/io-board.js';
import type { RelayRole } from '../../drivers/io-board/fenghuo-sysex.js';
import { JohnnyFiveBoard } from '../../drivers/io-board/johnny-five-board.js';
import { BxBoard } from '../../drivers/led/bx-board.js';
import type { LedBoard } from '../../drivers/led/led-board.js';
import type { IoBoardConfig, LedBoardConfig, OutputsConfig } from '../config/outputs-schema.js';
import type { Logger } from '../core/log.js';
import type { Module } from '../core/module.js';

export interface OutputDevices {
  readonly ioBoard?: IoBoard;
  /** Relay name → pin, as configured. */
  readonly relays: Readonly<Record<string, number>>;
  readonly ledBoards: readonly { readonly id: string; readonly board: LedBoard }[];
  /** Opens the I/O board first thing and closes every device last (LED boards open on first use). */
  readonly module: Module;
}

/**
 * Builds the output drivers from `outputs`. No policy here: which relay sounds when is dispatch's business. The I/O
 * board's inputs (rain gauge, button) are read by `inputs/board-inputs.ts`.
 * The I/O board is started with the daemon so that its reconnect loop runs from the first second.
 */
export function buildOutputDevices(cfg: OutputsConfig, log: Logger): OutputDevices {
  const amplifiers = cfg.speakers.flatMap((s) => (s.amplifierRelay === undefined ? [] : [s.amplifierRelay]));
  const ioBoard = cfg.ioBoard ? ioBoardFrom(cfg.ioBoard, amplifiers, log) : undefined;
  const ledBoards = cfg.ledBoards.map((b) => ({ id: b.id, board: ledBoardFrom(b, log) }));

  const module: Module = {
    name: 'output-devices',
    start: () => {
      ioBoard?.start();
      return Promise.resolve();
    },
    stop: async () => {
      await Promise.allSettled([ioBoard?.stop(), ...ledBoards.map((b) => b.board.close())]);
    },
  };
  return { ...(ioBoard ? { ioBoard } : {}), relays: { ...(cfg.ioBoard?.relays ?? {}) }, ledBoards, module };
}

/**
 * A relay's fail-safe role on a fenghuo board when `relayOptions` does not say: the siren sounds the evacuate
 * pattern, the amplifiers (the one named amplifier, every speaker's amplifierRelay) keep their level while it sounds,
 * anything else (strobe, …) goes safe.
 */
export function defaultRelayRole(name: string, amplifierRelays: readonly string[]): RelayRole {
  if (name === 'siren' || name.startsWith('siren')) return 'siren';
  if (name === 'amplifier' || amplifierRelays.includes(name)) return 'hold';
  return 'plain';
}

function ioBoardFrom(cfg: IoBoardConfig, amplifierRelays: readonly string[], log: Logger): IoBoard {
  const fs = cfg.failsafe;
  return new JohnnyFiveBoard({
    path: cfg.path,
    baudRate: cfg.baudRate,
    relays: Object.entries(cfg.relays).map(([name, pin]) => ({
      name,
      pin,
      activeLow: cfg.relayOptions[name]?.activeLow ?? false,
      role: cfg.relayOptions[name]?.role ?? defaultRelayRole(name, amplifierRelays),
    })),
    inputs: Object.entries(cfg.inputs).map(([name, input]) => ({
      name,
      pin: input.pin,
      pullup: input.pullup,
      ...(input.activeLow === undefined ? {} : { activeLow: input.activeLow }),
      debounceMs: input.debounceMs,
      // the fenghuo board counts tips in its interrupt handler (pins 2 and 3), so none is missed
      counter: input.role === 'rain_gauge',
    })),
    confirmTimeoutMs: cfg.confirmTimeoutMs,
    heartbeatMs: cfg.heartbeatMs,
    handshakeTimeoutMs: cfg.handshakeTimeoutMs,
    firmware: cfg.firmware,
    fenghuo: {
      silenceS: fs.silenceS,
      onMs: fs.evacuateOnMs,
      offMs: fs.evacuateOffMs,
      boundS: fs.boundS,
      heartbeatMs: fs.heartbeatMs,
      pulsePollMs: fs.pulsePollMs,
    },
    logger: log.child({ device: 'io-board' }),
  });
}

function ledBoardFrom(cfg: LedBoardConfig, log: Logger): LedBoard {
  return new BxBoard({
    path: cfg.path,
    baudRate: cfg.baudRate,
    screen: cfg.screen,
    address: cfg.address,
    unit: cfg.protocol === 'bx-6k' ? 'pixel' : 'byte',
    align: cfg.align,
    requireReply: cfg.requireReply,
    replyTimeoutMs: cfg.replyTimeoutMs,
    logger: log.child({ device: `led:${cfg.id}` }),
  });
}
