import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseBindAddress } from '../config/listen.js';
import { createLogger } from '../core/log.js';
import { CENTRE_USAGE, isCentreMode } from '../uplinks/sl651/centre-sim-usage.js';
import { loadCatalogue } from '../sensing/profiles.js';
import { DEMO_DEVICES, DEMO_REPLAY_START, DEMO_SPEED_UP, demoDevices, demoSeriesText } from './demo-site.js';
import { DEFAULT_SILENT_GAP_MS, Replay } from './replay.js';
import { parseCsv, parseSeries, SeriesError } from './series.js';
import { resolveStart } from './start-spec.js';
import { SiteSimulator, type SimDevice } from './site-simulator.js';

export const SIM_USAGE = `usage: fenghuo sim [--tcp HOST:PORT] [--rtu DEVICE [--baud N]] (--demo | --series FILE [options])
       fenghuo sim --sl651-centre HOST:PORT [options]   (the SL 651 centre simulator, below)

Serves simulated water-level sensors over Modbus, replaying a real series.
  --tcp HOST:PORT     serve Modbus TCP (default 127.0.0.1:1502 when --rtu is not given; port 0 = any free port)
  --rtu DEVICE        serve Modbus RTU on a serial device (e.g. one end of a socat pty pair)
  --baud N            RTU baud rate (9600)
  --demo              the demo site: units 1-3 replay the Llano River 2018 flood (profiles submersible-level,
                      radar-level-float32, sl651-level)
  --series FILE       a USGS RDB (.txt/.rdb) or CSV (timestamp, station_id, gage_height_ft) file
  --station ID        which station (site number) of the file (default: the first)
  --profile NAME      catalogue profile the device speaks (submersible-level)
  --unit N            Modbus unit id (1)
  --speed X           series time per wall-clock time (${DEMO_SPEED_UP})
  --start WHEN        series time to start at: ISO 8601 with an offset (2018-10-15T20:00-05:00), or an offset
                      from the first point or the crest: +36h, first+2d, peak-8h (default: the first point;
                      with --demo, 2018-10-15T21:00-05:00, an hour before the rise)
  --silent-gap-min M  a hole in the series longer than M minutes makes the device silent (120)
  --loop              start again at the end instead of holding the last value

${CENTRE_USAGE}`;

const EXIT_FAILURE = 1;
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
  // A mode of its own: the SL 651 centre simulator, no Modbus device.
  if (isCentreMode(argv)) return (await import('../uplinks/sl651/centre-sim-cli.js')).centreSimMain(argv);
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
  if (Boolean(values.demo) === (values.series !== undefined)) return fail('give either --demo or --series FILE');
  if (values.demo) {
    const seriesOnly = (['station', 'profile', 'unit', 'silent-gap-min', 'loop'] as const).filter((k) => values[k] !== undefined);
    if (seriesOnly.length > 0) return fail(`--${seriesOnly.join(', --')} only go with --series (the demo's devices are fixed)`);
  }

  let devices: SimDevice[];
  let speed: number;
  let tcp: { host: string; port: number } | undefined;
  let rtu: { path: string; baudRate: number } | undefined;
  let seriesInfo: Record<string, unknown> = { demo: true };
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
      const mason = parseCsv(demoSeriesText(), DEMO_DEVICES[0]!.station).points;
      const seriesStart = values.start === undefined ? DEMO_REPLAY_START : resolveStart(values.start, mason);
      devices = demoDevices(speed, now, seriesStart);
    } else {
      const text = readFileSync(values.series!, 'utf8');
      const series = parseSeries(text, values.station);
      const profileName = values.profile ?? 'submersible-level';
      const catalogue = loadCatalogue();
      const profile = catalogue.get(profileName);
      if (!profile) throw new SeriesError(`--profile "${profileName}" is not a catalogue profile (${[...catalogue.keys()].join(', ')})`);
      const start = values.start === undefined ? series.points[0]!.t : resolveStart(values.start, series.points);
      const replay = new Replay(series.points, {
        speedUp: speed,
        seriesStart: start,
        wallStart: now,
        silentGapMs: positive('silent-gap-min', values['silent-gap-min'], DEFAULT_SILENT_GAP_MS / 60_000) * 60_000,
        atEnd: values.loop ? 'loop' : 'hold',
      });
      const unit = positive('unit', values.unit, 1, true);
      if (unit > 247) throw new SeriesError(`--unit must be 1-247, got ${unit}`);
      devices = [{ unit, profile, level: (t) => replay.levelAt(t) }];
      seriesInfo = { station: series.station, ...(series.name ? { name: series.name } : {}), points: series.points.length, skipped: series.skipped, start: new Date(start).toISOString() };
    }
  } catch (err) {
    if (err instanceof SeriesError || (err as NodeJS.ErrnoException).code === 'ENOENT') return fail((err as Error).message);
    throw err;
  }

  const log = createLogger();
  const site = new SiteSimulator({ devices, log, ...(tcp ? { tcp } : {}), ...(rtu ? { rtu } : {}) });
  try {
    await site.start();
  } catch (err) {
    log.error({ event: 'sim.start_failed', err: err instanceof Error ? err.message : String(err) }, 'site simulator could not start');
    return EXIT_FAILURE;
  }
  log.info({ event: 'sim.started', devices: devices.map((d) => ({ unit: d.unit, profile: d.profile.name })), speedUp: speed, port: site.port, ...seriesInfo }, 'site simulator running');
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await site.stop();
  log.info({ event: 'sim.stopped' }, 'site simulator stopped');
  return 0;
}
