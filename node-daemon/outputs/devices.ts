import { Observable } from 'rxjs';
import type { IoBoard } from '../../drivers/io-board/io-board.js';
import { JohnnyFiveBoard } from '../../drivers/io-board/johnny-five-board.js';
import { BxBoard } from '../../drivers/led/bx-board.js';
import type { LedBoard } from '../../drivers/led/led-board.js';
import type { IoBoardConfig, LedBoardConfig, OutputsConfig } from '../config/outputs-schema.js';
import type { Logger } from '../core/log.js';
import type { Module } from '../core/module.js';

/** One tipping-bucket activation batch from an I/O board input (role rain_gauge), for the rule engine. */
export interface RainTips {
  readonly gaugeId: string;
  readonly ts: number;
  readonly tips: number;
}

/** A press of an input with role manual_alarm. */
export interface ButtonPress {
  readonly input: string;
  readonly ts: number;
}

export interface OutputDevices {
  readonly ioBoard?: IoBoard;
  /** Relay name → pin, as configured. */
  readonly relays: Readonly<Record<string, number>>;
  readonly ledBoards: readonly { readonly id: string; readonly board: LedBoard }[];
  /** Bucket tips of every rain_gauge input, keyed by the input's name (the gauge id in alarms.sites[].rainfall). */
  readonly rainTips$: Observable<RainTips>;
  readonly buttonPress$: Observable<ButtonPress>;
  /** Opens the I/O board first thing and closes every device last (LED boards open on first use). */
  readonly module: Module;
}

/**
 * Builds the output drivers from `outputs`. No policy here: which relay sounds when is dispatch's business.
 * The I/O board is started with the daemon so that its reconnect loop runs from the first second.
 */
export function buildOutputDevices(cfg: OutputsConfig, log: Logger): OutputDevices {
  const ioBoard = cfg.ioBoard ? ioBoardFrom(cfg.ioBoard, log) : undefined;
  const ledBoards = cfg.ledBoards.map((b) => ({ id: b.id, board: ledBoardFrom(b, log) }));
  const inputs = Object.entries(cfg.ioBoard?.inputs ?? {});
  const activations = (role: string) =>
    new Observable<{ name: string; at: number }>((sub) => {
      if (!ioBoard) return undefined;
      const offs = inputs
        .filter(([, input]) => input.role === role)
        .map(([name, input]) => ioBoard.onInput(input.pin, (ev) => ev.active && sub.next({ name, at: ev.at })));
      return () => offs.forEach((off) => off());
    });
  const rainTips$ = new Observable<RainTips>((sub) => activations('rain_gauge').subscribe(({ name, at }) => sub.next({ gaugeId: name, ts: at, tips: 1 })));
  const buttonPress$ = new Observable<ButtonPress>((sub) => activations('manual_alarm').subscribe(({ name, at }) => sub.next({ input: name, ts: at })));

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
  return { ...(ioBoard ? { ioBoard } : {}), relays: { ...(cfg.ioBoard?.relays ?? {}) }, ledBoards, rainTips$, buttonPress$, module };
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
