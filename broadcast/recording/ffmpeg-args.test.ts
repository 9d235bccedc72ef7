import { describe, expect, it } from 'vitest';
import { browserCopyArgs, codecArgs, concatList, damageLine, inputArgs, probeArgs, recordArgs, segmentArgs, segmentFileName, withQuery, planBrowserCopy, SEGMENT_FILE } from './ffmpeg-args.js';

describe('ffmpeg argument builder', () => {
  it('records a UDP multicast stream by stream copy into numbered MPEG-TS segments, with progress on stdout', () => {
    expect(
      recordArgs({
        source: { kind: 'udp', url: 'udp://239.1.1.1:1234', localAddress: '192.168.1.20' },
        dir: '/data/recordings/job-1',
        naming: { kind: 'numbered', startNumber: 7 },
        segmentSeconds: 60,
        stallSeconds: 10,
      }),
    ).toEqual([
      '-hide_banner', '-nostats', '-loglevel', 'warning', '-progress', 'pipe:1', '-stats_period', '5',
      '-f', 'mpegts', '-i', 'udp://239.1.1.1:1234?fifo_size=65536&overrun_nonfatal=1&buffer_size=4194304&timeout=20000000&localaddr=192.168.1.20',
      '-map', '0', '-c', 'copy', '-ignore_unknown',
      '-f', 'segment', '-segment_format', 'mpegts', '-segment_time', '60', '-reset_timestamps', '1',
      '-segment_start_number', '7', '/data/recordings/job-1/seg-%05d.ts',
    ]);
  });

  it('keeps UDP options the operator wrote in the URL', () => {
    expect(inputArgs({ kind: 'udp', url: 'udp://@:5000?fifo_size=1000&reuse=1' }, 5)).toEqual([
      '-f', 'mpegts', '-i', 'udp://@:5000?fifo_size=1000&reuse=1&overrun_nonfatal=1&buffer_size=4194304&timeout=10000000',
    ]);
    expect(withQuery('udp://h:1?', [['a', '1']])).toBe('udp://h:1?a=1');
  });

  it('reconnects an HTTP source and bounds its reads', () => {
    expect(inputArgs({ kind: 'http', url: 'http://tvh:9981/stream/channel/abc?profile=pass' }, 10)).toEqual([
      '-reconnect', '1', '-reconnect_streamed', '1', '-reconnect_on_network_error', '1', '-reconnect_delay_max', '10',
      '-rw_timeout', '20000000', '-i', 'http://tvh:9981/stream/channel/abc?profile=pass',
    ]);
  });

  it('opens RTSP over TCP unless told otherwise, with a socket timeout', () => {
    expect(inputArgs({ kind: 'rtsp', url: 'rtsp://cam/live' }, 10)).toEqual(['-rtsp_transport', 'tcp', '-timeout', '20000000', '-i', 'rtsp://cam/live']);
    expect(inputArgs({ kind: 'rtsp', url: 'rtsp://cam/live', transport: 'udp' }, 3)[1]).toBe('udp');
  });

  it('captures V4L2 video and ALSA audio and encodes them (raw video cannot be stream-copied)', () => {
    const source = { kind: 'capture', video: '/dev/video0', audio: 'hw:1,0', videoSize: '720x576', framerate: 25 } as const;
    expect(inputArgs(source, 10)).toEqual([
      '-f', 'v4l2', '-thread_queue_size', '512', '-video_size', '720x576', '-framerate', '25', '-i', '/dev/video0',
      '-f', 'alsa', '-thread_queue_size', '512', '-i', 'hw:1,0',
    ]);
    expect(codecArgs(source)).toEqual([
      '-map', '0:v:0', '-map', '1:a:0', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-g', '50', '-c:a', 'aac', '-b:a', '128k',
    ]);
    expect(codecArgs({ kind: 'capture', video: '/dev/video0' })).toEqual(['-map', '0:v:0', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-g', '50']);
    expect(inputArgs({ kind: 'capture', video: '/dev/video0' }, 10)).toEqual(['-f', 'v4l2', '-thread_queue_size', '512', '-i', '/dev/video0']);
  });

  it('names segments by strftime when asked', () => {
    expect(segmentArgs('/r/x/', { kind: 'strftime', pattern: '%Y%m%d-%H%M%S.ts' }, 30)).toEqual([
      '-f', 'segment', '-segment_format', 'mpegts', '-segment_time', '30', '-reset_timestamps', '1', '-strftime', '1', '/r/x/%Y%m%d-%H%M%S.ts',
    ]);
  });

  it('numbers segment files the way the folder listing reads them', () => {
    expect(segmentFileName(1)).toBe('seg-00001.ts');
    expect(segmentFileName(123456)).toBe('seg-123456.ts');
    expect(SEGMENT_FILE.exec('seg-00042.ts')?.[1]).toBe('00042');
    expect(SEGMENT_FILE.test('seg-1.ts')).toBe(false);
  });

  it('remuxes the browser copy without re-encoding, faststart, from a concat list', () => {
    expect(browserCopyArgs('/r/x/segments.txt', '/r/x/out.mp4')).toEqual([
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', '/r/x/segments.txt',
      '-map', '0:v?', '-map', '0:a?', '-c', 'copy', '-avoid_negative_ts', 'make_zero', '-movflags', '+faststart', '-f', 'mp4', '/r/x/out.mp4',
    ]);
    expect(concatList(['/r/a.ts', "/r/it's.ts"])).toBe("file '/r/a.ts'\nfile '/r/it'\\''s.ts'\n");
    expect(probeArgs('/f.mp4')).toEqual(['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '/f.mp4']);
  });

  it('recognises ffmpeg lines about damaged input', () => {
    expect(damageLine('[mpegts @ 0x55] Continuity check failed for pid 256 expected 3 got 5')).toBe(true);
    expect(damageLine('udp://127.0.0.1:5000: corrupt input packet in stream 0')).toBe(true);
    expect(damageLine('[segment @ 0x1] Opening seg-00002.ts for writing')).toBe(false);
  });
});

describe('browser copy codecs', () => {
  const h264 = { type: 'video', codec: 'h264' };
  const list = '/r/x/segments.txt';
  const out = '/r/x/out.mp4';

  it('copies H.264 with AAC or MP3 audio as it is', () => {
    expect(planBrowserCopy([h264, { type: 'audio', codec: 'aac', channels: 2 }])).toEqual({ kind: 'copy', audio: 'copy' });
    expect(planBrowserCopy([h264, { type: 'audio', codec: 'mp3' }, { type: 'data', codec: 'unknown' }, { type: 'subtitle', codec: 'dvb_teletext' }])).toEqual({ kind: 'copy', audio: 'copy' });
    expect(planBrowserCopy([h264])).toEqual({ kind: 'copy', audio: 'copy' });
    expect(browserCopyArgs(list, out, 'copy')).toEqual(browserCopyArgs(list, out));
  });

  it('keeps the video stream-copied and encodes only the audio to AAC when it is MP2 or AC-3', () => {
    const mp2 = planBrowserCopy([h264, { type: 'audio', codec: 'mp2', channels: 2 }]);
    expect(mp2).toEqual({ kind: 'copy', audio: { encode: 'aac', downmix: false } });
    if (mp2.kind !== 'copy') throw new Error('unreachable');
    expect(browserCopyArgs(list, out, mp2.audio)).toEqual([
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list,
      '-map', '0:v?', '-map', '0:a?', '-c', 'copy', '-c:a', 'aac', '-b:a', '128k',
      '-avoid_negative_ts', 'make_zero', '-movflags', '+faststart', '-f', 'mp4', out,
    ]);
    // One AAC track beside an MP2 one: every audio stream is encoded (one -c:a for all).
    expect(planBrowserCopy([h264, { type: 'audio', codec: 'aac' }, { type: 'audio', codec: 'mp2' }])).toEqual({ kind: 'copy', audio: { encode: 'aac', downmix: false } });
  });

  it('downmixes 5.1 AC-3 to stereo AAC', () => {
    const ac3 = planBrowserCopy([h264, { type: 'audio', codec: 'ac3', channels: 6 }]);
    expect(ac3).toEqual({ kind: 'copy', audio: { encode: 'aac', downmix: true } });
    if (ac3.kind !== 'copy') throw new Error('unreachable');
    const args = browserCopyArgs(list, out, ac3.audio);
    expect(args.slice(args.indexOf('-c:a'), args.indexOf('-avoid_negative_ts'))).toEqual(['-c:a', 'aac', '-b:a', '128k', '-ac', '2']);
    expect(args).not.toContain('-c:v');
  });

  it('encodes the audio of a radio channel (no video) too', () => {
    expect(planBrowserCopy([{ type: 'audio', codec: 'mp2', channels: 2 }])).toEqual({ kind: 'copy', audio: { encode: 'aac', downmix: false } });
  });

  it('makes no browser copy of video browsers cannot decode (MPEG-2, HEVC)', () => {
    expect(planBrowserCopy([{ type: 'video', codec: 'mpeg2video' }, { type: 'audio', codec: 'mp2' }])).toEqual({ kind: 'unplayable', videoCodec: 'mpeg2video' });
    expect(planBrowserCopy([{ type: 'video', codec: 'hevc' }, { type: 'audio', codec: 'aac' }])).toEqual({ kind: 'unplayable', videoCodec: 'hevc' });
  });
});
