import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import ModbusRTU from 'modbus-serial';
import { configSchema, type Config } from './config/schema.js';
import type { Logger } from './core/log.js';
import { packageRoot } from './core/paths.js';
import { encodeLevel } from './sensing/encode.js';
import { loadCatalogue, type ResolvedProfile } from './sensing/profiles.js';

export interface Demo {
  readonly config: Config;
  readonly speedUp: number;
  /** Seconds from now until the replayed water starts rising. */
  readonly riseAfterS: number;
  stop(): Promise<void>;
}

const FT = 0.3048;
/** 2 simulated minutes per real second: the 7½-hour rise of the Llano at Mason takes under 4 real minutes... */
const DEFAULT_SPEED_UP = 120;
/** ...and the replay starts 1 hour before the rise (2018-10-15 22:00 CDT), so the first 30 seconds are calm. */
const REPLAY_START = Date.parse('2018-10-15T21:00:00-05:00');
const RISE_AT = Date.parse('2018-10-15T22:00:00-05:00');

/** `FENGHUO_DEMO_SPEED_UP` replays faster or slower (tests use it to see the rise within seconds). */
function demoSpeedUp(): number {
  const raw = process.env.FENGHUO_DEMO_SPEED_UP;
  if (raw === undefined || raw === '') return DEFAULT_SPEED_UP;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 1 || n > 100_000) throw new Error(`FENGHUO_DEMO_SPEED_UP must be a number from 1 to 100000, got "${raw}"`);
  return n;
}

interface DemoDevice {
  readonly unit: number;
  readonly sensorId: string;
  readonly name: string;
  readonly station: string;
  readonly profile: string;
  readonly critical: boolean;
}

const DEVICES: readonly DemoDevice[] = [
  { unit: 1, sensorId: 'mason', name: 'Llano Rv nr Mason (submersible)', station: '08150700', profile: 'submersible-level', critical: true },
  { unit: 2, sensorId: 'junction', name: 'Llano Rv nr Junction (radar)', station: '08150000', profile: 'radar-level-float32', critical: true },
  { unit: 3, sensorId: 'llano', name: 'Llano Rv at Llano (SL 651)', station: '08151500', profile: 'sl651-level', critical: false },
];

interface Point {
  readonly t: number;
  readonly m: number;
}

/** The demo's copy of the USGS series (see node-daemon/sim/data/README.md), one station's points in time order. */
function loadStation(station: string): Point[] {
  const text = readFileSync(join(packageRoot(), 'node-daemon/sim/data/usgs_llano_river_2018.csv'), 'utf8');
  const rows = parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  return rows
    .filter((r) => r.station_id === station && r.gage_height_ft !== '')
    .map((r) => ({ t: Date.parse(r.timestamp ?? ''), m: Number(r.gage_height_ft) * FT }))
    .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.m))
    .sort((a, b) => a.t - b.t);
}

/** Linear interpolation; the last value is held after the end. */
function levelAt(points: readonly Point[], t: number): number {
  let lo = 0;
  let hi = points.length - 1;
  if (t <= points[0]!.t) return points[0]!.m;
  if (t >= points[hi]!.t) return points[hi]!.m;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.t <= t) lo = mid;
    else hi = mid;
  }
  const a = points[lo]!;
  const b = points[hi]!;
  return a.m + ((b.m - a.m) * (t - a.t)) / (b.t - a.t);
}

/** modbus-serial's ServerTCP treats port 0 as 502, so take a free port from the kernel first. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const addr = probe.address();
      probe.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/**
 * The embedded demo: an in-process Modbus TCP site on loopback whose three devices (one per catalogue profile)
 * replay the real USGS record of the Llano River flood of October 2018, sped up, and the config that polls it.
 */
export async function startDemo(log: Logger, speedUp = demoSpeedUp()): Promise<Demo> {
  const catalogue = loadCatalogue();
  const devices = new Map<number, { points: Point[]; profile: ResolvedProfile }>();
  for (const d of DEVICES) devices.set(d.unit, { points: loadStation(d.station), profile: catalogue.get(d.profile)! });
  const t0 = Date.now();
  const simTime = (): number => REPLAY_START + (Date.now() - t0) * speedUp;

  const registers = (addr: number, length: number, unit: number): number[] => {
    const device = devices.get(unit);
    if (!device) throw new Error(`no demo device at unit ${unit}`);
    const { profile, plan } = device.profile;
    const block = encodeLevel(profile, levelAt(device.points, simTime()), {}, plan);
    const start = addr - plan.address;
    if (start < 0 || start + length > block.length) throw Object.assign(new Error('illegal data address'), { modbusErrorCode: 2 });
    return block.slice(start, start + length);
  };
  const port = await freePort();
  const server = new ModbusRTU.ServerTCP(
    { getMultipleHoldingRegisters: registers, getMultipleInputRegisters: registers },
    { host: '127.0.0.1', port, unitID: 255 },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('initialized', () => resolve());
    server.once('serverError', reject);
  });
  log.info({ event: 'demo.site_started', port, speedUp, devices: DEVICES.length }, 'demo site replaying the Llano River flood of 2018');

  const config = configSchema.parse({
    site: { name: '演示乡镇 (Llano River 2018 replay)' },
    buses: [{ id: 'demo-site', type: 'tcp', host: '127.0.0.1', port, timeoutMs: 500 }],
    sensors: DEVICES.map((d) => ({ id: d.sensorId, name: d.name, bus: 'demo-site', slave: d.unit, profile: d.profile, pollIntervalMs: 1000, critical: d.critical })),
  });
  return {
    config,
    speedUp,
    riseAfterS: (RISE_AT - REPLAY_START) / speedUp / 1000,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
