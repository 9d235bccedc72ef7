/** ffprobe of a finished file: its duration and streams (the browser copy's metadata). */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { probeArgs } from './ffmpeg-args.js';
import type { ProbedStream } from './recording-types.js';

const run = promisify(execFile);

export interface ProbeResult {
  readonly durationS: number | null;
  readonly sizeBytes: number | null;
  readonly formatName: string | null;
  readonly streams: ProbedStream[];
}

interface FfprobeJson {
  format?: { duration?: string; size?: string; format_name?: string };
  streams?: {
    index?: number;
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    sample_rate?: string;
    channels?: number;
  }[];
}

const numOrNull = (s: string | undefined): number | null => {
  const n = s === undefined ? Number.NaN : Number.parseFloat(s);
  return Number.isFinite(n) ? n : null;
};

export async function probeMedia(file: string, ffprobe = 'ffprobe'): Promise<ProbeResult> {
  const { stdout } = await run(ffprobe, probeArgs(file), { maxBuffer: 8 * 1024 * 1024, timeout: 60_000 });
  const json = JSON.parse(stdout) as FfprobeJson;
  return {
    durationS: numOrNull(json.format?.duration),
    sizeBytes: numOrNull(json.format?.size),
    formatName: json.format?.format_name ?? null,
    streams: (json.streams ?? []).map((s, i) => {
      const sampleRate = numOrNull(s.sample_rate);
      return {
        index: s.index ?? i,
        type: s.codec_type ?? 'unknown',
        codec: s.codec_name ?? 'unknown',
        ...(s.width === undefined ? {} : { width: s.width }),
        ...(s.height === undefined ? {} : { height: s.height }),
        ...(sampleRate === null ? {} : { sampleRate }),
        ...(s.channels === undefined ? {} : { channels: s.channels }),
      };
    }),
  };
}
