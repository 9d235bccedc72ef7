// Shared pieces of the fault rigs (issue #14 item 4): a pymodbus water-level gauge whose level can be changed (by
// restarting it on the same port with a new register map), the simulated I/O board (StandardFirmata at the byte
// level on a socat pty pair) whose relays the daemon drives, the site config around them, and the checks of what a
// fault must not lose: every reading the daemon logged as stored, every alarm transition a reader saw committed.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FirmataSimulator } from '../../drivers/io-board/sim/firmata-simulator.js';
import { DB_FILE_NAME } from '../../node-daemon/storage/database.js';
import { bearerHeaders } from '../helpers/auth.js';
import { startPymodbusSlave, type RunningSlave } from '../helpers/pymodbus.js';
import { createPtyPair, type PtyPair } from '../helpers/socat.js';
import type { DaemonProcess, StoredLine } from '../daemon/daemon-harness.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- the gauge ----

/** A generic-uint16-cm gauge (unit 1, holding register 0) on pymodbus TCP; `setCm` restarts it on the same port. */
export interface Gauge {
  readonly port: number;
  cm(): number;
  setCm(cm: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startGauge(cm: number): Promise<Gauge> {
  const map = (v: number) => ({ units: { '1': { holding: { '0': [v] } } } });
  let current = cm;
  let slave: RunningSlave = await startPymodbusSlave({ endpoint: { kind: 'tcp' }, map: map(cm) });
  const port = slave.port ?? 0;
  return {
    port,
    cm: () => current,
    setCm: async (v) => {
      await slave.kill9();
      // The port was just released by our own listener: retry a few times should the kernel be slow to let go.
      for (let attempt = 0; ; attempt++) {
        try {
          slave = await startPymodbusSlave({ endpoint: { kind: 'tcp', port }, map: map(v) });
          break;
        } catch (err) {
          if (attempt >= 4) throw err;
          await sleep(300);
        }
      }
      current = v;
    },
    stop: () => slave.stop(),
  };
}

// ---- the I/O board ----

/** The relay pins of the rigs' board (digital pins of an Uno, as the demo uses). */
export const RELAYS = { amplifier: 7, siren: 8, strobe: 9 } as const;
export type RelayName = keyof typeof RELAYS;
const PIN_NAMES = new Map<number, string>(Object.entries(RELAYS).map(([n, p]) => [p, n]));

/** The relays the default dispatch plans switch for an open flood alarm of this level (plan-schema.ts defaults). */
export function relaysFor(level: 'prepare' | 'evacuate' | null): string[] {
  if (level === 'evacuate') return ['amplifier', 'siren', 'strobe'];
  if (level === 'prepare') return ['amplifier', 'strobe'];
  return [];
}

export interface RelayBoard {
  /** The daemon's end of the line (`outputs.ioBoard.path`). */
  readonly path: string;
  /** Names of the relays the board has on now, sorted. */
  relaysOn(): string[];
  /** Every change of the set of relays on since the board started, with its UTC ms. */
  changes(): { at: number; on: string[] }[];
  /** The board loses power with the box: the line is recreated at the same path and the board comes back reset. */
  powerCycle(): Promise<void>;
  close(): Promise<void>;
}

export async function startRelayBoard(): Promise<RelayBoard> {
  const pty: PtyPair = await createPtyPair();
  const sim = await FirmataSimulator.open({ path: pty.b });
  const names = (pins: readonly number[]): string[] => pins.map((p) => PIN_NAMES.get(p) ?? `pin${p}`).sort();
  const changes: { at: number; on: string[] }[] = [];
  sim.onRelays((on) => changes.push({ at: Date.now(), on: names(on) }));
  return {
    path: pty.a,
    relaysOn: () => names(sim.relaysOn()),
    changes: () => [...changes],
    powerCycle: async () => {
      await pty.recreate();
      await sim.reopen({ reset: true });
    },
    close: async () => {
      await sim.close();
      await pty.close();
    },
  };
}

// ---- config ----

export interface SiteOptions {
  readonly gaugePort: number;
  readonly boardPath?: string;
  /** `file:` sink of the loudspeaker; none without. */
  readonly speakerFile?: string;
  readonly pollIntervalMs?: number;
  readonly storage?: string;
  /** Extra top-level YAML lines (e.g. `media:`). */
  readonly extra?: readonly string[];
}

/** Thresholds of the rigs' site: prepare 1.20 m, evacuate 1.50 m (hysteresis 0.1 m, debounce 2 samples). */
export const LOW_CM = 100;
export const HIGH_CM = 180;

export function siteYaml(o: SiteOptions): string {
  return [
    `storage: ${o.storage ?? '{ batchSize: 4, flushIntervalMs: 60 }'}`,
    'buses:',
    `  - { id: gw, type: tcp, host: 127.0.0.1, port: ${o.gaugePort}, timeoutMs: 300, retries: 0, reconnectMs: 200, breaker: { failureThreshold: 3, openMs: 300, maxOpenMs: 600 } }`,
    'sensors:',
    `  - { id: river, bus: gw, slave: 1, profile: generic-uint16-cm, pollIntervalMs: ${o.pollIntervalMs ?? 150}, critical: true }`,
    'alarms:',
    '  sites:',
    '    - id: town',
    '      name: 镇区',
    '      sensors: [river]',
    '      prepare: { levelM: 1.2, hysteresisM: 0.1, debounce: { samples: 2 } }',
    '      evacuate: { levelM: 1.5, hysteresisM: 0.1, debounce: { samples: 2 } }',
    ...(o.boardPath === undefined && o.speakerFile === undefined ? [] : ['outputs:']),
    ...(o.boardPath === undefined
      ? []
      : [`  ioBoard: { path: ${JSON.stringify(o.boardPath)}, relays: { amplifier: ${RELAYS.amplifier}, siren: ${RELAYS.siren}, strobe: ${RELAYS.strobe} } }`]),
    ...(o.speakerFile === undefined ? [] : [`  speakers: [{ id: spk, name: 喇叭, device: ${JSON.stringify(`file:${o.speakerFile}`)}, rate: 200 }]`]),
    ...(o.extra ?? []),
    '',
  ].join('\n');
}

// ---- the API ----

export async function postJson<T>(url: string, body: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...bearerHeaders(), 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, body: (await res.json()) as T };
}

// ---- the database, read beside the daemon (a reader sees committed transactions only) ----

export interface TransitionRow {
  readonly id: number;
  readonly alarm_id: number;
  readonly type: string;
  readonly ts: number;
  readonly level: string | null;
}

export interface OpenAlarm {
  readonly key: string;
  readonly kind: string;
  readonly level: string | null;
  readonly state: string;
}

export function dbPath(dataDir: string): string {
  return join(dataDir, DB_FILE_NAME);
}

function withDb<T>(dataDir: string, f: (db: Database.Database) => T): T {
  const db = new Database(dbPath(dataDir), { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 2000');
  try {
    return f(db);
  } finally {
    db.close();
  }
}

/** Every alarm transition committed so far (empty before the first migration made the table). */
export function committedTransitions(dataDir: string): TransitionRow[] {
  if (!existsSync(dbPath(dataDir))) return [];
  return withDb(dataDir, (db) => db.prepare('SELECT id, alarm_id, type, ts, level FROM alarm_transitions ORDER BY id').all() as TransitionRow[]);
}

/** The transitions of the alarms raised under `key`, oldest first. */
export function floodTransitions(dataDir: string, key: string): TransitionRow[] {
  return withDb(dataDir, (db) =>
    db
      .prepare('SELECT t.id, t.alarm_id, t.type, t.ts, t.level FROM alarm_transitions t JOIN alarms a ON a.id = t.alarm_id WHERE a.key = ? ORDER BY t.id')
      .all(key) as TransitionRow[],
  );
}

export function openAlarms(dataDir: string): OpenAlarm[] {
  return withDb(dataDir, (db) => db.prepare("SELECT key, kind, level, state FROM alarms WHERE state != 'cleared' ORDER BY id").all() as OpenAlarm[]);
}

/** The top level of the open flood alarms that drive outputs (active or acknowledged; none is shelved here). */
export function openFloodLevel(alarms: readonly OpenAlarm[]): 'prepare' | 'evacuate' | null {
  const levels = alarms.filter((a) => a.kind === 'flood').map((a) => a.level);
  return levels.includes('evacuate') ? 'evacuate' : levels.includes('prepare') ? 'prepare' : null;
}

export interface KeptReport {
  readonly readings: number;
  readonly batches: number;
  readonly transitions: number;
  readonly integrity: string;
}

/**
 * What a fault must not lose: the file passes integrity_check; every batch logged `readings.stored` is there (its
 * change-log row names its id range, every reading in it is present with a plausible value); every transition in
 * `transitions` (seen committed by a reader) is still there, unchanged. Returns the problems (empty when all kept).
 */
export function checkKept(
  dataDir: string,
  stored: readonly StoredLine[],
  transitions: readonly TransitionRow[],
  plausible: (row: { value: number | null; quality: number }) => boolean,
): { problems: string[]; report: KeptReport } {
  return withDb(dataDir, (db) => {
    const problems: string[] = [];
    const integrity = String(db.pragma('integrity_check', { simple: true }));
    if (integrity !== 'ok') problems.push(`integrity_check: ${integrity}`);
    const bySeq = db.prepare<[number], { payload: string }>("SELECT payload FROM change_log WHERE seq = ? AND kind = 'readings'");
    const range = db.prepare<[number, number], { id: number; value: number | null; quality: number }>('SELECT id, value, quality FROM readings WHERE id BETWEEN ? AND ? ORDER BY id');
    let readings = 0;
    for (const line of stored) {
      const first = line.lastId - line.count + 1;
      const log = bySeq.get(line.seq);
      if (log === undefined) problems.push(`change_log seq ${line.seq} missing`);
      else {
        const p = JSON.parse(log.payload) as { firstId: number; lastId: number; count: number };
        if (p.firstId !== first || p.lastId !== line.lastId || p.count !== line.count) problems.push(`change_log seq ${line.seq} names ${log.payload}`);
      }
      const rows = range.all(first, line.lastId);
      if (rows.length !== line.count) problems.push(`batch seq ${line.seq}: ${rows.length} of ${line.count} readings (ids ${first}..${line.lastId})`);
      for (const r of rows) if (!plausible(r)) problems.push(`reading ${r.id} wrong: ${JSON.stringify(r)}`);
      readings += rows.length;
    }
    const byId = db.prepare<[number], TransitionRow>('SELECT id, alarm_id, type, ts, level FROM alarm_transitions WHERE id = ?');
    for (const t of transitions) {
      const now = byId.get(t.id);
      if (now === undefined) problems.push(`alarm transition ${t.id} (${t.type} of alarm ${t.alarm_id}) missing`);
      else if (JSON.stringify(now) !== JSON.stringify(t)) problems.push(`alarm transition ${t.id} changed: ${JSON.stringify(t)} -> ${JSON.stringify(now)}`);
    }
    return { problems, report: { readings, batches: stored.length, transitions: transitions.length, integrity } };
  });
}

/** The daemon's `alarm.rules.transition` lines that changed the store (logged after the commit). */
export function loggedTransitions(d: DaemonProcess): { alarmId: number; type: string }[] {
  return d
    .events('alarm.rules.transition')
    .filter((l) => l['changed'] === true && typeof l['alarmId'] === 'number')
    .map((l) => ({ alarmId: Number(l['alarmId']), type: String(l['type']) }));
}
