import { isAbsolute } from 'node:path';
import { AudioError } from './errors.js';

/** Pure: the ffmpeg command line that decodes any audio file ffmpeg reads (MP3, M4A/AAC, OGG/Opus, FLAC, WAV) to a PCM WAV the player plays. */

export interface DecodeArgsOptions {
  /** Absolute path of the source file. */
  readonly input: string;
  /** Absolute path of the WAV to write (overwritten). */
  readonly output: string;
  /** Sample rate in Hz (the driver's common format: AUDIO_FORMAT.rate, 22 050). */
  readonly rate: number;
  /** 1 (mono: one loudspeaker horn) or 2. */
  readonly channels: number;
  /** Decoder threads; default 1, so a conversion leaves the other core to the box. */
  readonly threads?: number;
  /** Stop after this many seconds of audio; default the whole file. */
  readonly maxDurationS?: number;
}

function checkPath(what: string, p: string): void {
  if (!isAbsolute(p)) throw new AudioError('invalid-input', `decode ${what} must be an absolute path: '${p}'`);
  if (/[\0\r\n]/.test(p)) throw new AudioError('invalid-input', `decode ${what} path has a control character`);
}

function checkInt(what: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new AudioError('invalid-input', `decode ${what} ${v} outside ${min}..${max}`);
}

/**
 * The argv (without the `ffmpeg` itself) that turns `input` into a 16-bit little-endian PCM WAV, `rate` Hz, `channels`
 * channels: the first audio stream only (an M4A's cover art and any video are dropped), no metadata. Both paths are
 * given with the `file:` protocol and only that protocol is allowed, so a name can never be read as an option, a URL
 * or another protocol (and a playlist posing as an MP3 cannot make ffmpeg fetch anything).
 */
export function decodeArgs(o: DecodeArgsOptions): string[] {
  const { rate, channels } = o;
  const threads = o.threads ?? 1;
  checkPath('input', o.input);
  checkPath('output', o.output);
  if (o.input === o.output) throw new AudioError('invalid-input', 'decode input and output are the same file');
  checkInt('rate', rate, 8_000, 48_000);
  checkInt('channels', channels, 1, 2);
  checkInt('threads', threads, 1, 16);
  if (o.maxDurationS !== undefined && !(Number.isFinite(o.maxDurationS) && o.maxDurationS > 0)) {
    throw new AudioError('invalid-input', `decode max duration ${o.maxDurationS} s is not a positive number`);
  }
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    '-threads', String(threads),
    '-protocol_whitelist', 'file',
    '-i', `file:${o.input}`,
    '-map', '0:a:0', '-vn', '-sn', '-dn',
    ...(o.maxDurationS === undefined ? [] : ['-t', String(o.maxDurationS)]),
    '-map_metadata', '-1', '-bitexact',
    '-ac', String(channels), '-ar', String(rate),
    '-c:a', 'pcm_s16le', '-f', 'wav',
    '-y', `file:${o.output}`,
  ];
}

/** Pure: the last non-empty line ffmpeg wrote on stderr (with `-loglevel error`, the reason it gave up), or null. */
export function lastStderrLine(stderr: string): string | null {
  const lines = stderr.split(/\r?\n|\r/).map((l) => l.trim()).filter((l) => l.length > 0);
  const last = lines[lines.length - 1];
  return last === undefined ? null : last.slice(0, 300);
}
