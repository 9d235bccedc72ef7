// Recording one 4 Mbit/s MPEG-TS stream over UDP: our recorder (broadcast/recording, in a child Node process with the
// box's SQLite store, spawning ffmpeg with our argv) next to ffmpeg alone running the same argv, both fed the same
// datagrams in the same run by one paced sender. Two runs:
// - live stop: the recording is stopped while the source still sends (as a scheduled end is). CPU and resident
//   memory are measured over the steady state only: from a second after both have their first segment on disk until
//   the stop (per-thread CPU from /proc/<pid>/task/*/schedstat, in ns; the recorder's Node process and its ffmpeg vs
//   ffmpeg alone). Node's start-up, ffmpeg's probing, the stop and the browser copy are outside the window. The
//   child collects its start-up garbage (module loading, opening the store) before the recording starts: in the
//   daemon the recorder starts inside a process that has long done so, and a full collection of it a few seconds in
//   (~30 ms) would otherwise land in the window and be charged to recording; the window starts after V8's memory
//   reducer has run (WARM_UP_MS). Node's CPU from the recorder's start to the window is printed on its own.
// - silent stop: the source sends a short stream and goes silent; the stop comes after a silence, while ffmpeg is
//   blocked on the UDP read.
// Packets: every audio and video packet's MD5 (ffprobe -show_data_hash) in the source and in each recording, in
// order, so a recording is placed in the source and what is missing is counted where it is missing: at the head
// (before the recorder saw anything), inside (lost while recording: the aim is 0), at the stop (sent before the stop
// was asked, not on disk) and after it. The source's audio is noise, so no two audio packets are equal.
// FENGHUO_BENCH_RECORDING_S sets the live stream's length (default 60 s); FENGHUO_BENCH_KEEP keeps the files and logs.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { damageLine, recordArgs } from '../broadcast/recording/ffmpeg-args.js';
import { Recorder } from '../broadcast/recording/recorder.js';
import type { RecorderLog } from '../broadcast/recording/recording-types.js';
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
/** The recorder's settings in the bench, as the daemon's defaults. */
const SEGMENT_S = 60;
const STALL_S = 10;
/** The silent-stop run: a stream this long, then this much silence before the stop. */
const SILENT_SOURCE_S = 8;
const SILENCE_BEFORE_STOP_MS = 1_500;
/** The live-stop run stops this long before the source's end. */
const LIVE_STOP_BEFORE_END_S = 5;
/**
 * The steady state starts this long after both have their first segment: past ffmpeg's probing and first writes, and
 * past V8's memory reducer, which runs two or three full collections of the whole heap some 8 s after a freshly
 * started process goes quiet (~20 ms here, seen with --trace-gc). In the daemon that happens once after its own
 * start, recording or not; in the bench's fresh child it would land in the window and be charged to recording.
 */
const WARM_UP_MS = 10_000;

// ---- /proc ----

/** CPU seconds of every thread of `pid` (schedstat: ns of run time); undefined once it is gone. */
function cpuNs(pid: number): number | undefined {
  try {
    let ns = 0;
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // a thread that ended between the listing and the read
      }
    }
    return ns;
  } catch {
    return undefined;
  }
}

/** utime + stime of the process in seconds (10 ms ticks): the cross-check of cpuNs. */
function cpuTicksS(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

function rssMb(pid: number): number | undefined {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  } catch {
    return undefined;
  }
}

// ---- packets ----

type PacketSeq = Readonly<Record<'video' | 'audio', readonly { hash: string; pos: number }[]>>;

/** The audio and video packets of `files` in order: their MD5 and (for the source) byte position. */
async function packetsOf(files: readonly string[]): Promise<PacketSeq> {
  const out: { video: { hash: string; pos: number }[]; audio: { hash: string; pos: number }[] } = { video: [], audio: [] };
  for (const f of files) {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'packet=codec_type,pos,data_hash', '-show_data_hash', 'MD5', '-of', 'json', f], { maxBuffer: 256 * 1024 * 1024 });
    const parsed = JSON.parse(stdout) as { packets?: { codec_type?: string; pos?: string; data_hash?: string }[] };
    for (const p of parsed.packets ?? []) {
      if ((p.codec_type === 'video' || p.codec_type === 'audio') && p.data_hash !== undefined) out[p.codec_type].push({ hash: p.data_hash, pos: Number(p.pos ?? NaN) });
    }
  }
  return out;
}

interface Placement {
  readonly recorded: number;
  /** Source packets before the first one recorded (sent before the recorder read anything). */
  readonly head: number;
  /** Source packets missing between the first and the last recorded: lost while recording. */
  readonly inside: number;
  /** Source packets after the last recorded whose first byte was sent before the stop was asked. */
  readonly atStop: number;
  /** Source packets sent after the stop was asked. */
  readonly afterStop: number;
  /** Recorded packets not found in the source in order (damaged or duplicated). */
  readonly foreign: number;
}

/** Where `rec` sits in `source`, per stream type, summed; `sentBeforeStop`: the bytes sent when the stop was asked. */
function place(source: PacketSeq, rec: PacketSeq, sentBeforeStop: number): Placement {
  let recorded = 0;
  let head = 0;
  let inside = 0;
  let atStop = 0;
  let afterStop = 0;
  let foreign = 0;
  for (const type of ['video', 'audio'] as const) {
    const src = source[type];
    const where = new Map<string, number[]>();
    src.forEach((p, i) => where.set(p.hash, [...(where.get(p.hash) ?? []), i]));
    let last = -1;
    for (const p of rec[type]) {
      const i = (where.get(p.hash) ?? []).find((j) => j > last);
      if (i === undefined) {
        foreign++;
        continue;
      }
      if (last < 0) head += i;
      else inside += i - last - 1;
      last = i;
      recorded++;
    }
    if (last < 0) head += src.length;
    for (let i = last + 1; i < src.length; i++) {
      if (src[i]!.pos < sentBeforeStop) atStop++;
      else afterStop++;
    }
  }
  return { recorded, head, inside, atStop, afterStop, foreign };
}

const total = (s: PacketSeq): number => s.video.length + s.audio.length;

const segmentsIn = (dir: string): string[] => {
  try {
    return readdirSync(dir)
      .filter((n) => /^seg-\d+\.ts$/.test(n))
      .sort()
      .map((n) => join(dir, n));
  } catch {
    return [];
  }
};
const bytesIn = (dir: string): number => segmentsIn(dir).reduce((n, f) => n + statSync(f).size, 0);

// ---- the source ----

async function makeSource(file: string, seconds: number): Promise<void> {
  await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-f', 'lavfi', '-i', 'anoisesrc=amplitude=0.1:seed=42:sample_rate=48000',
    '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '3400k', '-maxrate', '3400k', '-bufsize', '3400k', '-g', '50',
    '-c:a', 'aac', '-b:a', '128k', '-f', 'mpegts', '-muxrate', `${MUX_KBIT}k`, file,
  ]);
}

/** Sends `data` to every port at the TS mux rate, 7 packets per datagram, as a satellite receiver does. */
class PacedSender {
  sent = 0;
  private datagrams = 0;
  readonly done: Promise<void>;
  private readonly t0 = performance.now();

  constructor(data: Buffer, ports: readonly number[]) {
    const sock = createSocket('udp4');
    const bytesPerMs = (MUX_KBIT * 1000) / 8 / 1000;
    this.done = new Promise<void>((resolve) => {
      const tick = (): void => {
        const due = Math.min(data.length, Math.floor((performance.now() - this.t0) * bytesPerMs));
        while (this.sent + DATAGRAM <= due || (this.sent < data.length && due === data.length)) {
          const chunk = data.subarray(this.sent, Math.min(this.sent + DATAGRAM, data.length));
          // Each port first in turn: neither receiver is always woken first.
          for (let i = 0; i < ports.length; i++) sock.send(chunk, ports[(i + this.datagrams) % ports.length]!, '127.0.0.1');
          this.datagrams++;
          this.sent += chunk.length;
        }
        if (this.sent >= data.length) setTimeout(() => sock.close(() => resolve()), 200);
        else setTimeout(tick, 5);
      };
      tick();
    });
  }

  elapsedS(): number {
    return (performance.now() - this.t0) / 1000;
  }
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ms: number, ok: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`recording bench: ${what} not within ${ms} ms`);
    await sleep(50);
  }
}

// ---- one run ----

interface RunOutcome {
  readonly windowS: number;
  /** CPU seconds of the recorder's Node process from the recording's start to the window (its start-up). */
  readonly nodeStartUp: number;
  /** CPU seconds in the steady-state window. */
  readonly cpu: { readonly node: number; readonly ffmpeg: number; readonly peer: number; readonly ticks: { readonly ours: number; readonly peer: number } };
  /** Mean VmRSS in the window (MB); nodeBefore: the recorder's Node process just before the recording started. */
  readonly rss: { readonly node: number; readonly nodeBefore: number; readonly ffmpeg: number; readonly peer: number };
  readonly source: number;
  readonly ours: Placement;
  readonly peer: Placement;
  readonly damaged: { readonly ours: number; readonly peer: number };
  /** From the stop asked to the recording's ffmpeg gone, and how it ended. */
  readonly stop: { readonly oursMs: number; readonly oursExit: string; readonly peerMs: number; readonly peerExit: string };
}

interface RunPlan {
  readonly dir: string;
  readonly source: string;
  /** live: stop `stopBeforeEndS` before the source ends; silent: after the source ended and `silenceMs` passed. */
  readonly stop: { readonly kind: 'live'; readonly stopBeforeEndS: number; readonly sourceS: number } | { readonly kind: 'silent'; readonly silenceMs: number };
  readonly children: ChildProcess[];
}

async function runOnce(plan: RunPlan): Promise<RunOutcome> {
  const [oursPort, peerPort] = [await freeUdpPort(), await freeUdpPort()];
  const oursRoot = join(plan.dir, 'ours');
  const peerDir = join(plan.dir, 'peer');
  mkdirSync(peerDir, { recursive: true });
  const oursDir = join(oursRoot, 'bench');

  const self = fileURLToPath(import.meta.url);
  const ours = await spawnUntil(self, ['--recorder-child', oursRoot, String(oursPort), '600'], /^RECORDING (\d+) (\d+) (\d+)$/, 30_000, ['--expose-gc']);
  /** The child's CPU (getrusage, µs) just before the recording started. */
  const nodeAtStartNs = Number(ours.match[3]) * 1_000;
  plan.children.push(ours.child);
  const oursOut: string[] = [];
  createInterface({ input: ours.child.stdout! }).on('line', (l) => oursOut.push(l));
  const oursPid = ours.child.pid!;
  const ffmpegPid = Number(ours.match[1]);
  const nodeBefore = Number(ours.match[2]) / 1024 / 1024;

  const peer = spawn('ffmpeg', recordArgs({ source: { kind: 'udp', url: `udp://127.0.0.1:${peerPort}` }, dir: peerDir, naming: { kind: 'numbered', startNumber: 1 }, segmentSeconds: SEGMENT_S, stallSeconds: STALL_S }), {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  plan.children.push(peer);
  // Its progress blocks are read as the recorder reads its ffmpeg's: the same pipe work for both.
  peer.stdout!.resume();
  let peerDamaged = 0;
  createInterface({ input: peer.stderr! }).on('line', (l) => {
    if (damageLine(l)) peerDamaged++;
  });
  const peerExit = new Promise<string>((resolve) => peer.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)));
  await sleep(1_000);

  const sourceData = readFileSync(plan.source);
  const sender = new PacedSender(sourceData, [oursPort, peerPort]);
  await until('a first segment with data from both', 20_000, () => bytesIn(oursDir) > 0 && bytesIn(peerDir) > 0);
  await sleep(WARM_UP_MS);
  const t0 = performance.now();
  const nodeStartUp = (cpuNs(oursPid)! - nodeAtStartNs) / 1e9;
  const start = { node: cpuNs(oursPid)!, ffmpeg: cpuNs(ffmpegPid)!, peer: cpuNs(peer.pid!)!, oursTicks: (cpuTicksS(oursPid) ?? 0) + (cpuTicksS(ffmpegPid) ?? 0), peerTicks: cpuTicksS(peer.pid!)! };
  const rss = { node: [] as number[], ffmpeg: [] as number[], peer: [] as number[] };
  const sampleRss = (): void => {
    rss.node.push(rssMb(oursPid) ?? NaN);
    rss.ffmpeg.push(rssMb(ffmpegPid) ?? NaN);
    rss.peer.push(rssMb(peer.pid!) ?? NaN);
  };
  sampleRss();
  const sampler = setInterval(sampleRss, 500);
  if (plan.stop.kind === 'live') {
    const stopAtS = plan.stop.sourceS - plan.stop.stopBeforeEndS;
    while (sender.elapsedS() < stopAtS) await sleep(20);
  } else {
    await sender.done;
    await sleep(plan.stop.silenceMs);
  }
  clearInterval(sampler);
  const end = { node: cpuNs(oursPid)!, ffmpeg: cpuNs(ffmpegPid)!, peer: cpuNs(peer.pid!)!, oursTicks: (cpuTicksS(oursPid) ?? 0) + (cpuTicksS(ffmpegPid) ?? 0), peerTicks: cpuTicksS(peer.pid!)! };
  const windowS = (performance.now() - t0) / 1000;

  // The stop, asked of both at once: ours as the schedule asks it (Recorder.stop), ffmpeg alone by `q`.
  const sentBeforeStop = sender.sent;
  const stopAt = performance.now();
  peer.stdin!.end('q\n');
  ours.child.kill('SIGTERM');
  const peerEnded = peerExit.then((how) => ({ how, ms: performance.now() - stopAt }));
  const oursEnded = new Promise<void>((resolve) => ours.child.once('exit', () => resolve()));
  const safety = setTimeout(() => peer.kill('SIGKILL'), 60_000);
  const [peerStop] = await Promise.all([peerEnded, oursEnded, sender.done]);
  clearTimeout(safety);
  const stopped = /^STOPPED (\d+) (\d+) (\S+)$/.exec(oursOut.find((l) => l.startsWith('STOPPED ')) ?? '');

  const source = await packetsOf([plan.source]);
  const mean = (xs: number[]): number => {
    const ok = xs.filter((x) => Number.isFinite(x));
    return ok.reduce((a, b) => a + b, 0) / ok.length;
  };
  return {
    windowS,
    nodeStartUp,
    cpu: {
      node: (end.node - start.node) / 1e9,
      ffmpeg: (end.ffmpeg - start.ffmpeg) / 1e9,
      peer: (end.peer - start.peer) / 1e9,
      ticks: { ours: end.oursTicks - start.oursTicks, peer: end.peerTicks - start.peerTicks },
    },
    rss: { node: mean(rss.node), nodeBefore, ffmpeg: mean(rss.ffmpeg), peer: mean(rss.peer) },
    source: total(source),
    ours: place(source, await packetsOf(segmentsIn(oursDir)), sentBeforeStop),
    peer: place(source, await packetsOf(segmentsIn(peerDir)), sentBeforeStop),
    damaged: { ours: Number(stopped?.[2] ?? NaN), peer: peerDamaged },
    stop: { oursMs: Number(stopped?.[1] ?? NaN), oursExit: (stopped?.[3] ?? '?').replace(/_/g, ' '), peerMs: peerStop.ms, peerExit: peerStop.how },
  };
}

const f2 = (x: number): string => x.toFixed(2);
const where = (p: Placement): string =>
  `${p.recorded} recorded; missing: ${p.head} at the head, ${p.inside} inside, ${p.atStop} sent before the stop but not on disk, ${p.afterStop} after the stop${p.foreign > 0 ? `; ${p.foreign} not in the source` : ''}`;

export async function benchRecording(seconds = Number(process.env.FENGHUO_BENCH_RECORDING_S ?? 60)): Promise<BenchResult[]> {
  execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-bench-rec-'));
  const children: ChildProcess[] = [];
  try {
    const liveSource = join(dir, 'live.ts');
    const silentSource = join(dir, 'silent.ts');
    await makeSource(liveSource, seconds);
    await makeSource(silentSource, SILENT_SOURCE_S);
    const live = await runOnce({ dir: join(dir, 'live'), source: liveSource, stop: { kind: 'live', sourceS: seconds, stopBeforeEndS: LIVE_STOP_BEFORE_END_S }, children });
    const silent = await runOnce({ dir: join(dir, 'silent'), source: silentSource, stop: { kind: 'silent', silenceMs: SILENCE_BEFORE_STOP_MS }, children });

    const oursCpu = live.cpu.node + live.cpu.ffmpeg;
    const cpuRatio = oursCpu / live.cpu.peer;
    const oursRss = live.rss.ffmpeg + Math.max(0, live.rss.node - live.rss.nodeBefore);
    const silentLost = silent.ours.head + silent.ours.inside + silent.ours.atStop;
    const silentPeerLost = silent.peer.head + silent.peer.inside + silent.peer.atStop;
    const graceS = Math.max(5, STALL_S + 1);
    return [
      {
        name: `recording: CPU s over ${f2(live.windowS)} s of steady recording of a 4 Mbit/s UDP stream, recorder (its Node process + its ffmpeg) vs ffmpeg alone`,
        ours: oursCpu,
        peer: live.cpu.peer,
        ratio: cpuRatio,
        unit: 's CPU (schedstat, all threads)',
        aim: '≤ 1.10',
        note:
          `of ours: ffmpeg ${f2(live.cpu.ffmpeg)} s (${f2(live.cpu.ffmpeg / live.cpu.peer)} × ffmpeg alone: the same argv), the recorder's Node process ${f2(live.cpu.node)} s ` +
          `(${((live.cpu.node / live.windowS) * 1000).toFixed(1)} ms per second: a look at the disk each second, the progress blocks, SQLite every 10 s, V8 and libuv on their own). ` +
          `Before the window, from the recording's start: the Node process ${f2(live.nodeStartUp)} s (ffmpeg's spawn, the first row, compiling the steady path, V8's memory reducer), once per recording: ${((live.nodeStartUp / 7200) * 1000).toFixed(2)} ms/s over a two-hour conference. ` +
          `Cross-check in 10 ms ticks: ours ${f2(live.cpu.ticks.ours)} s, ffmpeg alone ${f2(live.cpu.ticks.peer)} s. ` +
          (cpuRatio <= 1.1
            ? 'Aim met.'
            : `Aim missed, by the Node side alone: stream copy costs ffmpeg so little (${((live.cpu.peer / live.windowS) * 1000).toFixed(1)} ms/s) that the recorder's ${((live.cpu.node / live.windowS) * 1000).toFixed(1)} ms/s is ${((live.cpu.node / live.cpu.peer) * 100).toFixed(0)} % of it; ` +
              'a recorder in a Node process pays its garbage collector and event loop for a tick each second, which ffmpeg alone does not.') +
          ' Two ffmpeg, the sender and other work share 2 cores here: a few % either way is noise.',
      },
      {
        name: 'recording: resident memory MB in the steady state (mean VmRSS), what recording adds (its ffmpeg + the growth of the Node process) vs ffmpeg alone',
        ours: oursRss,
        peer: live.rss.peer,
        ratio: oursRss / live.rss.peer,
        unit: 'MB',
        note:
          `of ours: ffmpeg ${live.rss.ffmpeg.toFixed(1)} MB (as much as ffmpeg alone: the same argv, mostly its ${Math.round((65_536 * 188) / 1024 / 1024)} MB UDP FIFO), ` +
          `the Node process ${live.rss.node.toFixed(1)} MB while recording vs ${live.rss.nodeBefore.toFixed(1)} MB with the store open just before the start${live.rss.node <= live.rss.nodeBefore ? ' (no growth to count: its collector gave back more than recording took)' : ''} ` +
          `(in the daemon the recorder lives in the daemon's Node process, so only its ffmpeg and that growth are added; a recorder in a process of its own would cost the whole ${(live.rss.node + live.rss.ffmpeg).toFixed(1)} MB)`,
      },
      {
        name: 'recording, stopped while the source sends: audio+video packets lost inside the recording (by MD5 against the source)',
        ours: live.ours.inside,
        peer: live.peer.inside,
        ratio: live.source > 0 ? live.ours.inside / live.source : Number.NaN,
        unit: 'packets lost (peer column: ffmpeg alone)',
        aim: '0',
        note:
          `source ${live.source} packets. Ours: ${where(live.ours)}. ffmpeg alone: ${where(live.peer)}. ` +
          `Continuity errors ffmpeg reported on input: ours ${live.damaged.ours}, alone ${live.damaged.peer}. ` +
          `The stop took ${(live.stop.oursMs / 1000).toFixed(2)} s for ours (ffmpeg ${live.stop.oursExit}) and ${(live.stop.peerMs / 1000).toFixed(2)} s alone (${live.stop.peerExit}); ` +
          'packets still in the UDP queue when `q` is read are dropped by both, and are counted as "sent before the stop", not as lost.',
      },
      {
        name: `recording, stopped ${(SILENCE_BEFORE_STOP_MS / 1000).toFixed(1)} s after the source went silent: packets of the ${SILENT_SOURCE_S} s source not in the recording`,
        ours: silentLost,
        peer: silentPeerLost,
        ratio: silent.source > 0 ? silentLost / silent.source : Number.NaN,
        unit: 'packets lost (peer column: ffmpeg alone)',
        aim: '0',
        note:
          `source ${silent.source} packets. Ours: ${where(silent.ours)}. ffmpeg alone: ${where(silent.peer)}. ` +
          `The stop took ${(silent.stop.oursMs / 1000).toFixed(1)} s for ours (ffmpeg ${silent.stop.oursExit}) and ${(silent.stop.peerMs / 1000).toFixed(1)} s alone (${silent.stop.peerExit}): ` +
          `blocked on a silent UDP read, ffmpeg reads neither \`q\` nor a single SIGINT; it ends when the input's read timeout (2 × stallSeconds = ${2 * STALL_S} s of silence) ends the read, and closes the segment itself. ` +
          `The recorder sends SIGINT at ${graceS} s and SIGKILL only at ${2 * graceS} s after the stop, past that timeout, so the segment is closed by ffmpeg, not cut by a SIGKILL. ` +
          (silentLost === 0
            ? 'Nothing is lost.'
            : silentLost === silentPeerLost && silent.ours.head + silent.ours.inside === 0
              ? `The ${silentLost} missing at the end ${silentLost === 1 ? 'is' : 'are'} missing from ffmpeg alone too: ffmpeg 5.1 drops the source's last video frame when its UDP input ends by the read timeout (the same file copied from disk keeps every packet): most likely because a video PES in MPEG-TS carries no length, so the demuxer knows the last one is whole only when another starts or the file ends, and a timeout is an error, not an end of file. Not the recorder's doing; a receiver that goes on sending (the live stop above) loses nothing.`
              : 'Aim missed beyond what ffmpeg alone loses: look at the kept files (FENGHUO_BENCH_KEEP=1).'),
      },
    ];
  } finally {
    for (const c of children) c.kill('SIGKILL');
    if (process.env.FENGHUO_BENCH_KEEP === undefined) rmSync(dir, { recursive: true, force: true });
    else console.log(`recording bench files kept in ${dir}`);
  }
}

/**
 * The child: one recorder on a SQLite store, recording the port until SIGTERM. Prints `RECORDING <ffmpeg pid> <rss
 * bytes just before the start> <its CPU µs just before the start>`, and after the stop `STOPPED <ms until its ffmpeg was gone> <damaged packets> <how it ended>`.
 */
async function recorderChild(dir: string, port: number, maxSeconds: number): Promise<void> {
  const base = process.env.FENGHUO_BENCH_KEEP === undefined ? silentLogger() : createLogger({ destination: pino.destination(2) });
  let ffmpegEnd = '?';
  let stopAskedAt = 0;
  let ffmpegGoneMs = Number.NaN;
  const log: RecorderLog = {
    info: (obj, msg) => {
      const e = obj as { event?: string; code?: number | null; signal?: string | null };
      if (e.event === 'recording.ffmpeg_stopped') {
        ffmpegEnd = e.signal ?? `exit ${e.code}`;
        ffmpegGoneMs = performance.now() - stopAskedAt;
      }
      base.info(obj, msg);
    },
    warn: (obj, msg) => base.warn(obj, msg),
    error: (obj, msg) => base.error(obj, msg),
  };
  const { db } = openDatabase({ dataDir: join(dir, 'db'), log: base });
  const channel = { id: 'bench', name: 'bench', source: { kind: 'udp', url: `udp://127.0.0.1:${port}` } } as const;
  const recorder = new Recorder({
    rootDir: dir,
    channel: () => channel,
    store: new SqliteRecordingStore(db),
    clock: Date.now,
    log,
    segmentSeconds: SEGMENT_S,
    stallSeconds: STALL_S,
  });
  // The start-up garbage, collected now rather than in the window (see the header).
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage().rss;
  const cpu = process.cpuUsage();
  const now = Date.now();
  recorder.start({ id: 'bench', channelId: 'bench', title: 'bench', startAt: now, endAt: now + maxSeconds * 1_000, origin: 'now' });
  const pidFile = join(dir, 'bench', 'ffmpeg.pid');
  for (let i = 0; i < 200; i++) {
    try {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      if (pid > 0) {
        console.log(`RECORDING ${pid} ${rssBefore} ${cpu.user + cpu.system}`);
        break;
      }
    } catch {
      await sleep(25);
    }
  }
  process.once('SIGTERM', () => {
    stopAskedAt = performance.now();
    void recorder.stop('bench').then((r) => {
      console.log(`STOPPED ${Math.round(ffmpegGoneMs)} ${r.damagedPackets} ${ffmpegEnd.replace(/\s/g, '_')}`);
      db.close();
      process.exit(0);
    });
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--recorder-child') {
  await recorderChild(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
}
