import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../core/paths.js';
import { loadCatalogue } from '../sensing/profiles.js';
import { Replay } from './replay.js';
import { parseCsv } from './series.js';
import type { SimDevice } from './site-simulator.js';

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

/** The demo devices, replaying from `wallStart` at `speedUp`. */
export function demoDevices(speedUp: number, wallStart: number): SimDevice[] {
  const text = demoSeriesText();
  const catalogue = loadCatalogue();
  return DEMO_DEVICES.map((d) => {
    const replay = new Replay(parseCsv(text, d.station).points, { speedUp, seriesStart: DEMO_REPLAY_START, wallStart });
    return { unit: d.unit, profile: catalogue.get(d.profile)!, level: (now: number) => replay.levelAt(now) };
  });
}
