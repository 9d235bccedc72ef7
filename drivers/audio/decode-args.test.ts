import { describe, expect, it } from 'vitest';
import { decodeArgs, lastStderrLine } from './decode-args.js';

const fmt = { rate: 22_050, channels: 1 };
const after = (args: string[], flag: string): string | undefined => args[args.indexOf(flag) + 1];

describe('decodeArgs (ffmpeg argv)', () => {
  it('decodes to the driver\'s WAV: s16le, mono, 22 050 Hz, first audio stream, no metadata', () => {
    expect(decodeArgs({ input: '/data/content/price.mp3', output: '/data/audio/decoded/x.wav', rate: 22_050, channels: 1 })).toEqual([
      '-hide_banner', '-nostdin', '-loglevel', 'error',
      '-threads', '1',
      '-protocol_whitelist', 'file',
      '-i', 'file:/data/content/price.mp3',
      '-map', '0:a:0', '-vn', '-sn', '-dn',
      '-map_metadata', '-1', '-bitexact',
      '-ac', '1', '-ar', '22050',
      '-c:a', 'pcm_s16le', '-f', 'wav',
      '-y', 'file:/data/audio/decoded/x.wav',
    ]);
  });

  it('takes another rate, channel count, thread count and a duration limit', () => {
    const args = decodeArgs({ input: '/a/b.m4a', output: '/c/d.wav', rate: 44_100, channels: 2, threads: 2, maxDurationS: 90 });
    expect(after(args, '-ar')).toBe('44100');
    expect(after(args, '-ac')).toBe('2');
    expect(after(args, '-threads')).toBe('2');
    expect(after(args, '-t')).toBe('90');
    // the limit is an output option: after the input
    expect(args.indexOf('-t')).toBeGreaterThan(args.indexOf('-i'));
  });

  it('a file name can never be read as an option, a URL or another protocol', () => {
    const args = decodeArgs({ input: '/content/-y http:x.mp3', output: '/out/-i.wav', ...fmt });
    expect(after(args, '-i')).toBe('file:/content/-y http:x.mp3');
    expect(args[args.length - 1]).toBe('file:/out/-i.wav');
    expect(after(args, '-protocol_whitelist')).toBe('file');
  });

  it('refuses relative paths, control characters, the same file and values out of range', () => {
    expect(() => decodeArgs({ input: 'price.mp3', output: '/o.wav', ...fmt })).toThrow(/absolute/);
    expect(() => decodeArgs({ input: '/p.mp3', output: 'o.wav', ...fmt })).toThrow(/absolute/);
    expect(() => decodeArgs({ input: '/p\n.mp3', output: '/o.wav', ...fmt })).toThrow(/control/);
    expect(() => decodeArgs({ input: '/p.wav', output: '/p.wav', ...fmt })).toThrow(/same file/);
    expect(() => decodeArgs({ ...fmt, input: '/p.mp3', output: '/o.wav', rate: 100 })).toThrow(/rate/);
    expect(() => decodeArgs({ ...fmt, input: '/p.mp3', output: '/o.wav', channels: 6 })).toThrow(/channels/);
    expect(() => decodeArgs({ ...fmt, input: '/p.mp3', output: '/o.wav', threads: 0 })).toThrow(/threads/);
    expect(() => decodeArgs({ ...fmt, input: '/p.mp3', output: '/o.wav', maxDurationS: -1 })).toThrow(/duration/);
    try {
      decodeArgs({ input: 'x', output: '/o.wav', ...fmt });
    } catch (e) {
      expect(e).toMatchObject({ name: 'AudioError', code: 'invalid-input' });
    }
  });
});

describe('lastStderrLine', () => {
  it('is the reason ffmpeg gave up: its last non-empty line', () => {
    expect(lastStderrLine('[mp3 @ 0x55] Failed to read frame size: Could not seek to 1039.\nfile:/c/bad.mp3: Invalid argument\n\n')).toBe('file:/c/bad.mp3: Invalid argument');
    expect(lastStderrLine('a\r\nb\r\n')).toBe('b');
    expect(lastStderrLine('  \n')).toBeNull();
    expect(lastStderrLine('x'.repeat(1000))).toHaveLength(300);
  });
});
