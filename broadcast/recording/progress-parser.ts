/**
 * ffmpeg's `-progress` output: blocks of `key=value` lines, each closed by `progress=continue` (or `progress=end` as
 * ffmpeg finishes). Pure: lines in, one `FfmpegProgress` per block out. With the segment muxer ffmpeg cannot tell its
 * output size (`total_size=N/A`, `bitrate=N/A`): the recorder counts bytes on disk; these fields stay undefined then.
 */

export interface FfmpegProgress {
  /** Video frames written so far in this run. */
  readonly frame?: number;
  /** Media time written so far in this run, seconds. */
  readonly outTimeS?: number;
  /** Media seconds per wall second (1 for a live source once it runs steadily). */
  readonly speed?: number;
  readonly totalSize?: number;
  readonly bitrateKbit?: number;
  readonly dropFrames?: number;
  /** `progress=end`: ffmpeg is finishing. */
  readonly end: boolean;
}

const num = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number.parseFloat(text);
  return Number.isFinite(n) ? n : undefined;
};

/** Collects lines; `push` returns a progress report when a line closes a block. */
export class ProgressParser {
  private fields = new Map<string, string>();

  push(line: string): FfmpegProgress | undefined {
    const eq = line.indexOf('=');
    if (eq <= 0) return undefined;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key !== 'progress') {
      this.fields.set(key, value);
      return undefined;
    }
    const f = this.fields;
    this.fields = new Map();
    // out_time_us is the exact one (out_time_ms is microseconds too, a historical misnomer); N/A before output starts.
    const outUs = num(f.get('out_time_us'));
    const report: { -readonly [K in keyof FfmpegProgress]: FfmpegProgress[K] } = { end: value === 'end' };
    const frame = num(f.get('frame'));
    if (frame !== undefined) report.frame = frame;
    if (outUs !== undefined && outUs >= 0) report.outTimeS = outUs / 1_000_000;
    const speed = num(f.get('speed')?.replace(/x$/, ''));
    if (speed !== undefined) report.speed = speed;
    const size = num(f.get('total_size'));
    if (size !== undefined) report.totalSize = size;
    const bitrate = num(f.get('bitrate')?.replace(/kbits\/s$/, ''));
    if (bitrate !== undefined) report.bitrateKbit = bitrate;
    const drop = num(f.get('drop_frames'));
    if (drop !== undefined) report.dropFrames = drop;
    return report;
  }
}
