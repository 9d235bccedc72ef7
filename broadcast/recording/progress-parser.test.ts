import { describe, expect, it } from 'vitest';
import { ProgressParser } from './progress-parser.js';

const block = (lines: string): string[] => lines.trim().split('\n').map((l) => l.trim());

describe('ffmpeg -progress parser', () => {
  it('reports one progress per block, with the segment muxer\'s N/A sizes left out', () => {
    const p = new ProgressParser();
    const out = block(`
      frame=154
      fps=153.84
      stream_0_0_q=-1.0
      bitrate=N/A
      total_size=N/A
      out_time_us=6141344
      out_time_ms=6141344
      out_time=00:00:06.141344
      dup_frames=0
      drop_frames=0
      speed=6.14x
      progress=continue`).map((l) => p.push(l));
    expect(out.slice(0, -1).every((r) => r === undefined)).toBe(true);
    expect(out.at(-1)).toEqual({ end: false, frame: 154, outTimeS: 6.141344, speed: 6.14, dropFrames: 0 });
  });

  it('reads sizes and bitrates when a muxer reports them, and the end', () => {
    const p = new ProgressParser();
    const r = block(`
      total_size=1048576
      bitrate=4000.5kbits/s
      out_time_us=N/A
      speed=N/A
      progress=end`).map((l) => p.push(l)).at(-1);
    expect(r).toEqual({ end: true, totalSize: 1048576, bitrateKbit: 4000.5 });
  });

  it('starts each block afresh and ignores lines that are not key=value', () => {
    const p = new ProgressParser();
    p.push('frame=10');
    p.push('progress=continue');
    expect(p.push('garbage')).toBeUndefined();
    expect(p.push('progress=continue')).toEqual({ end: false });
  });
});
