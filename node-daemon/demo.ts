import { configSchema, type Config } from './config/schema.js';
import type { Logger } from './core/log.js';
import { DEMO_DEVICES, DEMO_REPLAY_START, DEMO_RISE_AT, DEMO_SPEED_UP, demoDevices } from './sim/demo-site.js';
import { join } from 'node:path';
import { PtyPairError } from './sim/pty-pair.js';
import { startDemoOutputs, type DemoOutputs } from './sim/demo-outputs.js';
import { DEMO_SMS_PEOPLE, startDemoSms, type DemoSms } from './sim/demo-sms.js';
import { SiteSimulator } from './sim/site-simulator.js';
import { haveFfmpeg, startDemoSatellite, type DemoSatellite } from './sim/demo-satellite.js';
import { importDemoLibrary, makeDemoLibraryFiles } from './sim/demo-library.js';
import { libraryConfigSchema } from '../broadcast/library/library-config.js';
import { systemClock } from './core/types.js';
import type { DemoOverlay } from './config/demo-overlay.js';
import { startDemoCamera, type DemoCamera } from './sim/demo-camera.js';

export interface Demo {
  readonly config: Config;
  readonly speedUp: number;
  /** Seconds from now until the replayed water starts rising. */
  readonly riseAfterS: number;
  /** The simulated I/O board, LED board and audio file; absent when no pty could be made (no socat, no python3). */
  readonly outputs?: DemoOutputs;
  /** The simulated satellite receiver (ffmpeg test pattern to UDP) and its guide; absent without ffmpeg. */
  readonly satellite?: DemoSatellite;
  /** The simulated SMS modem the flood warnings go to; absent when no pty could be made. */
  readonly sms?: DemoSms;
  /** The simulated USB sticks: `usb` is imported at start, `usbMore` is left for the operator to import in 资料. */
  readonly usbDirs: { readonly usb: string; readonly usbMore: string };
  /** Seconds from now until each alarm step, at this speed-up. */
  readonly alarmTimesS: { readonly prepare: number; readonly evacuate: number; readonly backToPrepare: number; readonly allClear: number };
  stop(): Promise<void>;
}

/** `FENGHUO_DEMO_SPEED_UP` replays faster or slower (tests use it to see the rise within seconds). */
function demoSpeedUp(): number {
  const raw = process.env.FENGHUO_DEMO_SPEED_UP;
  if (raw === undefined || raw === '') return DEMO_SPEED_UP;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 1 || n > 100_000) throw new Error(`FENGHUO_DEMO_SPEED_UP must be a number from 1 to 100000, got "${raw}"`);
  return n;
}

/**
 * The embedded demo: an in-process Modbus TCP site on loopback whose three devices (one per catalogue profile)
 * replay the real USGS record of the Llano River flood of October 2018, sped up, and the config that polls it.
 */
/**
 * Thresholds of the demo site on the Mason gauge (metres). The Llano crested there at 10.42 m, fell to 8.5 m and
 * crested again at 9.99 m as the upstream water arrived: with evacuate at 10.1 m the replay shows each level once.
 */
export const DEMO_PREPARE_M = 7;
/** The demo's one alarm site (the Mason gauge). */
export const DEMO_SITE_ID = 'mason';
export const DEMO_EVACUATE_M = 10.1;
/** When the replayed Mason series crosses them (series time, from the demo's own copy of the data). */
const DEMO_STEPS = {
  prepare: Date.parse('2018-10-16T03:20:00-05:00'),
  evacuate: Date.parse('2018-10-16T04:55:00-05:00'),
  backToPrepare: Date.parse('2018-10-16T06:25:00-05:00'),
  allClear: Date.parse('2018-10-16T19:45:00-05:00'),
};

/**
 * The embedded demo: an in-process Modbus TCP site on loopback whose three devices (one per catalogue profile)
 * replay the real USGS record of the Llano River flood of October 2018, sped up, and the config that polls it,
 * raises 准备转移/立即转移 on the Mason gauge, and sends them to a simulated I/O board, LED board and an audio file.
 */
export async function startDemo(log: Logger, dataDir: string, speedUp = demoSpeedUp(), overlay: DemoOverlay = {}): Promise<Demo> {
  const devices = demoDevices(speedUp, Date.now());
  const site = new SiteSimulator({ devices, tcp: { host: '127.0.0.1', port: 0 }, log });
  await site.start();
  let outputs: DemoOutputs | undefined;
  try {
    outputs = await startDemoOutputs({ dir: join(dataDir, 'demo'), log });
  } catch (err) {
    if (!(err instanceof PtyPairError)) {
      await site.stop();
      throw err;
    }
    log.warn({ event: 'demo.outputs_off', err: err.message }, `demo outputs are off: ${err.message}`);
  }
  const demoDir = join(dataDir, 'demo');
  const sms = await startDemoSms({ dir: demoDir, log });
  let satellite: DemoSatellite | undefined;
  let usbDirs: Demo['usbDirs'];
  let library: ReturnType<typeof libraryConfigSchema.parse>;
  let camera: DemoCamera | undefined;
  try {
    satellite = await startDemoSatellite({ dir: demoDir, log, now: Date.now() });
    // The sample items, imported the way an operator imports a USB stick; the demo folder counts as a mount.
    usbDirs = await makeDemoLibraryFiles(demoDir, satellite !== undefined || haveFfmpeg(), log);
    library = libraryConfigSchema.parse({ usbMounts: [demoDir, '/media', '/mnt', '/run/media'] });
    await importDemoLibrary({ dataDir, folder: usbDirs.usb, config: library, log, clock: systemClock });
    // A camera on the Mason gauge (an HTTP snapshot URL drawing the replayed level), when ffmpeg is there.
    const mason = devices.find((d) => d.unit === DEMO_DEVICES.find((x) => x.sensorId === 'mason')?.unit);
    if (haveFfmpeg() && mason !== undefined) camera = await startDemoCamera({ level: () => mason.level(Date.now()), prepareM: DEMO_PREPARE_M, evacuateM: DEMO_EVACUATE_M, log });
  } catch (err) {
    await camera?.stop();
    await satellite?.stop();
    await sms?.stop();
    await outputs?.stop();
    await site.stop();
    throw err;
  }
  const config = configSchema.parse({
    site: { name: '演示乡镇 (Llano River 2018 replay)' },
    buses: [{ id: 'demo-site', type: 'tcp', host: '127.0.0.1', port: site.port, timeoutMs: 500 }],
    sensors: DEMO_DEVICES.map((d) => ({ id: d.sensorId, name: d.name, bus: 'demo-site', slave: d.unit, profile: d.profile, pollIntervalMs: 1000, critical: d.critical })),
    alarms: {
      sites: [
        {
          id: DEMO_SITE_ID,
          name: '梅森站',
          sensors: ['mason'],
          prepare: { levelM: DEMO_PREPARE_M, hysteresisM: 0.2, debounce: { samples: 2 } },
          evacuate: { levelM: DEMO_EVACUATE_M, hysteresisM: 0.2, debounce: { samples: 2 } },
          // The replay is sped up: five real seconds without a reading are ten simulated minutes.
          faults: { commLostMs: 15_000, stuckAfterMs: 3_600_000 },
          ...(sms ? { notify: [{ group: 'responsible' }] } : {}),
        },
      ],
    },
    dispatch: {
      prepare: { relays: ['amplifier', 'strobe'], sirenPattern: 'prepare', message: '注意：{site}水位已达准备转移水位（{value}米，{time}），请沿河群众做好转移准备。', ledText: '{site} 准备转移 {time}', repeat: 1, intervalS: 5 },
      evacuate: { relays: ['amplifier', 'siren', 'strobe'], sirenPattern: 'evacuate', message: '紧急通知：{site}水位已达立即转移水位（{value}米，{time}），请沿河群众立即转移！', ledText: '{site} 立即转移！{time}', repeat: 2, intervalS: 5 },
    },
    outputs: outputs
      ? {
          ioBoard: { path: outputs.ioBoardPath, baudRate: outputs.ioBaudRate, relays: { ...outputs.relayPins } },
          speakers: [{ id: 'demo-speaker', name: '演示喇叭（写入文件）', device: `file:${outputs.audioFile}`, amplifierRelay: 'amplifier' }],
          ledBoards: [{ id: 'demo-led', name: '演示显示屏', path: outputs.ledBoardPath, baudRate: outputs.ledBaudRate, screen: { ...outputs.ledScreen } }],
        }
      : {},
    library,
    ...(sms ? { sms: { transport: { modem: { path: sms.path } }, people: DEMO_SMS_PEOPLE, groups: [{ id: 'responsible', roles: ['village-head', 'duty'] }] } } : {}),
    ...(satellite ? { recording: satellite.recording } : {}),
    ...(overlay.uplinks !== undefined ? { uplinks: overlay.uplinks } : {}),
    // The replay is sped up: a picture a minute, and the "after" one 30 s past each alarm step.
    ...(camera ? { cameras: [{ id: 'mason-bridge', name: '梅森桥头摄像头', site: DEMO_SITE_ID, source: { snapshotUrl: camera.url }, intervalMin: 1, timeoutS: 10, afterDelayS: 30 }] } : {}),
  });
  const after = (seriesTime: number): number => (seriesTime - DEMO_REPLAY_START) / speedUp / 1000;
  return {
    config,
    speedUp,
    riseAfterS: after(DEMO_RISE_AT),
    ...(outputs ? { outputs } : {}),
    ...(satellite ? { satellite } : {}),
    ...(sms ? { sms } : {}),
    usbDirs,
    alarmTimesS: { prepare: after(DEMO_STEPS.prepare), evacuate: after(DEMO_STEPS.evacuate), backToPrepare: after(DEMO_STEPS.backToPrepare), allClear: after(DEMO_STEPS.allClear) },
    stop: async () => {
      await camera?.stop();
      await satellite?.stop();
      await sms?.stop();
      await outputs?.stop();
      await site.stop();
    },
  };
}
