import type { ConnectionState, IoBoardFirmwareStatus } from '../../drivers/io-board/io-board.js';
import type { AlarmLevel } from '../alarms/types.js';

/** What `GET /api/v1/outputs` answers. Times are UTC ms; null where nothing happened yet. */

export interface RelaySnapshot {
  readonly name: string;
  readonly pin: number;
  /** Last level commanded (false before the first command). */
  readonly on: boolean;
  /** The board's read-back matched `on`. */
  readonly confirmed: boolean;
  readonly confirmedAt: number | null;
  readonly lastError: string | null;
}

export interface SpeakerSnapshot {
  readonly id: string;
  readonly device: string;
  readonly state: 'idle' | 'playing';
  /** Alarm key of what plays now (an all-clear names the alarm that cleared). */
  readonly alarmKey: string | null;
  readonly level: AlarmLevel | null;
  readonly lastError: string | null;
  /** When the state last changed. */
  readonly at: number | null;
}

export interface LedBoardSnapshot {
  readonly id: string;
  /** Text last sent (null = blank). */
  readonly text: string | null;
  /** The board acknowledged `text`. */
  readonly acknowledged: boolean;
  readonly lastError: string | null;
  /** When the board last answered (or failed to). */
  readonly at: number | null;
}

export interface OutputsSnapshot {
  /** null when the box has no I/O board. */
  readonly ioBoard: {
    readonly connection: ConnectionState;
    /** Which firmware the board runs and, with the fenghuo firmware, its fail-safe state; null if the driver cannot say. */
    readonly firmware: IoBoardFirmwareStatus | null;
  } | null;
  readonly relays: readonly RelaySnapshot[];
  readonly speakers: readonly SpeakerSnapshot[];
  readonly ledBoards: readonly LedBoardSnapshot[];
  /**
   * Per level, whether acknowledging stops the siren and the spoken warning (the current dispatch plans'
   * `silenceOnAck`, live after a settings change): the UI says what 停止鸣响 does without reading the admin-only settings.
   */
  readonly silenceOnAck: { readonly prepare: boolean; readonly evacuate: boolean };
}

/** One change of an output, as the dispatcher's `output$` announces it. */
export type OutputEvent =
  | { readonly type: 'relay'; readonly at: number; readonly relay: RelaySnapshot }
  | { readonly type: 'speaker'; readonly at: number; readonly speaker: SpeakerSnapshot }
  | { readonly type: 'led'; readonly at: number; readonly ledBoard: LedBoardSnapshot };
