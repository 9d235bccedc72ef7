// A box for the SMS tests: the real daemon (buildDaemon in-process: real SQLite, real HTTP, real rules, dispatcher
// and SMS module), a Modbus TCP gauge served by the site simulator, and the SMS modem simulator on a socat pty pair.
import { join } from 'node:path';
import type { AlarmWithHistory } from '../../node-daemon/alarms/types.js';
import { buildDaemon, type Daemon } from '../../node-daemon/compose.js';
import { parseConfigText } from '../../node-daemon/config/load.js';
import { systemClock } from '../../node-daemon/core/types.js';
import type { SmsDelivery } from '../../node-daemon/sms/sms-store.js';
import { loadCatalogue } from '../../node-daemon/sensing/profiles.js';
import { SiteSimulator } from '../../node-daemon/sim/site-simulator.js';
import { SmsModemSim, type SmsModemSimOptions } from '../../drivers/sms/sim/sms-modem-sim.js';
import { bearerHeaders, testApiTokens } from '../helpers/auth.js';
import { createPtyPair, type PtyPair } from '../helpers/socat.js';
import { captureLogger } from '../storage/storage-helpers.js';

export const SITE = 'qingshui';
export const CREEK_SITE = 'baishi';

/** zhang and li by role, wang by id: the qingshui leaders. zhao is on duty for baishi only. */
export const PEOPLE = [
  { id: 'zhang', name: '张村长', phone: '13800138001', roles: ['village-head'] },
  { id: 'li', name: '李主任', phone: '+8613800138002', roles: ['village-head'] },
  { id: 'wang', name: '王书记', phone: '138 0013 8003', roles: [] },
  { id: 'zhao', name: '赵值班', phone: '13800138004', roles: ['duty'] },
];
export const LEADERS = ['+8613800138001', '+8613800138002', '+8613800138003'];
export const ZHAO = '+8613800138004';

export const LONG_EVACUATE =
  '【防汛预警】{site}水位{value}米，已超过立即转移水位{threshold}米（{time}）。请立即组织沿河低洼处群众向高处转移，' +
  '村干部逐户通知老人儿童，切勿涉水过河。转移地点：镇中心小学、村委会二楼。';

export interface Box {
  readonly daemon: Daemon;
  readonly url: string;
  readonly logs: ReturnType<typeof captureLogger>;
  readonly gauge: SiteSimulator;
  /** The river level the gauge serves, metres. */
  level: number;
}

export interface ModemRig {
  readonly pair: PtyPair;
  readonly sim: SmsModemSim;
  close(): Promise<void>;
}

export async function startModemRig(simOpts: Partial<SmsModemSimOptions> = {}): Promise<ModemRig> {
  const pair = await createPtyPair();
  const sim = await SmsModemSim.open({ path: pair.b, ...simOpts });
  return {
    pair,
    sim,
    close: async () => {
      await sim.close().catch(() => undefined);
      await pair.close();
    },
  };
}

/** The sms section's transport for the modem rig, fast timeouts. */
export function modemTransport(rig: ModemRig): Record<string, unknown> {
  return { modem: { path: rig.pair.a } };
}

export async function startBox(opts: {
  readonly dir: string;
  readonly sms: Record<string, unknown>;
  readonly speakerFile?: string;
  readonly level?: number;
  /** Reuse a running gauge (a restart). */
  readonly gauge?: SiteSimulator;
}): Promise<Box> {
  const logs = captureLogger();
  const box = { level: opts.level ?? 3 } as { level: number } & Partial<Box>;
  const catalogue = loadCatalogue();
  const gauge =
    opts.gauge ??
    new SiteSimulator({
      devices: [
        { unit: 1, profile: catalogue.get('submersible-level')!, level: () => box.level },
        { unit: 2, profile: catalogue.get('submersible-level')!, level: () => 1 },
      ],
      tcp: { host: '127.0.0.1', port: 0 },
      log: logs.log,
    });
  if (opts.gauge === undefined) await gauge.start();
  const debounce = { samples: 1 };
  const config = {
    site: { name: '清水镇', timezone: 'Asia/Shanghai' },
    http: { apiTokens: testApiTokens() },
    storage: { flushIntervalMs: 50 },
    buses: [{ id: 'site', type: 'tcp', host: '127.0.0.1', port: gauge.port, timeoutMs: 300, retries: 0 }],
    sensors: [
      { id: 'river', name: '清水河水位计', bus: 'site', slave: 1, profile: 'submersible-level', pollIntervalMs: 100, critical: true },
      { id: 'creek', bus: 'site', slave: 2, profile: 'submersible-level', pollIntervalMs: 500 },
    ],
    alarms: {
      sites: [
        { id: SITE, name: '清水河站', sensors: ['river'], prepare: { levelM: 5, hysteresisM: 0.1, debounce }, evacuate: { levelM: 8, debounce }, notify: [{ group: 'leaders' }] },
        { id: CREEK_SITE, name: '白石溪站', sensors: ['creek'], prepare: { levelM: 5 }, evacuate: { levelM: 8 }, notify: [{ group: 'duty', levels: ['prepare', 'evacuate'] }] },
      ],
    },
    dispatch: {
      prepare: { relays: [], message: '{site}准备转移', ledText: '{site} 准备转移', repeat: 1, intervalS: 0 },
      evacuate: { relays: [], message: '{site}立即转移', ledText: '{site} 立即转移', repeat: 1, intervalS: 0 },
    },
    ...(opts.speakerFile === undefined ? {} : { outputs: { speakers: [{ id: 'spk', device: `file:${opts.speakerFile}` }] } }),
    sms: {
      people: PEOPLE,
      groups: [
        { id: 'leaders', roles: ['village-head'], people: ['wang'] },
        { id: 'duty', roles: ['duty'] },
      ],
      retry: { attempts: 3, initialMs: 150, maxMs: 400 },
      templates: { evacuate: LONG_EVACUATE },
      ...opts.sms,
    },
  };
  const parsed = parseConfigText(JSON.stringify(config));
  if (!parsed.ok) throw new Error(`config rejected: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  const daemon = buildDaemon({ config: parsed.config, dataDir: opts.dir, listen: '127.0.0.1:0', log: logs.log, clock: systemClock });
  await daemon.start();
  return Object.assign(box, { daemon, url: daemon.url(), logs, gauge }) as Box;
}

export async function api<T>(box: Box, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${box.url}/api/v1${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...bearerHeaders(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export type AlarmWithSms = AlarmWithHistory & { readonly sms?: readonly SmsDelivery[] };

export function alarmSms(box: Box, id: number): Promise<AlarmWithSms> {
  return api<AlarmWithSms>(box, `/alarms/${id}`);
}

export function floodAlarm(box: Box): AlarmWithHistory | undefined {
  const a = box.daemon.alarms.active().find((x) => x.key === `flood:${SITE}`);
  return a === undefined ? undefined : box.daemon.alarms.get(a.id);
}

export const dataDir = (dir: string, name: string): string => join(dir, name);
