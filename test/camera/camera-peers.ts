// The peers the camera tests meet, all on loopback: pictures made by real ffmpeg, an HTTP snapshot server (node http)
// that can answer a picture, garbage, or accept and never answer, and raw TCP "cameras" that accept and stay silent
// or send garbage. The RTSP camera is GStreamer's RTSP server fed by the simulated receiver (test/recording/satellite.ts).
import { execFile } from 'node:child_process';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A test picture (testsrc2) as JPEG or PNG bytes, made by ffmpeg. */
export async function makePicture(kind: 'jpeg' | 'png', size = '640x360'): Promise<Buffer> {
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${size}`, '-frames:v', '1', '-f', 'image2pipe', '-c:v', kind === 'jpeg' ? 'mjpeg' : 'png', 'pipe:1'], {
    encoding: 'buffer',
    maxBuffer: 20 * 1024 * 1024,
  });
  return stdout;
}

/** Width and height of a picture file, by ffprobe. */
export async function pictureSize(file: string): Promise<{ width: number; height: number; codec: string }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,codec_name', '-of', 'json', file]);
  const s = (JSON.parse(stdout) as { streams: { width: number; height: number; codec_name: string }[] }).streams[0]!;
  return { width: s.width, height: s.height, codec: s.codec_name };
}

export interface Peer {
  readonly port: number;
  readonly url: string;
  /** Connections accepted so far. */
  connections(): number;
  stop(): Promise<void>;
}

/** An HTTP snapshot server answering each GET with `answer` (a picture, garbage, or `hang`: accept and never answer). */
export async function startSnapshotServer(answer: () => { status?: number; type?: string; body: Buffer } | 'hang'): Promise<Peer> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server = createHttpServer((_req: IncomingMessage, res: ServerResponse) => {
    const a = answer();
    if (a === 'hang') return;
    res.writeHead(a.status ?? 200, { 'content-type': a.type ?? 'image/jpeg', 'content-length': a.body.length });
    res.end(a.body);
  });
  server.on('connection', (s: Socket) => {
    count += 1;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/snapshot.jpg`,
    connections: () => count,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A TCP "camera" that accepts and then stays silent (`silent`) or sends random bytes (`garbage`). */
export async function startTcpCamera(mode: 'silent' | 'garbage'): Promise<Peer> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((s) => {
    count += 1;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    if (mode === 'garbage') {
      s.on('data', () => {
        const junk = Buffer.alloc(4096);
        for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) % 256;
        // Junk, a line that is no RTSP reply, then the connection closed: what a camera answering another protocol does.
        s.end(Buffer.concat([junk, Buffer.from('\r\nGARBAGE 123\r\n\r\n')]));
      });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `rtsp://127.0.0.1:${port}/live`,
    connections: () => count,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
