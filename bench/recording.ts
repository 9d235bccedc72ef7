// Recording one 4 Mbit/s MPEG-TS stream over UDP: our recorder (broadcast/recording, in a child Node process with the
// box's SQLite store, spawning ffmpeg with our argv) next to ffmpeg alone running the same stream copy, both fed the
// same datagrams in the same run by one paced sender. Printed: CPU seconds (recorder process + its ffmpeg vs ffmpeg
// alone; aim within 10 %), peak RSS, and packets lost against the source's count (per-stream packets by ffprobe;
// aim 0). FENGHUO_BENCH_RECORDING_S sets the stream's length (default 30 s).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { recordArgs } from '../broadcast/recording/ffmpeg-args.js';
import { Recorder } from '../broadcast/recording/recorder.js';
import { pino } from 'pino';
import { createLogger, silentLogger } from '../node-daemon/core/log.js';
import { SqliteRecordingStore } from '../node-daemon/recording/recording-store.js';
import { openDatabase } from '../node-daemon/storage/database.js';
import { spawnUntil } from './fixtures/child.js';
import type { BenchResult } from './result.js';

const run = promisify(execFile);
const MUX_KBIT = 4_000;
const DATAGRAM = 7 * 188;
const CLK_TCK = 100;

interface ProcSample {
  readonly cpuS: number;
  readonly hwmMb: number;
}

function procSample(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuS = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    const hwmKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
    return { cpuS, hwmMb: hwmKb / 1024 };
  } catch {
    return undefined;
  }
}

/** Packets per stream type (video, audio) that ffprobe reads from the files, summed. */
async function packetCount(files: readonly string[]): Promise<number> {
  let total = 0;
  for (const f of files) {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'stream=codec_type,nb_read_packets', '-of', 'csv=p=0', f]);
    for (const line of stdout.trim().split('\n')) {
      const [type, n] = line.split(',');
      if (type === 'video' || type === 'audio') total += Number(n);
    }
  }
  return total;
}

const segmentsIn = (dir: string): string[] =>
  readdirSync(dir)
    .filter((n) => /^seg-\d+\.ts$/.test(n))
    .sort()
    .map((n) => join(dir, n));

/** Sends `file` to every port at the TS mux rate, 7 packets per datagram, as a satellite receiver does. */
async function sendPaced(file: string, ports: readonly number[]): Promise<void> {
  const data = readFileSync(file);
  const sock = createSocket('udp4');
  const bytesPerMs = (MUX_KBIT * 1000) / 8 / 1000;
  const t0 = performance.now();
  let off = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(data.length, Math.floor((performance.now() - t0) * bytesPerMs));
      while (off + DATAGRAM <= due || (off < data.length && due === data.length)) {
        const chunk = data.subarray(off, Math.min(off + DATAGRAM, data.length));
        for (const p of ports) sock.send(chunk, p, '127.0.0.1');
        off += chunk.length;
      }
      if (off >= data.length) resolve();
      else setTimeout(tick, 5);
    };
    tick();
  });
  await new Promise((r) => setTimeout(r, 200));
  sock.close();
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export async function benchRecording(seconds = Number(process.env.FENGHUO_BENCH_RECORDING_S ?? 30)): Promise<BenchResult[]> {
  execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-bench-rec-'));
  const children: { kill(sig?: NodeJS.Signals): boolean }[] = [];
  try {
    const source = join(dir, 'source.ts');
    await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', String(seconds),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '3400k', '-maxrate', '3400k', '-bufsize', '3400k', '-g', '50',
      '-c:a', 'aac', '-b:a', '128k', '-f', 'mpegts', '-muxrate', `${MUX_KBIT}k`, source,
    ]);
    const sourcePackets = await packetCount([source]);
    const [oursPort, peerPort] = [await freeUdpPort(), await freeUdpPort()];
    const oursDir = join(dir, 'ours');
    const peerDir = join(dir, 'peer');
    mkdirSync(peerDir, { recursive: true });

    const self = fileURLToPath(import.meta.url);
    const ours = await spawnUntil(self, ['--recorder-child', oursDir, String(oursPort), String(seconds + 60)], /^RECORDING (\d+)$/, 30_000);
    children.push(ours.child);
    const oursPid = ours.child.pid!;
    const ffmpegPid = Number(ours.match[1]);
    const peerArgs = recordArgs({
      source: { kind: 'udp', url: `udp://127.0.0.1:${peerPort}` },
      dir: peerDir,
      naming: { kind: 'numbered', startNumber: 1 },
      segmentSeconds: 60,
      stallSeconds: 10,
    });
    const peer = spawn('ffmpeg', peerArgs, { stdio: ['pipe', 'ignore', 'ignore'] });
    children.push(peer);
    const peerExit = new Promise<void>((resolve) => peer.once('exit', () => resolve()));
    await new Promise((r) => setTimeout(r, 1_500));
    const start = { node: procSample(oursPid)!, ffmpeg: procSample(ffmpegPid)!, peer: procSample(peer.pid!)! };
    const last = { ...start };
    const sampler = setInterval(() => {
      last.node = procSample(oursPid) ?? last.node;
      last.ffmpeg = procSample(ffmpegPid) ?? last.ffmpeg;
      last.peer = procSample(peer.pid!) ?? last.peer;
    }, 200);
    await sendPaced(source, [oursPort, peerPort]);
    await new Promise((r) => setTimeout(r, 1_500));
    clearInterval(sampler);
    const end = { node: procSample(oursPid) ?? last.node, ffmpeg: procSample(ffmpegPid) ?? last.ffmpeg, peer: procSample(peer.pid!) ?? last.peer };
    // Both stop cleanly (`q`), so their last segments are closed before the packets are counted.
    peer.stdin.end('q\n');
    const oursDone = new Promise<string>((resolve) => {
      let out = '';
      ours.child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      ours.child.once('exit', () => resolve(out));
    });
    ours.child.kill('SIGTERM');
    await peerExit;
    const childOut = await oursDone;
    const damaged = Number(/DAMAGED (\d+)/.exec(childOut)?.[1] ?? NaN);

    const oursNodeCpu = end.node.cpuS - start.node.cpuS;
    const oursFfmpegCpu = end.ffmpeg.cpuS - start.ffmpeg.cpuS;
    const peerCpu = end.peer.cpuS - start.peer.cpuS;
    const oursCpu = oursNodeCpu + oursFfmpegCpu;
    const oursPackets = await packetCount(segmentsIn(join(oursDir, 'bench')));
    const peerPackets = await packetCount(segmentsIn(peerDir));
    const oursRss = end.node.hwmMb + end.ffmpeg.hwmMb;
    return [
      {
        name: `recording: CPU s for ${seconds} s of a 4 Mbit/s UDP stream, recorder (Node + its ffmpeg) vs ffmpeg alone`,
        ours: oursCpu,
        peer: peerCpu,
        ratio: peerCpu > 0 ? oursCpu / peerCpu : Number.NaN,
        unit: 's CPU',
        aim: '≤ 1.10',
        note: `of ours: ffmpeg ${oursFfmpegCpu.toFixed(2)} s, the recorder's Node process ${oursNodeCpu.toFixed(2)} s (a disk look each second, progress parsing, SQLite every 10 s); /proc ticks are 10 ms`,
      },
      {
        name: 'recording: peak RSS MB, recorder (Node + its ffmpeg) vs ffmpeg alone',
        ours: oursRss,
        peer: end.peer.hwmMb,
        ratio: oursRss / end.peer.hwmMb,
        unit: 'MB',
        note: `of ours: ffmpeg ${end.ffmpeg.hwmMb.toFixed(1)} MB, Node ${end.node.hwmMb.toFixed(1)} MB (in the daemon the recorder shares the daemon's Node process: only its ffmpeg is added)`,
      },
      {
        name: 'recording: audio+video packets lost against the source\'s count',
        ours: sourcePackets - oursPackets,
        peer: sourcePackets - peerPackets,
        ratio: sourcePackets > 0 ? (sourcePackets - oursPackets) / sourcePackets : Number.NaN,
        unit: 'packets lost (peer column: ffmpeg alone)',
        aim: '0',
        note: `source ${sourcePackets} packets, ours ${oursPackets}, ffmpeg alone ${peerPackets}; input packets ffmpeg reported damaged (continuity) under our recorder: ${damaged}`,
      },
    ];
  } finally {
    for (const c of children) c.kill('SIGKILL');
    if (process.env.FENGHUO_BENCH_KEEP === undefined) rmSync(dir, { recursive: true, force: true });
    else console.log(`recording bench files kept in ${dir}`);
  }
}

/** The child: one recorder on a SQLite store, recording the port until SIGTERM; prints `RECORDING <ffmpeg pid>`. */
async function recorderChild(dir: string, port: number, maxSeconds: number): Promise<void> {
  const log = process.env.FENGHUO_BENCH_KEEP === undefined ? silentLogger() : createLogger({ destination: pino.destination(2) });
  const { db } = openDatabase({ dataDir: join(dir, 'db'), log });
  const channel = { id: 'bench', name: 'bench', source: { kind: 'udp', url: `udp://127.0.0.1:${port}` } } as const;
  const recorder = new Recorder({
    rootDir: dir,
    channel: () => channel,
    store: new SqliteRecordingStore(db),
    clock: Date.now,
    log,
    segmentSeconds: 60,
    stallSeconds: 10,
  });
  const now = Date.now();
  recorder.start({ id: 'bench', channelId: 'bench', title: 'bench', startAt: now, endAt: now + maxSeconds * 1_000, origin: 'now' });
  const pidFile = join(dir, 'bench', 'ffmpeg.pid');
  for (let i = 0; i < 200; i++) {
    try {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      if (pid > 0) {
        console.log(`RECORDING ${pid}`);
        break;
      }
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  process.once('SIGTERM', () => {
    void recorder.stop('bench').then((r) => {
      console.log(`DAMAGED ${r.damagedPackets}`);
      db.close();
      process.exit(0);
    });
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--recorder-child') {
  await recorderChild(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
}
