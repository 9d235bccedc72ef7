import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../core/log.js';

/**
 * The embedded demo's satellite receiver: a real `ffmpeg -re` making a lavfi test pattern and tone as MPEG-TS
 * (H.264 + AAC, what a DVB-S2 receiver's IP output carries), sent as UDP datagrams of 7 TS packets to two ports on
 * loopback, one per simulated channel,
 * and an XMLTV guide for them written beside it, so the daemon's recorder and schedule run on real data: the first
 * programme starts a minute after the demo (a recording that finishes early in a demo run and can be watched), later
 * ones overlap on the one receiver (a conflict to see on the 录像 page).
 */

export const DEMO_CHANNELS = {
  farm: { id: 'cctv17', name: 'CCTV-17 农业农村（模拟卫星）', xmltvId: 'CCTV17.demo' },
  province: { id: 'prov', name: '省台公共频道（模拟卫星）', xmltvId: 'PROV.demo' },
} as const;
/** Both channels come through one single-input receiver: only one can be recorded at a time. */
export const DEMO_RECEIVER = 'demo-receiver';

export interface DemoProgramme {
  readonly channel: string;
  readonly title: string;
  readonly category: string;
  readonly start: number;
  readonly stop: number;
}

export interface DemoGuideTimes {
  /** Seconds after `now` the first programme (今日农产品价格) starts. */
  readonly firstAfterS: number;
  /** Its length in seconds. */
  readonly firstLengthS: number;
}

const MIN = 60_000;

/**
 * The demo guide's programmes from `now` (UTC ms): the price bulletin soon, then a training the farm rule records
 * and a provincial video meeting on the same receiver that overlaps it (the schedule reports the conflict).
 */
export function demoProgrammes(now: number, times: DemoGuideTimes): DemoProgramme[] {
  const first = now + times.firstAfterS * 1000;
  const training = Math.ceil((now + 10 * MIN) / MIN) * MIN;
  return [
    { channel: DEMO_CHANNELS.farm.xmltvId, title: '今日农产品价格', category: '农业', start: first, stop: first + times.firstLengthS * 1000 },
    { channel: DEMO_CHANNELS.farm.xmltvId, title: '玉米病虫害防治', category: '农业', start: training, stop: training + 30 * MIN },
    { channel: DEMO_CHANNELS.province.xmltvId, title: '全省防汛视频会议', category: '会议', start: training + 15 * MIN, stop: training + 75 * MIN },
    { channel: DEMO_CHANNELS.farm.xmltvId, title: '乡村大舞台', category: '综艺', start: training + 30 * MIN, stop: training + 90 * MIN },
  ];
}

/** `20251208090000 +0800`, as TVHeadend writes it (Beijing time). */
export function xmltvTime(ms: number): string {
  const d = new Date(ms + 8 * 3_600_000).toISOString();
  return `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}${d.slice(11, 13)}${d.slice(14, 16)}${d.slice(17, 19)} +0800`;
}

const xmlText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The XMLTV document of the demo channels and programmes. */
export function demoGuideXml(programmes: readonly DemoProgramme[]): string {
  const channels = Object.values(DEMO_CHANNELS).map((c) => `  <channel id="${c.xmltvId}">\n    <display-name lang="zh">${xmlText(c.name)}</display-name>\n  </channel>`);
  const items = programmes.map(
    (p) =>
      `  <programme start="${xmltvTime(p.start)}" stop="${xmltvTime(p.stop)}" channel="${p.channel}">\n` +
      `    <title lang="zh">${xmlText(p.title)}</title>\n    <category lang="zh">${xmlText(p.category)}</category>\n  </programme>`,
  );
  return ['<?xml version="1.0" encoding="UTF-8"?>', '<tv generator-info-name="fenghuo-demo">', ...channels, ...items, '</tv>', ''].join('\n');
}

/** The `recording` config section of the demo: the two channels, the guide with its rules, a weekly meeting. */
export function demoRecordingConfig(ports: { readonly farm: number; readonly province: number }, guideFile: string): Record<string, unknown> {
  const channel = (c: (typeof DEMO_CHANNELS)[keyof typeof DEMO_CHANNELS], port: number) => ({
    id: c.id,
    name: c.name,
    xmltvId: c.xmltvId,
    source: { kind: 'udp', url: `udp://127.0.0.1:${port}` },
  });
  return {
    segmentSeconds: 10,
    stallSeconds: 10,
    channels: [channel(DEMO_CHANNELS.farm, ports.farm), channel(DEMO_CHANNELS.province, ports.province)],
    xmltv: { file: guideFile, refreshMinutes: 5 },
    rules: [
      { channel: DEMO_CHANNELS.farm.id, category: '农业' },
      { channel: DEMO_CHANNELS.province.id, title: '会议' },
    ],
    weekly: [{ channel: DEMO_CHANNELS.province.id, title: '周一例会', days: ['mon'], start: '09:00', end: '11:00' }],
    receivers: { [DEMO_RECEIVER]: [DEMO_CHANNELS.farm.id, DEMO_CHANNELS.province.id] },
    // Short padding: the demo's first programme is a minute away and a minute long.
    paddingBeforeS: 5,
    paddingAfterS: 5,
  };
}

export function haveFfmpeg(): boolean {
  return spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((done) => s.bind(0, '127.0.0.1', () => done()));
  const { port } = s.address();
  await new Promise<void>((done) => s.close(() => done()));
  return port;
}

/** ffmpeg's arguments: one small encode (light on a shared CPU), MPEG-TS on stdout. */
export function senderArgs(): string[] {
  return [
    '-hide_banner', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-map', '0:v', '-map', '1:a',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '15', '-b:v', '300k', '-maxrate', '300k', '-bufsize', '300k',
    '-c:a', 'aac', '-b:a', '48k',
    '-f', 'mpegts', '-muxrate', '600k', 'pipe:1',
  ];
}

/** 7 TS packets: what a receiver's IP output puts in one datagram. */
export const DATAGRAM_BYTES = 7 * 188;

/** Cuts a byte stream into whole datagrams; what is left over waits for the next chunk. */
export class DatagramCutter {
  private rest = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    const all = this.rest.length === 0 ? chunk : Buffer.concat([this.rest, chunk]);
    const out: Buffer[] = [];
    let at = 0;
    for (; at + DATAGRAM_BYTES <= all.length; at += DATAGRAM_BYTES) out.push(all.subarray(at, at + DATAGRAM_BYTES));
    this.rest = Buffer.from(all.subarray(at));
    return out;
  }
}

export interface DemoSatellite {
  /** The `recording` section to put in the demo config. */
  readonly recording: Record<string, unknown>;
  readonly guideFile: string;
  readonly programmes: readonly DemoProgramme[];
  stop(): Promise<void>;
}

function demoSeconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 86_400) throw new Error(`${name} must be a whole number of seconds from 1 to 86400, got "${raw}"`);
  return n;
}

/**
 * Starts the simulated receiver and writes its guide under `dir`. Undefined (logged, the demo goes on without
 * recordings) when ffmpeg is not installed. `FENGHUO_DEMO_RECORD_AFTER_S` / `FENGHUO_DEMO_RECORD_S` move and shorten
 * the first programme (tests watch it within seconds).
 */
export async function startDemoSatellite(opts: { readonly dir: string; readonly log: Logger; readonly now: number }): Promise<DemoSatellite | undefined> {
  const { log } = opts;
  if (!haveFfmpeg()) {
    log.warn({ event: 'demo.satellite_off', missing: 'ffmpeg' }, 'demo satellite channel is off: ffmpeg is not installed (apt-get install ffmpeg)');
    return undefined;
  }
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  const ports = { farm: await freeUdpPort(), province: await freeUdpPort() };
  const programmes = demoProgrammes(opts.now, { firstAfterS: demoSeconds('FENGHUO_DEMO_RECORD_AFTER_S', 60), firstLengthS: demoSeconds('FENGHUO_DEMO_RECORD_S', 60) });
  const guideFile = join(dir, 'guide.xml');
  writeFileSync(guideFile, demoGuideXml(programmes));

  // ffmpeg writes to our pipe and we send the datagrams: if the daemon dies (even kill -9), ffmpeg's next write fails
  // and it exits, instead of sending for ever to nobody.
  const child: ChildProcess = spawn('ffmpeg', senderArgs(), { stdio: ['ignore', 'pipe', 'pipe'] });
  const socket = createSocket('udp4');
  const cutter = new DatagramCutter();
  socket.on('error', (err) => log.warn({ event: 'demo.satellite_udp_error', err: err.message }, `demo satellite: ${err.message}`));
  child.stdout?.on('data', (chunk: Buffer) => {
    for (const d of cutter.push(chunk)) {
      socket.send(d, ports.farm, '127.0.0.1');
      socket.send(d, ports.province, '127.0.0.1');
    }
  });
  let stopping = false;
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-2_000)));
  const exited = new Promise<void>((done) => child.once('close', () => done()));
  child.once('error', (err) => log.warn({ event: 'demo.satellite_failed', err: err.message }, `demo satellite sender failed: ${err.message}`));
  child.once('exit', (code, signal) => {
    if (!stopping) log.warn({ event: 'demo.satellite_stopped', code, signal, stderr: stderr.trim() }, 'demo satellite sender stopped on its own: the demo channels get no data');
  });
  log.info(
    { event: 'demo.satellite', pid: child.pid, ports, guideFile, first: { title: programmes[0]!.title, start: programmes[0]!.start, stop: programmes[0]!.stop } },
    `demo satellite: ffmpeg test pattern as MPEG-TS to udp://127.0.0.1:${ports.farm} (${DEMO_CHANNELS.farm.name}) and :${ports.province} (${DEMO_CHANNELS.province.name}); guide ${guideFile}`,
  );
  return {
    recording: demoRecordingConfig(ports, guideFile),
    guideFile,
    programmes,
    stop: async () => {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
      socket.close();
    },
  };
}
