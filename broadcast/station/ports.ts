/** What the station is handed by whoever builds it: nothing of the daemon, only these. */

/** Now, UTC ms. */
export type StationClock = () => number;

/** Structured log lines `{event: 'station.…', …}`; a pino logger is one. */
export interface StationLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Switches an amplifier relay; resolves once it is done (or failed: the owner of the relays reports that).
 * The station calls it with `true` when the first speaker on that relay starts and `false` when the last stops.
 */
export type Amplifier = (relay: string, on: boolean) => Promise<void>;

export type StationPlayOutcome = 'played' | 'interrupted' | 'failed';

export interface StationPlayRequest {
  /** ALSA device or `file:/abs/path.wav`. */
  readonly device: string;
  readonly signal: AbortSignal;
  /** Runs before the sound starts (the amplifier on); a throw fails the play. */
  readonly before: () => Promise<void>;
  /** Runs after, whatever happened, once `before` ran (the amplifier off). */
  readonly after: () => void;
}

/** Rendering and playing audio (espeak-ng, sox, aplay/ffmpeg through drivers/audio in the box). */
export interface StationAudio {
  /** A WAV of spoken text, after a siren tone when one is named; rejects when a part cannot be rendered. */
  renderSpeech(req: { readonly text: string; readonly sirenPattern?: string; readonly voice?: string; readonly rate?: number }): Promise<string>;
  /** Never rejects: every problem is `failed` with an error; a `before`/`after` problem is `hookError`. */
  play(wav: string, req: StationPlayRequest): Promise<{ readonly outcome: StationPlayOutcome; readonly error?: string; readonly hookError?: string }>;
}
