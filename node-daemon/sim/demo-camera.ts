import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../core/log.js';

/**
 * The demo's camera: an HTTP snapshot URL on loopback, as an IP camera's (ONVIF) snapshot URI is. Each GET draws the
 * river as it is now: sky, the water up to the replayed level, the prepare and evacuate lines, the level as text, in
 * one frame of ffmpeg's lavfi (≈0.1 s of CPU per picture; the demo asks once a minute and at alarms).
 */
export interface DemoCamera {
  readonly url: string;
  stop(): Promise<void>;
}

export interface DemoCameraOptions {
  /** The level shown (metres), undefined when the gauge is silent. */
  readonly level: () => number | undefined;
  readonly prepareM: number;
  readonly evacuateM: number;
  readonly log: Logger;
}

const W = 640;
const H = 360;
/** Metres from the picture's bottom to its top. */
const SPAN_M = 12;

const yOf = (m: number): number => Math.round(H - Math.min(SPAN_M, Math.max(0, m)) * (H / SPAN_M));

/** Pure: the ffmpeg argv of one demo picture (JPEG on stdout); without text when the system has no fonts. */
export function demoPictureArgs(level: number | undefined, prepareM: number, evacuateM: number, withText: boolean): string[] {
  const top = level === undefined ? H : yOf(level);
  const filters = [
    `drawbox=x=0:y=${top}:w=iw:h=${H - top}:color=0x35607f:t=fill`,
    `drawbox=x=0:y=${yOf(prepareM)}:w=iw:h=2:color=0xf0a020:t=fill`,
    `drawbox=x=0:y=${yOf(evacuateM)}:w=iw:h=2:color=0xd03020:t=fill`,
    ...(withText ? [`drawtext=text='MASON ${level === undefined ? '--' : level.toFixed(2)} m':x=16:y=16:fontsize=28:fontcolor=white:box=1:boxcolor=black@0.4`] : []),
  ];
  return ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', `color=c=0x9cc3d9:s=${W}x${H}`, '-vf', filters.join(','), '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '4', 'pipe:1'];
}

function draw(args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0 && out.length > 0) resolve(Buffer.concat(out));
      else reject(new Error(`ffmpeg ${String(code)}: ${err.trim().slice(-200)}`));
    });
  });
}

export async function startDemoCamera(o: DemoCameraOptions): Promise<DemoCamera> {
  let withText = true;
  const server: Server = createServer((_req, res) => {
    const picture = async (): Promise<Buffer> => {
      try {
        return await draw(demoPictureArgs(o.level(), o.prepareM, o.evacuateM, withText));
      } catch (err) {
        if (!withText) throw err;
        // No fonts (drawtext fails): the water alone says enough.
        withText = false;
        o.log.info({ event: 'demo.camera_no_text', err: String(err) }, 'demo camera draws without text');
        return draw(demoPictureArgs(o.level(), o.prepareM, o.evacuateM, false));
      }
    };
    picture().then(
      (jpeg) => {
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
        res.end(jpeg);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/onvif/snapshot.jpg`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
