import { Observable } from 'rxjs';
import type { IoBoard } from '../../drivers/io-board/io-board.js';
import type { IoBoardConfig } from '../config/outputs-schema.js';

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

export interface BoardInputs {
  /** Bucket tips of every rain_gauge input, keyed by the input's name (the gauge id in alarms.sites[].rainfall). */
  readonly rainTips$: Observable<RainTips>;
  readonly buttonPress$: Observable<ButtonPress>;
}

/**
 * The I/O board's inputs (`outputs.ioBoard.inputs`) as streams by role. The board itself is opened and closed with
 * the output devices; without a board both streams stay silent.
 */
export function boardInputs(ioBoard: IoBoard | undefined, cfg: IoBoardConfig | undefined): BoardInputs {
  const inputs = Object.entries(cfg?.inputs ?? {});
  const activations = (role: string) =>
    new Observable<{ name: string; at: number }>((sub) => {
      if (!ioBoard) return undefined;
      const offs = inputs
        .filter(([, input]) => input.role === role)
        .map(([name, input]) => ioBoard.onInput(input.pin, (ev) => ev.active && sub.next({ name, at: ev.at })));
      return () => offs.forEach((off) => off());
    });
  return {
    rainTips$: new Observable<RainTips>((sub) => activations('rain_gauge').subscribe(({ name, at }) => sub.next({ gaugeId: name, ts: at, tips: 1 }))),
    buttonPress$: new Observable<ButtonPress>((sub) => activations('manual_alarm').subscribe(({ name, at }) => sub.next({ input: name, ts: at }))),
  };
}
