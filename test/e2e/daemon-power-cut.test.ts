// Power cut: kill -9 the real daemon again and again while it polls a real pymodbus slave; after each cut every
// reading it had logged as stored is in the SQLite file, the file passes integrity_check, and ids keep rising.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../node-daemon/core/free-port.js';
import { startPymodbusSlave, type RunningSlave } from '../helpers/pymodbus.js';
import { ensureBuilt, startDaemon, writeConfig, type LogLine } from './daemon-process.js';

const SENSORS = 4;
const CUTS = 6;

interface Stored {
  count: number;
  lastId: number;
  seq: number;
}

const storedOf = (lines: readonly LogLine[]): Stored[] =>
  lines.filter((l) => l.event === 'readings.stored').map((l) => ({ count: Number(l.count), lastId: Number(l.lastId), seq: Number(l.seq) }));

describe('daemon power cut (kill -9)', () => {
  let slave: RunningSlave;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    ensureBuilt();
    const units = Object.fromEntries(Array.from({ length: SENSORS }, (_, i) => [String(i + 1), { holding: { '0': [1000 + i] } }]));
    slave = await startPymodbusSlave({ map: { units }, endpoint: { kind: 'tcp' } });
    dir = mkdtempSync(join(tmpdir(), 'fenghuo-cut-'));
    config = writeConfig(join(dir, 'site.yaml'), [
      'storage: { batchSize: 8, flushIntervalMs: 50 }',
      'buses:',
      `  - { id: tcp-a, type: tcp, host: 127.0.0.1, port: ${slave.port} }`,
      'sensors:',
      ...Array.from({ length: SENSORS }, (_, i) => `  - { id: s${i + 1}, bus: tcp-a, slave: ${i + 1}, profile: generic-uint16-cm, pollIntervalMs: 100 }`),
    ]);
  });

  afterAll(async () => {
    await slave?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`keeps every reading reported stored across ${CUTS} cuts, and a clean stop flushes`, async () => {
    const dataDir = join(dir, 'data');
    let lastId = 0;
    let lastSeq = 0;
    for (let cut = 0; cut <= CUTS; cut++) {
      const daemon = startDaemon(config, dataDir, `127.0.0.1:${await freePort()}`);
      await daemon.waitFor('daemon.started');
      await daemon.waitFor('readings.stored');
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 1200));
      const clean = cut === CUTS;
      daemon.child.kill(clean ? 'SIGTERM' : 'SIGKILL');
      const code = await daemon.exited;
      if (clean) expect(code).toBe(0);

      const stored = storedOf(daemon.lines);
      expect(stored.length).toBeGreaterThan(0);
      const db = new Database(join(dataDir, 'fenghuo.db'), { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const countIn = db.prepare<[number, number], { n: number }>('SELECT count(*) AS n FROM readings WHERE id BETWEEN ? AND ?');
        const valueOf = db.prepare<[number], { sensor_id: string; value: number }>('SELECT sensor_id, value FROM readings WHERE id = ?');
        const seqIn = db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM change_log WHERE seq = ?');
        for (const s of stored) {
          expect(countIn.get(s.lastId - s.count + 1, s.lastId)!.n).toBe(s.count);
          expect(seqIn.get(s.seq)!.n).toBe(1);
          expect(s.lastId).toBeGreaterThan(lastId);
          expect(s.seq).toBeGreaterThan(lastSeq);
          lastId = s.lastId;
          lastSeq = s.seq;
        }
        // The values are the slave's: sensor sN reads (1000 + N - 1) cm.
        const row = valueOf.get(lastId)!;
        expect(row.value).toBeCloseTo((1000 + Number(row.sensor_id.slice(1)) - 1) / 100, 9);
        if (clean) {
          // After a clean stop nothing is pending: the last committed row is the last one logged.
          expect(db.prepare<[], { m: number }>('SELECT max(id) AS m FROM readings').get()!.m).toBe(lastId);
        }
      } finally {
        db.close();
      }
    }
  });
});
