import { describe, expect, it } from 'vitest';
import { CameraError, classifyFfmpegFailure, stderrTail } from './errors.js';
import { imageKind } from './image-magic.js';
import { snapshotArgs } from './snapshot-args.js';

describe('camera snapshot arguments', () => {
  it('reads an RTSP stream over TCP with a socket timeout and writes the picture and a thumbnail in one run', () => {
    expect(snapshotArgs({ input: { kind: 'rtsp', url: 'rtsp://cam/1' }, output: '/d/a.jpg', thumbnail: '/d/a.t.jpg', thumbWidth: 320, socketTimeoutS: 5 })).toEqual([
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-threads', '1',
      '-rtsp_transport', 'tcp', '-timeout', '5000000', '-i', 'rtsp://cam/1',
      '-an', '-sn', '-dn',
      '-map', '0:v:0', '-frames:v', '1', '-q:v', '3', '-f', 'image2', '-update', '1', '-y', 'file:/d/a.jpg',
      '-map', '0:v:0', '-vf', "scale='min(320,iw)':-2", '-frames:v', '1', '-q:v', '6', '-f', 'image2', '-update', '1', '-y', 'file:/d/a.t.jpg',
    ]);
  });

  it('reads a fetched file through the file protocol only, and may write the thumbnail alone', () => {
    const args = snapshotArgs({ input: { kind: 'file', path: '/d/s.jpg' }, thumbnail: '/d/t.jpg', thumbWidth: 160, socketTimeoutS: 5 });
    expect(args.slice(args.indexOf('-protocol_whitelist'), args.indexOf('-an'))).toEqual(['-protocol_whitelist', 'file', '-i', 'file:/d/s.jpg']);
    expect(args.filter((a) => a.startsWith('file:'))).toEqual(['file:/d/s.jpg', 'file:/d/t.jpg']);
  });

  it('refuses relative paths, other URL schemes and absurd widths', () => {
    expect(() => snapshotArgs({ input: { kind: 'file', path: 's.jpg' }, thumbnail: '/t.jpg', thumbWidth: 320, socketTimeoutS: 1 })).toThrow(CameraError);
    expect(() => snapshotArgs({ input: { kind: 'rtsp', url: 'http://x' }, thumbnail: '/t.jpg', thumbWidth: 320, socketTimeoutS: 1 })).toThrow(/rtsp/);
    expect(() => snapshotArgs({ input: { kind: 'rtsp', url: 'rtsp://x' }, thumbnail: '/t.jpg', thumbWidth: 5, socketTimeoutS: 1 })).toThrow(/width/);
  });

  it('tells JPEG and PNG by their magic bytes', () => {
    expect(imageKind(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(imageKind(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe('png');
    expect(imageKind(new TextEncoder().encode('<html>'))).toBeUndefined();
  });

  it('reads ffmpeg\'s stderr as refused, not an image, or another failure', () => {
    expect(classifyFfmpegFailure('rtsp://x: Connection refused')).toBe('refused');
    expect(classifyFfmpegFailure('rtsp://x: Invalid data found when processing input')).toBe('not-image');
    expect(classifyFfmpegFailure('Conversion failed!')).toBe('ffmpeg-failed');
    expect(stderrTail('a\n\nb\nc\nd\ne\n')).toBe('b\nc\nd\ne');
  });
});
