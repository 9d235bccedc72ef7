// A real flood replayed end to end: the site simulator serves a USGS series over Modbus TCP on loopback, sped up,
// and the real daemon (buildDaemon, in-process) polls it, stores the readings and runs the alarm rules. The rig
// records every value the simulator served (wall time and metres) so the alarms can be checked against the moment
// the water crossed a threshold on the wire.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AlarmWithHistory } from '../../node-daemon/alarms/types.js';
import { buildDaemon, type Daemon } from '../../node-daemon/compose.js';
import { parseConfigText } from '../../node-daemon/config/load.js';
import { createLogger, type Logger } from '../../node-daemon/core/log.js';
import { packageRoot } from '../../node-daemon/core/paths.js';
import { systemClock } from '../../node-daemon/core/types.js';
import { loadCatalogue } from '../../node-daemon/sensing/profiles.js';
import { Replay } from '../../node-daemon/sim/replay.js';
import { parseSeries, type SeriesPoint } from '../../node-daemon/sim/series.js';
import { SiteSimulator } from '../../node-daemon/sim/site-simulator.js';
import { getJson, tempDir, waitUntil, type RawReading } from '../daemon/daemon-harness.js';
import { testApiTokens } from '../helpers/auth.js';

/** `../shared/data/flood` next to the package root (the three real floods), or undefined when it is not there. */
export function floodDataDir(): string | undefined {
  const dir = join(dirname(packageRoot()), 'shared', 'data', 'flood');
  return existsSync(join(dir, 'README.md')) ? dir : undefined;
}

export interface LevelRule {
  readonly levelM: number;
  readonly hysteresisM: number;
}

export interface FloodCase {
  readonly name: string;
  /** File name in the flood data folder. */
  readonly file: string;
  readonly station?: string;
  readonly sensorId: string;
  readonly siteId: string;
  /** Series time (ISO 8601 with an offset) replayed when the daemon starts polling... */
  readonly from: string;
  /** ...and the series time after which the run may end. */
  readonly to: string;
  /** Series ms per wall ms. */
  readonly speedUp: number;
  readonly pollMs: number;
  readonly debounceSamples: number;
  readonly prepare: LevelRule;
  readonly evacuate: LevelRule;
  /** alarms.sites[].faults as written in the config (defaults otherwise). */
  readonly faults?: Readonly<Record<string, number>>;
  /** Keep running past `to` until this holds (bounded by `extraWaitMs`). */
  readonly until?: (alarms: readonly AlarmWithHistory[]) => boolean;
  readonly extraWaitMs?: number;
}

/** One answer the simulator was asked for: when, and the level it served (undefined: it stayed silent). */
export interface Serve {
  readonly wall: number;
  readonly value: number | undefined;
}

export interface FloodRun {
  readonly flood: FloodCase;
  readonly serves: readonly Serve[];
  /** Every stored reading of the sensor, oldest first (from the readings API). */
  readonly readings: readonly RawReading[];
  /** Every alarm with its transitions (from the alarm API), oldest first. */
  readonly alarms: readonly AlarmWithHistory[];
  /** The wall time at which a series time was replayed. */
  wallOf(seriesTime: number): number;
  /** Log lines of the daemon and the simulator (for failure messages). */
  readonly logLines: readonly string[];
}

interface AlarmListBody {
  readonly alarms: readonly { readonly id: number }[];
  readonly truncated: boolean;
}

/** The daemon's config for one flood: one TCP bus, one submersible level sensor, one alarm site. */
function floodConfig(c: FloodCase, port: number): unknown {
  const debounce = { samples: c.debounceSamples };
  return {
    site: { name: `${c.name} replay`, timezone: 'Asia/Shanghai' },
    http: { apiTokens: testApiTokens() },
    storage: { flushIntervalMs: 50 },
    // Silence must turn into comm_fail readings quickly: one attempt per poll, a short timeout.
    buses: [{ id: 'site', type: 'tcp', host: '127.0.0.1', port, timeoutMs: 1000, retries: 0, reconnectMs: 200 }],
    sensors: [{ id: c.sensorId, bus: 'site', slave: 1, profile: 'submersible-level', pollIntervalMs: c.pollMs, critical: true }],
    alarms: {
      sites: [
        {
          id: c.siteId,
          name: c.name,
          sensors: [c.sensorId],
          prepare: { ...c.prepare, debounce },
          evacuate: { ...c.evacuate, debounce },
          ...(c.faults ? { faults: c.faults } : {}),
        },
      ],
    },
  };
}

/** A logger writing JSON lines into memory. */
function memoryLogger(lines: string[]): Logger {
  return createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } });
}

async function alarmsOf(url: string): Promise<AlarmWithHistory[]> {
  const list = await getJson<AlarmListBody>(`${url}/api/v1/alarms?state=all&limit=1000`);
  if (list.truncated) throw new Error('more than 1000 alarms');
  const full = await Promise.all(list.alarms.map((a) => getJson<AlarmWithHistory>(`${url}/api/v1/alarms/${a.id}`)));
  return full.sort((a, b) => a.id - b.id);
}

/** How long before the replay's start the daemon starts (its first polls see the calm water just before `from`). */
const LEAD_MS = 800;

/** Replays one flood through the real daemon and returns what it served, stored and raised. */
export async function runFlood(dataDir: string, c: FloodCase): Promise<FloodRun> {
  const points: readonly SeriesPoint[] = parseSeries(readFileSync(join(dataDir, c.file), 'utf8'), c.station).points;
  const seriesStart = Date.parse(c.from);
  const seriesEnd = Date.parse(c.to);
  if (!Number.isFinite(seriesStart) || !Number.isFinite(seriesEnd)) throw new Error(`${c.name}: bad from/to`);
  const wallStart = Date.now() + LEAD_MS;
  const replay = new Replay(points, { speedUp: c.speedUp, seriesStart, wallStart });
  const wallOf = (t: number): number => wallStart + (t - seriesStart) / c.speedUp;
  const serves: Serve[] = [];
  const logLines: string[] = [];
  const log = memoryLogger(logLines);
  const profile = loadCatalogue().get('submersible-level');
  if (!profile) throw new Error('catalogue has no submersible-level profile');
  const sim = new SiteSimulator({
    devices: [
      {
        unit: 1,
        profile,
        level: (now) => {
          const v = replay.levelAt(now);
          // A real gauge has a resolution: serve whole millimetres, so the value on the wire is exactly the one recorded.
          const served = v === undefined ? undefined : Math.round(v * 1000) / 1000;
          serves.push({ wall: now, value: served });
          return served;
        },
      },
    ],
    tcp: { host: '127.0.0.1', port: 0 },
    log: log.child({ component: 'sim' }),
  });
  const tmp = tempDir(`fenghuo-flood-${c.siteId}-`);
  let daemon: Daemon | undefined;
  try {
    await sim.start();
    const parsed = parseConfigText(JSON.stringify(floodConfig(c, sim.port!)));
    if (!parsed.ok) throw new Error(`${c.name}: config rejected: ${parsed.problems.map((p) => p.message).join('; ')}`);
    daemon = buildDaemon({ config: parsed.config, dataDir: tmp.dir, listen: '127.0.0.1:0', log, clock: systemClock });
    await daemon.start();
    const url = daemon.url();
    const endWall = wallOf(seriesEnd);
    await new Promise((r) => setTimeout(r, Math.max(0, endWall - Date.now())));
    if (c.until) {
      const until = c.until;
      await waitUntil(async () => until(await alarmsOf(url)), c.extraWaitMs ?? 5_000, `${c.name}: the awaited alarm state`, 100);
    }
    await new Promise((r) => setTimeout(r, 300)); // the last readings reach the database (flushIntervalMs 50)
    const alarms = await alarmsOf(url);
    const from = wallStart - LEAD_MS - 60_000;
    const body = await getJson<{ readings: RawReading[]; nextFrom?: number }>(`${url}/api/v1/sensors/${c.sensorId}/readings?from=${from}&limit=10000`);
    if (body.nextFrom !== undefined) throw new Error('more than 10000 readings');
    return { flood: c, serves: [...serves], readings: body.readings, alarms, wallOf, logLines };
  } catch (err) {
    const tail = logLines.slice(-20).join('');
    throw new Error(`${c.name}: ${err instanceof Error ? err.message : String(err)}\nlast log lines:\n${tail}`, { cause: err });
  } finally {
    await daemon?.stop();
    await sim.stop();
    tmp.cleanup();
  }
}
