import { resolve } from 'node:path';
import { buildDaemon } from './compose.js';
import type { Config } from './config/schema.js';
import { createLogger, type Logger } from './core/log.js';
import { systemdNotifier, takeNotifyEnv } from './core/sd-notify.js';
import { systemClock } from './core/types.js';
import type { Demo } from './demo.js';
import type { DemoOverlay } from './config/demo-overlay.js';

export interface RunOptions {
  /** The YAML config file the CLI loaded `config` from; for logs and messages only. */
  readonly configPath?: string;
  /** The validated configuration (the CLI loads and checks it); absent means the embedded demo with an in-process simulated site. */
  readonly config?: Config;
  readonly dataDir: string;
  /** HOST:PORT, overrides `http.listen` of the config file. */
  readonly listen?: string;
  /** The demo only: sections added to its config (`fenghuo run --with FILE`, config/demo-overlay.ts). */
  readonly demoOverlay?: DemoOverlay;
}

/** Runs the daemon until SIGTERM/SIGINT; resolves to the process exit code. */
export async function runDaemon(opts: RunOptions): Promise<number> {
  const log = createLogger();
  // Under systemd (Type=notify): NOTIFY_SOCKET etc., taken out of the environment so that no child inherits them.
  const notifyEnv = takeNotifyEnv();
  const dataDir = resolve(opts.dataDir);
  let demo: Demo | undefined;
  let config = opts.config;
  if (!config) {
    // Loaded only without a config: a configured box never holds the demo's simulators in memory.
    demo = await (await import('./demo.js')).startDemo(log, dataDir, undefined, opts.demoOverlay);
    config = demo.config;
  }
  const listen = opts.listen ?? config.http.listen;
  log.info(
    { event: 'daemon.starting', config: opts.configPath ?? '(embedded demo)', dataDir, listen, buses: config.buses.length, sensors: config.sensors.length },
    'fenghuo starting',
  );
  const daemon = buildDaemon({ config, dataDir, listen, log, clock: systemClock, ...(opts.configPath === undefined ? {} : { configPath: resolve(opts.configPath) }) });
  try {
    await daemon.start();
  } catch (err) {
    log.fatal({ event: 'daemon.start_failed', err: String(err) }, 'fenghuo failed to start');
    await daemon.stop();
    await demo?.stop();
    return 1;
  }
  log.info({ event: 'daemon.started', url: daemon.url() }, `fenghuo running; API at ${daemon.url()}/api/v1/health`);
  if (demo) printDemoHelp(daemon.url(), config, demo);
  // READY=1 once the storage is open (start() above) and every sensor was polled once; then watchdog pings while
  // the poller and the alarm rules are alive. Nothing without NOTIFY_SOCKET.
  const notifier = systemdNotifier(notifyEnv, () => daemon.heartbeats(), log);
  const sensors = config.sensors.length;
  void notifier?.readyAfter(daemon.firstPollCycle(), () => `polling ${sensors} sensor${sensors === 1 ? '' : 's'}; API at ${daemon.url()}`);

  const signal = await waitForSignal(log);
  log.info({ event: 'daemon.stopping', signal }, 'fenghuo stopping');
  await notifier?.stop();
  await daemon.stop();
  await demo?.stop();
  log.info({ event: 'daemon.stopped' }, 'fenghuo stopped');
  return 0;
}

function waitForSignal(log: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      // A second signal while stopping means "now": leave without waiting for a flush that is stuck.
      const hard = (): void => {
        log.warn({ event: 'daemon.forced_exit' }, 'second signal: exiting at once');
        process.exit(1);
      };
      process.once('SIGTERM', hard);
      process.once('SIGINT', hard);
      resolveSignal(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** The demo is for a person at a terminal: tell them where to look, in plain words, on stderr. */
function printDemoHelp(url: string, config: Config, demo: Demo): void {
  const lines = [
    '',
    '烽火 fenghuo demo — a simulated site replays the Llano River flood (Texas, October 2018, USGS data)',
    `  sped up ${demo.speedUp}x: the water starts rising about ${Math.round(demo.riseAfterS)} s from now and crests about 4 min later.`,
    `  web UI:   ${url}/   — open it first: the first visit creates the admin account (no default password)`,
    `  health:   ${url}/api/v1/health   (the other API routes need a login or an API token)`,
    `  sensors:  ${url}/api/v1/sensors`,
    ...config.sensors.map((s) => `  readings: ${url}/api/v1/sensors/${s.id}/readings   (${s.name ?? s.id})`),
    `  alarms:   ${url}/api/v1/alarms?state=all   — 准备转移 at ~${Math.round(demo.alarmTimesS.prepare)} s, 立即转移 at ~${Math.round(demo.alarmTimesS.evacuate)} s, back to 准备转移 at ~${Math.round(demo.alarmTimesS.backToPrepare)} s, all clear at ~${Math.round(demo.alarmTimesS.allClear)} s`,
    `  outputs:  ${url}/api/v1/outputs`,
    ...(demo.outputs
      ? [
          `            simulated I/O board and LED board on ptys ${demo.outputs.ioBoardPath}, ${demo.outputs.ledBoardPath} (watch the "demo.relays" and "demo.led" log lines)`,
          `            loudspeaker recorded to ${demo.outputs.audioFile} (needs sox and espeak-ng: apt-get install sox espeak-ng)`,
        ]
      : ['            outputs are off: the demo needs socat or python3 to make its simulated serial lines']),
    ...(demo.satellite
      ? [`  录像:     ${url}/recordings   — a simulated satellite channel (ffmpeg on loopback); a programme is recorded about a minute after start, ready to play a minute later`]
      : ['  录像:     recordings are off: the simulated satellite channel needs ffmpeg (apt-get install ffmpeg)']),
    `  资料:     ${url}/library   — sample farm content (try 玉米 or 病虫害防治); import ${demo.usbDirs.usbMore} from the page`,
    `  API doc:  ${url}/api/v1/openapi.json`,
    'Stop with Ctrl-C. Run your own site with: fenghuo run --config config/example.yaml',
    '',
  ];
  process.stderr.write(lines.join('\n') + '\n');
}
