import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_FILE_NAME } from '../../node-daemon/storage/database.js';
import { startPymodbusSlave, type RunningSlave } from '../helpers/pymodbus.js';
import { health, startDaemon, tempDir, waitUntil, writeConfig, type StoredLine } from './daemon-harness.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';

/** Unit u answers 100u + 7 cm at holding register 0 (generic-uint16-cm), so every stored value can be checked. */
const UNITS = [1, 2, 3, 4] as const;
const POLL_MS = [100, 150, 200, 120] as const;
const word = (unit: number): number => 100 * unit + 7;
const EXPECTED_M = new Map<string, number>(UNITS.map((u) => [`level-${u}`, word(u) / 100]));

function siteYaml(port: number, storage: { batchSize: number; flushIntervalMs: number }): string {
  return [
    `storage: { batchSize: ${storage.batchSize}, flushIntervalMs: ${storage.flushIntervalMs} }`,
    'buses:',
    `  - { id: tcp-gw, type: tcp, host: 127.0.0.1, port: ${port}, timeoutMs: 500, reconnectMs: 200 }`,
    'sensors:',
    ...UNITS.map(
      (u, i) => `  - { id: level-${u}, bus: tcp-gw, slave: ${u}, profile: generic-uint16-cm, pollIntervalMs: ${POLL_MS[i] ?? 100} }`,
    ),
    '',
  ].join('\n');
}

interface Row {
  sensor_id: string;
  ts: number;
  value: number | null;
  quality: number;
}

/** Every reading the daemon said it stored is in the file, as polled; the file passes integrity_check. */
function checkDatabase(dataDir: string, lines: readonly StoredLine[], where: string): { rows: number } {
  const db = new Database(join(dataDir, DB_FILE_NAME), { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true }), where).toBe('ok');
    const byId = db.prepare<[number], Row>('SELECT sensor_id, ts, value, quality FROM readings WHERE id = ?');
    const bySeq = db.prepare<[number], { payload: string }>('SELECT payload FROM change_log WHERE seq = ?');
    const problems: string[] = [];
    for (const line of lines) {
      const log = bySeq.get(line.seq);
      if (log === undefined) problems.push(`change_log seq ${line.seq} missing`);
      else expect(JSON.parse(log.payload), `${where}: change_log ${line.seq}`).toEqual({ firstId: line.lastId - line.count + 1, lastId: line.lastId, count: line.count });
      for (let id = line.lastId - line.count + 1; id <= line.lastId; id++) {
        const row = byId.get(id);
        if (row === undefined) problems.push(`reading ${id} missing`);
        else if (row.quality !== 0 || row.value !== EXPECTED_M.get(row.sensor_id)) problems.push(`reading ${id} wrong: ${JSON.stringify(row)}`);
      }
    }
    expect(problems.slice(0, 10), `${where}: ${problems.length} reported-stored readings missing or wrong`).toEqual([]);
    return { rows: (db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n };
  } finally {
    db.close();
  }
}

function expectStrictlyIncreasing(lines: readonly StoredLine[]): void {
  for (let i = 1; i < lines.length; i++) {
    const prev = lines[i - 1];
    const cur = lines[i];
    if (prev === undefined || cur === undefined) continue;
    expect(cur.seq, `seq after ${JSON.stringify(prev)}`).toBeGreaterThan(prev.seq);
    // ids are never reused: a batch starts after the previous one ended, also across restarts.
    expect(cur.lastId - cur.count + 1, `ids after ${JSON.stringify(prev)}`).toBeGreaterThan(prev.lastId);
  }
}

describe('daemon power cut: kill -9 of the real daemon while it polls real Modbus slaves', () => {
  let slave: RunningSlave;
  const dirs: { cleanup(): void }[] = [];
  const tmp = (prefix: string): string => {
    const d = tempDir(prefix);
    dirs.push(d);
    return d.dir;
  };

  beforeAll(async () => {
    await ensureDistBuilt();
    slave = await startPymodbusSlave({
      endpoint: { kind: 'tcp' },
      map: { units: Object.fromEntries(UNITS.map((u) => [String(u), { holding: { '0': [word(u)] } }])) },
    });
  }, 180_000);
  afterAll(async () => {
    await slave.stop();
    for (const d of dirs) d.cleanup();
  });

  it('every reading logged as stored survives 6 kills, the file stays intact, ids and seq keep increasing', async () => {
    const dir = tmp('fenghuo-daemon-powercut-');
    const config = writeConfig(dir, siteYaml(slave.port ?? 0, { batchSize: 3, flushIntervalMs: 60 }));
    const dataDir = join(dir, 'data');
    const all: StoredLine[] = [];
    for (let run = 0; run < 6; run++) {
      const daemon = await startDaemon({ configFile: config, dataDir });
      const delayMs = 300 + Math.floor(Math.random() * 1700);
      await new Promise((r) => setTimeout(r, delayMs));
      expect(daemon.exited(), `run ${run}: daemon died on its own: ${daemon.diagnostics()}`).toBe(false);
      await daemon.kill9();
      const where = `run ${run}, killed ${delayMs} ms after daemon.started`;
      expect(daemon.events('storage.corrupt'), `${where}: the previous kill left a corrupt file`).toEqual([]);
      const stored = daemon.stored();
      expect(stored.length, `${where}: nothing was committed`).toBeGreaterThan(0);
      all.push(...stored);
      const { rows } = checkDatabase(dataDir, all, where);
      // The file holds at least what was reported (a commit whose log line the kill cut off is extra, not missing).
      expect(rows).toBeGreaterThanOrEqual(all.reduce((n, l) => n + l.count, 0));
    }
    expectStrictlyIncreasing(all);
  });

  it('SIGTERM exits 0 and writes the readings still queued, up to the last poll', async () => {
    const dir = tmp('fenghuo-daemon-sigterm-');
    // Batches this big and this slow never commit on their own within the test: only the stop can write them.
    const config = writeConfig(dir, siteYaml(slave.port ?? 0, { batchSize: 10_000, flushIntervalMs: 60_000 }));
    const dataDir = join(dir, 'data');
    const daemon = await startDaemon({ configFile: config, dataDir });
    const before = await waitUntil(
      async () => {
        const h = await health(daemon);
        return h.storage.pendingWrites >= 20 && h.sensors.every((s) => s.status === 'good') ? h : undefined;
      },
      10_000,
      'readings queued and every sensor good',
    );
    expect(daemon.stored(), 'nothing should have committed before the stop').toEqual([]);
    const code = await daemon.sigterm();
    expect(code, daemon.diagnostics()).toBe(0);

    const names = daemon.lines.map((l) => l.event);
    const stopping = names.indexOf('daemon.stopping');
    const storedAt = names.indexOf('readings.stored');
    expect(stopping).toBeGreaterThanOrEqual(0);
    expect(storedAt, 'the flush happens during the stop').toBeGreaterThan(stopping);
    expect(names.at(-1)).toBe('daemon.stopped');
    expect(daemon.events('storage.unflushed_at_stop')).toEqual([]);

    const stored = daemon.stored();
    const total = stored.reduce((n, l) => n + l.count, 0);
    expect(total).toBeGreaterThanOrEqual(before.storage.pendingWrites);
    const { rows } = checkDatabase(dataDir, stored, 'after SIGTERM');
    expect(rows, 'the file holds exactly what was logged stored').toBe(total);

    // The newest reading each sensor had when we asked is in the file (the polls after it too).
    const db = new Database(join(dataDir, DB_FILE_NAME), { readonly: true });
    try {
      const newest = db.prepare<[string], { ts: number | null }>('SELECT max(ts) AS ts FROM readings WHERE sensor_id = ?');
      for (const s of before.sensors) {
        const seen = s.lastReading?.ts;
        expect(seen, s.id).toBeDefined();
        expect(newest.get(s.id)?.ts ?? 0, `${s.id}: newest stored reading vs the one /health showed`).toBeGreaterThanOrEqual(seen ?? Infinity);
      }
    } finally {
      db.close();
    }
  });
});
