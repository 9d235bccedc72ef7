import { configSchema, type Config } from './config/schema.js';
import type { Logger } from './core/log.js';
import { DEMO_DEVICES, DEMO_REPLAY_START, DEMO_RISE_AT, DEMO_SPEED_UP, demoDevices } from './sim/demo-site.js';
import { SiteSimulator } from './sim/site-simulator.js';

export interface Demo {
  readonly config: Config;
  readonly speedUp: number;
  /** Seconds from now until the replayed water starts rising. */
  readonly riseAfterS: number;
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
export async function startDemo(log: Logger, speedUp = demoSpeedUp()): Promise<Demo> {
  const site = new SiteSimulator({ devices: demoDevices(speedUp, Date.now()), tcp: { host: '127.0.0.1', port: 0 }, log });
  await site.start();
  const config = configSchema.parse({
    site: { name: '演示乡镇 (Llano River 2018 replay)' },
    buses: [{ id: 'demo-site', type: 'tcp', host: '127.0.0.1', port: site.port, timeoutMs: 500 }],
    sensors: DEMO_DEVICES.map((d) => ({ id: d.sensorId, name: d.name, bus: 'demo-site', slave: d.unit, profile: d.profile, pollIntervalMs: 1000, critical: d.critical })),
  });
  return {
    config,
    speedUp,
    riseAfterS: (DEMO_RISE_AT - DEMO_REPLAY_START) / speedUp / 1000,
    stop: () => site.stop(),
  };
}
