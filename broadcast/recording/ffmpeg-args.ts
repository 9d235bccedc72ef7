/**
 * The ffmpeg and ffprobe command lines of the recorder, built from typed options: nothing else in the product writes
 * an ffmpeg argument. Pure: argv arrays in, argv arrays out (node-ffmpeg and fluent-ffmpeg are unmaintained, and a
 * recorder that must survive power cuts wants every flag visible and tested; see the field notes).
 */
import type { SourceSpec } from './types.js';

/** How ffmpeg names the segments of one recording. */
export type SegmentNaming =
  /** `seg-00001.ts`, `seg-00002.ts` …, starting at `startNumber` (a resumed recording appends after its last one). */
  | { readonly kind: 'numbered'; readonly startNumber: number }
  /** An strftime pattern (`%Y%m%d-%H%M%S.ts`) in local time of the ffmpeg process. */
  | { readonly kind: 'strftime'; readonly pattern: string };

export interface RecordArgsOptions {
  readonly source: SourceSpec;
  /** The recording's folder (absolute). */
  readonly dir: string;
  readonly naming: SegmentNaming;
  /** Target segment length; ffmpeg cuts at the first keyframe after it (stream copy cannot cut elsewhere). */
  readonly segmentSeconds: number;
  /**
   * The stall watchdog's limit. Inputs that have a read timeout get twice this, as a backstop: the watchdog acts
   * first, and an ffmpeg that gives up on its own exits (0, for UDP) and is restarted like any early exit.
   */
  readonly stallSeconds: number;
  /** ffmpeg's log level on stderr (default `warning`: damaged input shows there, see `damageLine`). */
  readonly logLevel?: 'error' | 'warning' | 'info';
}

/** Segment file names of the numbered naming: `seg-%05d.ts`. */
export const SEGMENT_PATTERN = 'seg-%05d.ts';
export const SEGMENT_FILE = /^seg-(\d{5,})\.ts$/;

export function segmentFileName(n: number): string {
  return `seg-${String(n).padStart(5, '0')}.ts`;
}

/** UDP receive FIFO in 188-byte TS packets: 65 536 ≈ 12 MB ≈ 24 s of a 4 Mbit/s stream while the disk is slow. */
const UDP_FIFO_PACKETS = 65_536;
/** The socket's receive buffer asked for (the kernel caps it at net.core.rmem_max). */
const UDP_BUFFER_BYTES = 4 * 1024 * 1024;
const HTTP_RECONNECT_DELAY_MAX_S = 10;

/** Seconds between two `-progress` blocks. */
export const PROGRESS_PERIOD_S = 5;

const micros = (seconds: number): string => String(Math.round(seconds * 1_000_000));

/** `url` with `params` added to its query, keeping any the operator wrote in the URL already. */
export function withQuery(url: string, params: readonly (readonly [string, string])[]): string {
  const q = url.indexOf('?');
  const existing = new Set(
    q < 0
      ? []
      : url
          .slice(q + 1)
          .split('&')
          .map((kv) => kv.split('=')[0] ?? ''),
  );
  const added = params.filter(([k]) => !existing.has(k)).map(([k, v]) => `${k}=${v}`);
  if (added.length === 0) return url;
  return `${url}${q < 0 ? '?' : url.endsWith('?') || url.endsWith('&') ? '' : '&'}${added.join('&')}`;
}

/**
 * Input options per source, ending with its `-i`. Each answers a trap of the field notes:
 * - udp: a large FIFO and `overrun_nonfatal` (a slow SD card must not kill the recorder), `timeout` (backstop; the
 *   stalled ffmpeg then exits 0, which the recorder treats as the failure it is), `localaddr` for multicast (on
 *   loopback the interface must be named), `-f mpegts` (no format probing of a satellite receiver's output).
 * - http: reconnect on a reset connection (ffmpeg otherwise exits 0 without reconnecting) and `rw_timeout` for one
 *   that stays open and sends nothing (ffmpeg otherwise hangs for ever).
 * - rtsp: TCP interleaving by default (no lost UDP packets through a NAT or a busy switch), a socket timeout.
 * - capture: V4L2 video and ALSA audio, with thread queues so one device's burst does not drop the other's frames.
 */
export function inputArgs(source: SourceSpec, stallSeconds: number): string[] {
  const timeoutS = 2 * stallSeconds;
  switch (source.kind) {
    case 'udp': {
      const params: [string, string][] = [
        ['fifo_size', String(UDP_FIFO_PACKETS)],
        ['overrun_nonfatal', '1'],
        ['buffer_size', String(UDP_BUFFER_BYTES)],
        ['timeout', micros(timeoutS)],
      ];
      if (source.localAddress !== undefined) params.push(['localaddr', source.localAddress]);
      return ['-f', 'mpegts', '-i', withQuery(source.url, params)];
    }
    case 'http':
      return [
        '-reconnect', '1',
        '-reconnect_streamed', '1',
        '-reconnect_on_network_error', '1',
        '-reconnect_delay_max', String(HTTP_RECONNECT_DELAY_MAX_S),
        '-rw_timeout', micros(timeoutS),
        '-i', source.url,
      ];
    case 'rtsp':
      return ['-rtsp_transport', source.transport ?? 'tcp', '-timeout', micros(timeoutS), '-i', source.url];
    case 'capture':
      return [
        '-f', 'v4l2',
        '-thread_queue_size', '512',
        ...(source.videoSize === undefined ? [] : ['-video_size', source.videoSize]),
        ...(source.framerate === undefined ? [] : ['-framerate', String(source.framerate)]),
        '-i', source.video,
        ...(source.audio === undefined ? [] : ['-f', 'alsa', '-thread_queue_size', '512', '-i', source.audio]),
      ];
  }
}

/**
 * Streams and codecs. A network source is copied as it comes (`-map 0 -c copy`: every programme stream, no
 * re-encoding, no CPU). A capture device gives raw video (YUYV 720×576 at 25 fps is ~166 Mbit/s), which MPEG-TS
 * cannot carry and no disk would hold: it is the one source that is encoded, with x264's `veryfast` preset (a small
 * board keeps up with SD video) and AAC audio.
 */
export function codecArgs(source: SourceSpec): string[] {
  if (source.kind !== 'capture') return ['-map', '0', '-c', 'copy', '-ignore_unknown'];
  const gop = String(2 * (source.framerate ?? 25));
  return [
    '-map', '0:v:0',
    ...(source.audio === undefined ? [] : ['-map', '1:a:0']),
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-g', gop,
    ...(source.audio === undefined ? [] : ['-c:a', 'aac', '-b:a', '128k']),
  ];
}

/**
 * The `segment` muxer with MPEG-TS segments: every closed segment plays after a power cut and the open one is a
 * playable partial (MP4 loses everything, HLS the open segment). `reset_timestamps` starts each segment at 0, so a
 * segment plays on its own; the browser copy's concat demuxer puts them back in line.
 */
export function segmentArgs(dir: string, naming: SegmentNaming, segmentSeconds: number): string[] {
  const common = ['-f', 'segment', '-segment_format', 'mpegts', '-segment_time', String(segmentSeconds), '-reset_timestamps', '1'];
  if (naming.kind === 'numbered') return [...common, '-segment_start_number', String(naming.startNumber), joinPath(dir, SEGMENT_PATTERN)];
  return [...common, '-strftime', '1', joinPath(dir, naming.pattern)];
}

/**
 * The whole recording command. stdin stays open: `q` on it is the clean stop that closes the last segment (a SIGTERM
 * leaves it empty). `-progress pipe:1` writes `key=value` blocks on stdout every PROGRESS_PERIOD_S (progress-parser.ts):
 * they only feed the live view's speed and media time (the stall watchdog and the bitrate look at the disk), so not
 * once a second: each block is a dozen lines the recorder's Node process reads and parses.
 */
export function recordArgs(o: RecordArgsOptions): string[] {
  return [
    '-hide_banner',
    '-nostats',
    '-loglevel', o.logLevel ?? 'warning',
    '-progress', 'pipe:1',
    '-stats_period', String(PROGRESS_PERIOD_S),
    ...inputArgs(o.source, o.stallSeconds),
    ...codecArgs(o.source),
    ...segmentArgs(o.dir, o.naming, o.segmentSeconds),
  ];
}

/**
 * Video codecs (ffprobe's names) the browser copy carries as they are. Debian's Chromium decodes H.264 in MP4 but not
 * one frame of MPEG-2 video or HEVC (the file is refused, or its sound plays over a black picture), so those get no
 * browser copy (encoding video is too costly for the box): see `planBrowserCopy`.
 */
export const BROWSER_VIDEO_CODECS: readonly string[] = ['h264'];
/**
 * Audio codecs (ffprobe's names) the browser copy keeps as they are; any other audio (MP2, AC-3, E-AC-3 …) is encoded
 * to AAC, the one audio codec every browser plays in MP4 (cheap: audio only). Chromium plays AC-3 in MP4 silently (no
 * error, no sound). It does decode MP2 in MP4, but stops the whole playback at a frame its parser finds invalid (mono
 * above 192 kbit/s, as ffmpeg's mp2 encoder writes by default), and other browsers need not play MP2 at all.
 */
export const BROWSER_AUDIO_CODECS: readonly string[] = ['aac', 'mp3'];
/** AAC bitrate of encoded browser-copy audio, stereo. */
export const BROWSER_AAC_BITRATE = '128k';

/** How the browser copy treats the recording's streams, from the codecs of its first segment. */
export type BrowserCopyPlan =
  | {
      readonly kind: 'copy';
      /** `encode`: every audio stream to AAC (video still stream-copied); `downmix`: to stereo (5.1 AC-3). */
      readonly audio: 'copy' | { readonly encode: 'aac'; readonly downmix: boolean };
    }
  /** No browser copy: a browser cannot show this video. The segments stay, to be downloaded. */
  | { readonly kind: 'unplayable'; readonly videoCodec: string };

/** The streams `planBrowserCopy` looks at (ffprobe's codec_type, codec_name, channels). */
export interface CodecInfo {
  readonly type: string;
  readonly codec: string;
  readonly channels?: number;
}

/**
 * Stream-copy whatever a browser plays, encode only audio it does not (cheap: audio only), and make no copy of video it
 * does not (an H.264 encode of broadcast video would take the box hours). No video (a radio channel) is fine.
 */
export function planBrowserCopy(streams: readonly CodecInfo[]): BrowserCopyPlan {
  const video = streams.find((s) => s.type === 'video' && !BROWSER_VIDEO_CODECS.includes(s.codec));
  if (video !== undefined) return { kind: 'unplayable', videoCodec: video.codec };
  const audio = streams.filter((s) => s.type === 'audio');
  if (audio.every((s) => BROWSER_AUDIO_CODECS.includes(s.codec))) return { kind: 'copy', audio: 'copy' };
  return { kind: 'copy', audio: { encode: 'aac', downmix: audio.some((s) => (s.channels ?? 2) > 2) } };
}

/**
 * The browser copy: the segments concatenated (concat demuxer, list file from `concatList`) into one MP4, video never
 * re-encoded, audio copied or encoded to AAC as `audio` says (`planBrowserCopy`), its index (moov) moved to the front
 * so a browser starts playing and seeks before it has the whole file. Video and audio only: data streams (teletext,
 * SCTE-35) have no place in MP4.
 */
export function browserCopyArgs(listFile: string, output: string, audio: Extract<BrowserCopyPlan, { kind: 'copy' }>['audio'] = 'copy'): string[] {
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
    '-f', 'concat', '-safe', '0', '-i', listFile,
    '-map', '0:v?', '-map', '0:a?',
    '-c', 'copy',
    ...(audio === 'copy' ? [] : ['-c:a', 'aac', '-b:a', BROWSER_AAC_BITRATE, ...(audio.downmix ? ['-ac', '2'] : [])]),
    '-avoid_negative_ts', 'make_zero',
    '-movflags', '+faststart',
    '-f', 'mp4', output,
  ];
}

/** The concat demuxer's list: one `file '…'` line per segment, quotes escaped as the demuxer reads them. */
export function concatList(files: readonly string[]): string {
  return files.map((f) => `file '${f.replace(/'/g, "'\\''")}'\n`).join('');
}

/** ffprobe's JSON description of a file: the container (duration, size) and every stream. */
export function probeArgs(file: string): string[] {
  return ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file];
}

/** A line of ffmpeg's stderr that says input packets were damaged (continuity errors mark packets corrupt). */
export function damageLine(line: string): boolean {
  return /corrupt input packet|continuity check failed|packet corrupt/i.test(line);
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}
