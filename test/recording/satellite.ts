// The simulated satellite receiver and the ffprobe checks the recording tests share. The receiver is real ffmpeg:
// a lavfi test pattern and tone, H.264 + AAC in MPEG-TS, sent in real time (-re) as UDP datagrams of 7 TS packets
// to a port on loopback, as a receiver's IP output does.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function haveFfmpeg(): boolean {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    execFileSync('ffprobe', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A UDP port free on loopback now. */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface SatelliteSource {
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts sending; `kbit` is the video bitrate (the audio adds 64 kbit/s). */
export function startSatellite(port: number, opts: { kbit?: number; size?: string; seconds?: number } = {}): SatelliteSource {
  return startSource(`udp://127.0.0.1:${port}?pkt_size=1316`, [], opts);
}

/**
 * A channel served over HTTP, as a TVHeadend channel URL is (`http://127.0.0.1:PORT/stream/channel/1`): ffmpeg's own
 * HTTP server (`-listen 1`), which serves one client and then exits, like a receiver dropping its client.
 */
export function startHttpChannel(port: number, opts: { kbit?: number; size?: string; seconds?: number } = {}): SatelliteSource {
  return startSource(`http://127.0.0.1:${port}/stream/channel/1`, ['-listen', '1', '-content_type', 'video/mp2t'], opts);
}

function startSource(url: string, outputOptions: readonly string[], opts: { kbit?: number; size?: string; seconds?: number }): SatelliteSource {
  const kbit = opts.kbit ?? 600;
  const child: ChildProcess = spawn(
    'ffmpeg',
    [
      '-hide_banner', '-loglevel', 'error', '-nostdin', '-re',
      '-f', 'lavfi', '-i', `testsrc2=size=${opts.size ?? '320x240'}:rate=25`,
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      ...(opts.seconds === undefined ? [] : ['-t', String(opts.seconds)]),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-b:v', `${kbit}k`, '-maxrate', `${kbit}k`, '-bufsize', `${kbit}k`,
      '-c:a', 'aac', '-b:a', '64k',
      '-f', 'mpegts', '-muxrate', `${Math.round(kbit * 1.3 + 200)}k`, ...outputOptions, url,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid ?? -1,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface Probe {
  readonly durationS: number;
  readonly formatName: string;
  readonly streams: { codec_type: string; codec_name: string }[];
}

export async function probe(file: string): Promise<Probe> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]);
  const j = JSON.parse(stdout) as { format: { duration?: string; format_name: string }; streams: { codec_type: string; codec_name: string }[] };
  return { durationS: Number(j.format.duration ?? 'NaN'), formatName: j.format.format_name, streams: j.streams };
}

/** Video packet times of a file, in seconds. */
export async function videoPts(file: string): Promise<number[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file], { maxBuffer: 64 * 1024 * 1024 });
  return stdout
    .split('\n')
    .map((l) => Number.parseFloat(l))
    .filter((n) => Number.isFinite(n))
    .sort((a, b) => a - b);
}

/** The largest step between consecutive video packets (a hole in the picture shows as a big one). */
export function largestStep(pts: readonly number[]): number {
  let max = 0;
  for (let i = 1; i < pts.length; i++) max = Math.max(max, pts[i]! - pts[i - 1]!);
  return max;
}

/** The top-level MP4 boxes in file order (`ftyp`, `moov`, `mdat` …). */
export function topLevelBoxes(file: string): string[] {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const out: string[] = [];
    const head = Buffer.alloc(16);
    let pos = 0;
    while (pos + 8 <= size && out.length < 64) {
      readSync(fd, head, 0, 16, pos);
      let len = head.readUInt32BE(0);
      const type = head.toString('latin1', 4, 8);
      if (len === 1) len = Number(head.readBigUInt64BE(8));
      else if (len === 0) len = size - pos;
      out.push(type);
      if (len < 8) break;
      pos += len;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
