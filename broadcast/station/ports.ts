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

/** A programme file made ready to play: the WAV to hand to `play`, or why it cannot be played. */
export type PreparedFile =
  | { readonly ok: true; readonly wav: string; readonly converted: boolean }
  | {
      readonly ok: false;
      /** The whole reason, for the journal. */
      readonly error: string;
      /** What the converter said last (ffmpeg's last stderr line), when it ran. */
      readonly detail: string | null;
    };

/** Turns programme files that are not WAV (MP3, M4A/AAC, OGG/Opus, FLAC) into WAVs the player plays. */
export interface ProgrammeFiles {
  /**
   * The WAV for the audio file at the absolute `path`: converted (ffmpeg, low priority) and kept, so the next call
   * for the same unchanged file (same size and mtime) returns at once. Never rejects.
   */
  prepareFile(path: string): Promise<PreparedFile>;
}

/** When the station was last known running (UTC ms), kept across restarts (a small row in the box's database). */
export interface RunningMark {
  /** null: never written (a new box). */
  read(): number | null;
  write(atMs: number): void;
}
