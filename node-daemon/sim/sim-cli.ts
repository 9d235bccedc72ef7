import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseBindAddress } from '../config/listen.js';
import { createLogger } from '../core/log.js';
import { loadCatalogue } from '../sensing/profiles.js';
import { DEMO_REPLAY_START, DEMO_SPEED_UP, demoDevices } from './demo-site.js';
import { Replay } from './replay.js';
import { parseSeries, SeriesError } from './series.js';
import { SiteSimulator, type SimDevice } from './site-simulator.js';

export const SIM_USAGE = `usage: fenghuo sim [--tcp HOST:PORT] [--rtu DEVICE [--baud N]] (--demo | --series FILE [options])

Serves simulated water-level sensors over Modbus, replaying a real series.
  --tcp HOST:PORT     serve Modbus TCP (default 127.0.0.1:1502 when --rtu is not given; port 0 = any free port)
  --rtu DEVICE        serve Modbus RTU on a serial device (e.g. one end of a socat pty pair)
  --baud N            RTU baud rate (9600)
  --demo              the demo site: units 1-3 replay the Llano River 2018 flood (profiles submersible-level,
                      radar-level-float32, sl651-level)
  --series FILE       a USGS RDB (.txt/.rdb) or CSV (timestamp, station_id, gage_height_ft) file
  --station ID        which station of the file (default: the first)
  --profile NAME      catalogue profile the device speaks (submersible-level)
  --unit N            Modbus unit id (1)
  --speed X           series time per wall-clock time (${DEMO_SPEED_UP})
  --start ISO         series time to start at, ISO 8601 with offset (default: the first point)
  --silent-gap-min M  a hole in the series longer than M minutes makes the device silent (60)
  --loop              start again at the end instead of holding the last value`;

const EXIT_USAGE = 2;

function fail(message: string): number {
  process.stderr.write(`fenghuo sim: ${message}\n${SIM_USAGE}\n`);
  return EXIT_USAGE;
}

function positive(name: string, raw: string | undefined, fallback: number, integer = false): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new SeriesError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${raw}"`);
  return n;
}

/** `fenghuo sim ...`: the site simulator as a standalone process. Resolves to the exit code. */
export async function simMain(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        tcp: { type: 'string' },
        rtu: { type: 'string' },
        baud: { type: 'string' },
        demo: { type: 'boolean' },
        series: { type: 'string' },
        station: { type: 'string' },
        profile: { type: 'string' },
        unit: { type: 'string' },
        speed: { type: 'string' },
        start: { type: 'string' },
        'silent-gap-min': { type: 'string' },
        loop: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    process.stdout.write(`${SIM_USAGE}\n`);
    return 0;
  }
  if (values.demo === (values.series !== undefined)) return fail('give either --demo or --series FILE');

  let devices: SimDevice[];
  let speed: number;
  let tcp: { host: string; port: number } | undefined;
  let rtu: { path: string; baudRate: number } | undefined;
  try {
    speed = positive('speed', values.speed, DEMO_SPEED_UP);
    if (values.tcp !== undefined || values.rtu === undefined) {
      try {
        tcp = parseBindAddress(values.tcp ?? '127.0.0.1:1502');
      } catch (err) {
        throw new SeriesError(`--tcp: ${(err as Error).message}`);
      }
    }
    if (values.rtu !== undefined) rtu = { path: values.rtu, baudRate: positive('baud', values.baud, 9600, true) };
    const now = Date.now();
    if (values.demo) {
      devices = demoDevices(speed, now - (values.start ? (Date.parse(values.start) - DEMO_REPLAY_START) / speed : 0));
    } else {
      const text = readFileSync(values.series!, 'utf8');
      const series = parseSeries(text, values.station);
      const profileName = values.profile ?? 'submersible-level';
      const profile = loadCatalogue().get(profileName);
      if (!profile) throw new SeriesError(`--profile "${profileName}" is not a catalogue profile (${[...loadCatalogue().keys()].join(', ')})`);
      const start = values.start === undefined ? series.points[0]!.t : Date.parse(values.start);
      if (!Number.isFinite(start)) throw new SeriesError(`--start "${values.start}" is not an ISO 8601 time`);
      const replay = new Replay(series.points, {
        speedUp: speed,
        seriesStart: start,
        wallStart: now,
        silentGapMs: positive('silent-gap-min', values['silent-gap-min'], 60) * 60_000,
        atEnd: values.loop ? 'loop' : 'hold',
      });
      const unit = positive('unit', values.unit, 1, true);
      if (unit > 247) throw new SeriesError(`--unit must be 1-247, got ${unit}`);
      devices = [{ unit, profile, level: (t) => replay.levelAt(t) }];
    }
  } catch (err) {
    if (err instanceof SeriesError || (err as NodeJS.ErrnoException).code === 'ENOENT') return fail((err as Error).message);
    throw err;
  }

  const log = createLogger();
  const site = new SiteSimulator({ devices, log, ...(tcp ? { tcp } : {}), ...(rtu ? { rtu } : {}) });
  await site.start();
  log.info({ event: 'sim.started', devices: devices.length, speedUp: speed, port: site.port }, 'site simulator running');
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await site.stop();
  log.info({ event: 'sim.stopped' }, 'site simulator stopped');
  return 0;
}
