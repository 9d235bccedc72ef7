/** Why an audio operation failed, so callers can react without parsing messages. */
export type AudioErrorCode =
  | 'tool-missing' // the binary (espeak-ng, sox, ffmpeg, aplay) is not on PATH
  | 'tool-failed' // the binary ran and exited non-zero
  | 'voice-unknown' // espeak-ng has no such voice
  | 'invalid-pattern' // a siren pattern is malformed or imitates a civil-defence signal
  | 'invalid-wav' // a file is not a PCM WAV we can read
  | 'invalid-input' // bad text, rate or programme settings
  | 'invalid-device'; // a device string we cannot use

export class AudioError extends Error {
  override readonly name = 'AudioError';
  constructor(
    readonly code: AudioErrorCode,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}
