// The simulated satellite receiver and the ffprobe checks the recording tests share. The receiver is real ffmpeg:
// a lavfi test pattern and tone, H.264 + AAC in MPEG-TS, sent in real time (-re) as UDP datagrams of 7 TS packets
// to a port on loopback, as a receiver's IP output does. Beside it, the peers the recorder's other sources meet: an
// HTTP channel (ffmpeg's own server, or a relay in this process that can reset or starve its clients) and a real RTSP
// server (GStreamer's, rtsp-server.py).
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
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

function startSource(url: string, outputOptions: readonly string[], opts: { kbit?: number; size?: string; seconds?: number }, onData?: (chunk: Buffer) => void): SatelliteSource {
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
    { stdio: ['ignore', onData === undefined ? 'ignore' : 'pipe', 'pipe'] },
  );
  if (onData !== undefined) child.stdout?.on('data', onData);
  // Read and dropped: a full stderr pipe would block the encoder.
  child.stderr?.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid ?? -1,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** TS packets are 188 bytes, each starting with this sync byte. */
const TS_PACKET = 188;
const TS_SYNC = 0x47;

/**
 * An HTTP channel served by a relay in this process (`http://127.0.0.1:PORT/stream/channel/1`, `video/mp2t`, no
 * length, as TVHeadend serves a live channel), fed by one real-time ffmpeg encoder, so the faults of a real network
 * can be made on purpose: `reset()` resets every open connection (TCP RST) while the relay keeps accepting new ones;
 * `pause()` keeps the connections open and sends nothing (the encoder's bytes meanwhile are lost, as a live source's
 * are) until `resume()`. Every client starts, and restarts after a pause, on a TS packet boundary.
 */
export interface HttpRelay extends SatelliteSource {
  readonly url: string;
  /** Requests accepted so far. */
  readonly requests: number;
  /** Connections open now. */
  readonly open: number;
  /** Bytes sent to clients so far. */
  readonly bytesSent: number;
  reset(): void;
  pause(): void;
  resume(): void;
}

export async function startHttpRelay(opts: { kbit?: number; size?: string } = {}): Promise<HttpRelay> {
  interface Client {
    readonly res: ServerResponse;
    synced: boolean;
  }
  const clients = new Set<Client>();
  let requests = 0;
  let bytesSent = 0;
  let paused = false;
  /** Bytes the encoder gave so far: where in its packet grid the next chunk starts. */
  let fed = 0;
  const feed = (chunk: Buffer): void => {
    const lead = (TS_PACKET - (fed % TS_PACKET)) % TS_PACKET;
    fed += chunk.length;
    if (paused) return;
    for (const c of clients) {
      let out = chunk;
      if (!c.synced) {
        if (lead >= chunk.length || chunk[lead] !== TS_SYNC) continue;
        out = chunk.subarray(lead);
        c.synced = true;
      }
      bytesSent += out.length;
      c.res.write(out);
    }
  };
  const server = createServer((req, res) => {
    if (req.url !== '/stream/channel/1') {
      res.writeHead(404).end();
      return;
    }
    requests++;
    res.writeHead(200, { 'Content-Type': 'video/mp2t', 'Cache-Control': 'no-cache' });
    // The headers go out at once, before any body: ffmpeg then waits on the body, as on a silent receiver.
    res.flushHeaders();
    const c: Client = { res, synced: false };
    clients.add(c);
    res.on('close', () => clients.delete(c));
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const encoder = startSource('pipe:1', [], opts, feed);
  return {
    pid: encoder.pid,
    url: `http://127.0.0.1:${port}/stream/channel/1`,
    get requests() {
      return requests;
    },
    get open() {
      return clients.size;
    },
    get bytesSent() {
      return bytesSent;
    },
    reset() {
      for (const c of clients) c.res.socket?.resetAndDestroy();
      clients.clear();
    },
    pause() {
      paused = true;
    },
    resume() {
      for (const c of clients) c.synced = false;
      paused = false;
    },
    stop: async () => {
      await encoder.stop();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const RTSP_SERVER_SCRIPT = fileURLToPath(new URL('./rtsp-server.py', import.meta.url));
/** Debian's python3: GStreamer's Python bindings (python3-gi) are installed for it, not for another python on PATH. */
const DEBIAN_PYTHON = '/usr/bin/python3';
/** The Debian packages the RTSP server needs. */
export const RTSP_SERVER_PACKAGES = 'python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good';

/** Whether GStreamer's RTSP server and the elements rtsp-server.py uses are installed. */
export function haveRtspServer(): boolean {
  const check = [
    'import gi',
    "gi.require_version('Gst', '1.0')",
    "gi.require_version('GstRtspServer', '1.0')",
    'from gi.repository import Gst, GstRtspServer',
    'Gst.init(None)',
    "assert all(Gst.ElementFactory.find(e) for e in ('udpsrc', 'rtpmp2tpay', 'rtpbin', 'queue'))",
  ].join('\n');
  return spawnSync(DEBIAN_PYTHON, ['-c', check], { stdio: 'ignore', timeout: 20_000 }).status === 0;
}

export interface RtspServer extends SatelliteSource {
  /** `rtsp://127.0.0.1:PORT/live` */
  readonly url: string;
  /** The UDP port it takes the MPEG-TS to serve from (startSatellite's port). */
  readonly feedPort: number;
  /** The Transport header of each SETUP it answered, oldest first (`RTP/AVP/TCP;unicast;interleaved=0-1`). */
  readonly setups: readonly string[];
}

/**
 * GStreamer's RTSP server on loopback (rtsp-server.py), serving what arrives as MPEG-TS over UDP on `feedPort` as
 * RTP/MP2T at `rtsp://127.0.0.1:PORT/live`, over TCP interleaved or UDP as the client asks (`tcpOnly`: TCP interleaved
 * only, a SETUP asking for UDP is refused with 461). Resolves once it listens.
 */
export async function startRtspServer(port: number, feedPort: number, opts: { tcpOnly?: boolean } = {}): Promise<RtspServer> {
  const child = spawn(DEBIAN_PYTHON, [RTSP_SERVER_SCRIPT, String(port), String(feedPort), ...(opts.tcpOnly === true ? ['tcp'] : [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const setups: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the RTSP server did not start within 20 s: ${stderr}`)), 20_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === `ready ${port}`) {
        clearTimeout(timer);
        resolve();
      } else if (line.startsWith('setup ')) setups.push(line.slice('setup '.length));
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the RTSP server exited (${String(child.exitCode ?? child.signalCode)}): ${stderr}`));
    });
  });
  return {
    pid: child.pid ?? -1,
    url: `rtsp://127.0.0.1:${port}/live`,
    feedPort,
    setups,
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
