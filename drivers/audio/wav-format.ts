import { open } from 'node:fs/promises';
import { AudioError } from './errors.js';

/** Every file the driver writes: espeak-ng's native output, so speech and sirens concatenate without resampling. */
export const AUDIO_FORMAT = { rate: 22_050, channels: 1, bits: 16 } as const;

/** sox output options for AUDIO_FORMAT. */
export const SOX_FORMAT_ARGS: readonly string[] = [
  '-r', String(AUDIO_FORMAT.rate), '-c', String(AUDIO_FORMAT.channels), '-b', String(AUDIO_FORMAT.bits), '-e', 'signed-integer',
];

export interface WavInfo {
  rate: number;
  channels: number;
  bits: number;
  dataBytes: number;
  durationMs: number;
}

/** Pure: reads a PCM WAV header (RIFF chunks) and the length of its audio. */
export function parseWavHeader(buf: Buffer, fileSize: number = buf.length): WavInfo {
  const bad = (why: string): AudioError => new AudioError('invalid-wav', `not a PCM WAV file: ${why}`);
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw bad('no RIFF/WAVE header');
  }
  let pos = 12;
  let fmt: { rate: number; channels: number; bits: number; blockAlign: number } | undefined;
  while (pos + 8 <= buf.length) {
    const id = buf.toString('ascii', pos, pos + 4);
    const size = buf.readUInt32LE(pos + 4);
    const body = pos + 8;
    if (id === 'fmt ') {
      if (body + 16 > buf.length) throw bad('truncated fmt chunk');
      fmt = {
        channels: buf.readUInt16LE(body + 2),
        rate: buf.readUInt32LE(body + 4),
        blockAlign: buf.readUInt16LE(body + 12),
        bits: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt) throw bad('data before fmt');
      // Writers killed mid-stream leave a placeholder size; trust the file length instead.
      const available = Math.max(0, fileSize - body);
      const dataBytes = size === 0 || size === 0xffffffff || size > available ? available : size;
      const frames = fmt.blockAlign > 0 ? Math.floor(dataBytes / fmt.blockAlign) : 0;
      return { rate: fmt.rate, channels: fmt.channels, bits: fmt.bits, dataBytes, durationMs: (frames / fmt.rate) * 1000 };
    }
    pos = body + size + (size % 2);
  }
  throw bad('no data chunk');
}

export async function readWavInfo(path: string): Promise<WavInfo> {
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new AudioError('invalid-wav', `cannot open WAV ${path}: ${e.code ?? e.message}`);
  });
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, 4096));
    await fh.read(head, 0, head.length, 0);
    return parseWavHeader(head, size);
  } finally {
    await fh.close();
  }
}
