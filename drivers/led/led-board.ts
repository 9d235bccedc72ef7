/**
 * What the rest of fenghuo needs from an LED text board, whatever protocol it speaks. Device failures are
 * results, not exceptions: an alarm path can always read whether the board took the text.
 */

export type LedEffect = 'static' | 'scroll-left' | 'scroll-up';

/** Horizontal placement of the text in its area. */
export type LedAlign = 'left' | 'center' | 'right';

export interface LedTextOptions {
  /** Board area to write (0 = the first/whole-screen area). */
  readonly area?: number;
  readonly effect?: LedEffect;
  /** 1 = fastest; the protocol maps it onto its own scale. */
  readonly speed?: number;
  /** Part of the screen, in pixels; default the whole screen. */
  readonly region?: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  /** Default: the board's own setting (left unless configured). */
  readonly align?: LedAlign;
}

export type LedErrorCode =
  /** The board did not answer in time (silent, unplugged on the far side, wrong address or baud). */
  | 'timeout'
  /** The serial device could not be opened (absent, busy, no permission). */
  | 'port_unavailable'
  /** The serial device went away while a command was under way. */
  | 'port_lost'
  /** The board answered that it refused the command. */
  | 'refused'
  /** The board's answer could not be understood. */
  | 'bad_reply'
  /** What we were asked to show cannot be sent (characters outside the board's character set, bad geometry). */
  | 'invalid_input'
  /** The driver was closed. */
  | 'closed';

export class LedBoardError extends Error {
  constructor(
    readonly code: LedErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LedBoardError';
  }
}

export type LedResult<T = undefined> =
  | { readonly acknowledged: true; readonly value: T }
  /** Written to the line, but no answer was asked for (so none was waited for). */
  | { readonly acknowledged: false; readonly sent: true; readonly error?: undefined }
  | { readonly acknowledged: false; readonly sent: boolean; readonly error: LedBoardError };

export interface LedBoardStatus {
  readonly screenOn: boolean;
  readonly brightness: number;
}

export interface LedBoard {
  showText(text: string, opts?: LedTextOptions): Promise<LedResult>;
  clear(): Promise<LedResult>;
  /** Whether the board is there and answering. */
  ping(): Promise<LedResult>;
  status(): Promise<LedResult<LedBoardStatus>>;
  close(): Promise<void>;
}
