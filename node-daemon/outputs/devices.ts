import type { IoBoard } from '../../drivers/io-board/io-board.js';
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
  const ioBoard = cfg.ioBoard ? ioBoardFrom(cfg.ioBoard, log) : undefined;
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

function ioBoardFrom(cfg: IoBoardConfig, log: Logger): IoBoard {
  return new JohnnyFiveBoard({
    path: cfg.path,
    baudRate: cfg.baudRate,
    relays: Object.entries(cfg.relays).map(([name, pin]) => ({ name, pin })),
    inputs: Object.entries(cfg.inputs).map(([name, input]) => ({
      name,
      pin: input.pin,
      pullup: input.pullup,
      ...(input.activeLow === undefined ? {} : { activeLow: input.activeLow }),
      debounceMs: input.debounceMs,
    })),
    confirmTimeoutMs: cfg.confirmTimeoutMs,
    heartbeatMs: cfg.heartbeatMs,
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
    requireReply: cfg.requireReply,
    replyTimeoutMs: cfg.replyTimeoutMs,
    logger: log.child({ device: `led:${cfg.id}` }),
  });
}
