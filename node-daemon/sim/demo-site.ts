import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../core/log.js';
import { packageRoot } from '../core/paths.js';
import { systemClock, type Clock } from '../core/types.js';
import { loadCatalogue } from '../sensing/profiles.js';
import { Replay } from './replay.js';
import { parseCsv } from './series.js';
import { SiteSimulator, type SimDevice } from './site-simulator.js';

/** 2 simulated minutes per real second: the 7½-hour rise of the Llano at Mason takes under 4 real minutes... */
export const DEMO_SPEED_UP = 120;
/** ...and the replay starts 1 hour before the rise (2018-10-15 22:00 CDT), so the first 30 seconds are calm. */
export const DEMO_REPLAY_START = Date.parse('2018-10-15T21:00:00-05:00');
export const DEMO_RISE_AT = Date.parse('2018-10-15T22:00:00-05:00');

export interface DemoDeviceInfo {
  readonly unit: number;
  readonly sensorId: string;
  readonly name: string;
  readonly station: string;
  readonly profile: string;
  readonly critical: boolean;
}

/** Three gauges of the Llano River flood of October 2018, one per catalogue profile. */
export const DEMO_DEVICES: readonly DemoDeviceInfo[] = [
  { unit: 1, sensorId: 'mason', name: 'Llano Rv nr Mason (submersible)', station: '08150700', profile: 'submersible-level', critical: true },
  { unit: 2, sensorId: 'junction', name: 'Llano Rv nr Junction (radar)', station: '08150000', profile: 'radar-level-float32', critical: true },
  { unit: 3, sensorId: 'llano', name: 'Llano Rv at Llano (SL 651)', station: '08151500', profile: 'sl651-level', critical: false },
];

/** The demo's copy of the USGS series (provenance in node-daemon/sim/data/README.md). */
export function demoSeriesText(): string {
  return readFileSync(join(packageRoot(), 'node-daemon/sim/data/usgs_llano_river_2018.csv'), 'utf8');
}

/** The demo devices, replaying from `seriesStart` (default 1 h before the rise) at `wallStart`, `speedUp` times faster. */
export function demoDevices(speedUp: number, wallStart: number, seriesStart = DEMO_REPLAY_START): SimDevice[] {
  const text = demoSeriesText();
  const catalogue = loadCatalogue();
  return DEMO_DEVICES.map((d) => {
    const replay = new Replay(parseCsv(text, d.station).points, { speedUp, seriesStart, wallStart });
    return { unit: d.unit, profile: catalogue.get(d.profile)!, level: (now: number) => replay.levelAt(now) };
  });
}

export interface DemoSiteOptions {
  readonly log: Logger;
  /** Default DEMO_SPEED_UP. */
  readonly speedUp?: number;
  /** Series time shown at `wallStart`; default DEMO_REPLAY_START (an hour before the rise). */
  readonly seriesStart?: number;
  /** Wall time the replay starts; default the clock's now. */
  readonly wallStart?: number;
  /** Default 127.0.0.1 on a free port (see `simulator.port` after start()). */
  readonly tcp?: { readonly host: string; readonly port: number };
  /** Also serve the same units on an RTU line. */
  readonly rtu?: { readonly path: string; readonly baudRate: number };
  readonly clock?: Clock;
}

export interface DemoSite {
  /** Not started: call start(), then read `port`. */
  readonly simulator: SiteSimulator;
  readonly devices: readonly DemoDeviceInfo[];
  readonly speedUp: number;
  /** Wall time (UTC ms) at which the replayed water at Mason starts rising (DEMO_RISE_AT). */
  readonly riseAt: number;
  /** The wall time (UTC ms) at which a given series time is replayed. */
  wallTimeOf(seriesTime: number): number;
}

/** The demo site, ready to start in-process: the three Llano gauges of DEMO_DEVICES on one Modbus TCP site. */
export function demoSite(opts: DemoSiteOptions): DemoSite {
  const clock = opts.clock ?? systemClock;
  const speedUp = opts.speedUp ?? DEMO_SPEED_UP;
  const wallStart = opts.wallStart ?? clock();
  const seriesStart = opts.seriesStart ?? DEMO_REPLAY_START;
  const simulator = new SiteSimulator({
    devices: demoDevices(speedUp, wallStart, seriesStart),
    tcp: opts.tcp ?? { host: '127.0.0.1', port: 0 },
    ...(opts.rtu ? { rtu: opts.rtu } : {}),
    log: opts.log,
    clock,
  });
  const wallTimeOf = (seriesTime: number): number => wallStart + (seriesTime - seriesStart) / speedUp;
  return { simulator, devices: DEMO_DEVICES, speedUp, riseAt: wallTimeOf(DEMO_RISE_AT), wallTimeOf };
}
