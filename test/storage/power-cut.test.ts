import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_FILE_NAME } from '../../node-daemon/storage/database.js';
import { expectedValue } from './power-cut-child.js';
import { tempDir } from './storage-helpers.js';
import { testChildScript } from '../helpers/dist-build.js';

let child: string;

interface StoredLine {
  count: number;
  lastId: number;
  seq: number;
}

interface RunOutcome {
  stored: StoredLine[];
  events: string[];
}

/** Runs the child until it has reported a few commits, then kill -9's it after a random delay. */
async function runAndKill(dataDir: string, run: number, delayMs: number): Promise<RunOutcome> {
  const proc = spawn(process.execPath, [child, dataDir, String(run)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stored: StoredLine[] = [];
  const events: string[] = [];
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let killTimer: NodeJS.Timeout | undefined;
  const lines = createInterface({ input: proc.stdout });
  lines.on('line', (line) => {
    let parsed: { event?: string } & Partial<StoredLine>;
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      return; // a line cut by the kill
    }
    if (parsed.event !== undefined) events.push(parsed.event);
    if (parsed.event === 'readings.stored') {
      stored.push({ count: Number(parsed.count), lastId: Number(parsed.lastId), seq: Number(parsed.seq) });
      killTimer ??= setTimeout(() => proc.kill('SIGKILL'), delayMs);
    }
  });
  const guard = setTimeout(() => proc.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(guard);
  if (killTimer !== undefined) clearTimeout(killTimer);
  // Lines already in the pipe when the child died are still ours: they were printed after their commit.
  await new Promise<void>((resolve) => (proc.stdout.readableEnded ? resolve() : proc.stdout.once('end', () => resolve())));
  expect(proc.signalCode, `child died on its own: ${stderr}`).toBe('SIGKILL');
  return { stored, events };
}

describe('power cut (kill -9 while writing)', () => {
  let dir: { dir: string; cleanup(): void };
  beforeAll(async () => {
    dir = tempDir('fenghuo-powercut-');
    child = await testChildScript('test/storage/power-cut-child.ts');
  }, 180_000);
  afterAll(() => dir.cleanup());

  it('every reading reported stored survives, and the file stays intact, over 8 kills', async () => {
    const allLines: StoredLine[] = [];
    for (let run = 0; run < 8; run++) {
      const delayMs = 5 + Math.floor(Math.random() * 300);
      const { stored, events } = await runAndKill(dir.dir, run, delayMs);
      expect(events, `run ${run}: the child must not find a corrupt file`).not.toContain('storage.corrupt');
      expect(stored.length, `run ${run}`).toBeGreaterThan(0);
      allLines.push(...stored);

      const db = new Database(join(dir.dir, DB_FILE_NAME), { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true }), `run ${run}, killed after ${delayMs} ms`).toBe('ok');
        const get = db.prepare<[number], { ts: number; value: number; quality: number }>(
          'SELECT ts, value, quality FROM readings WHERE id = ?',
        );
        const seqExists = db.prepare<[number], { seq: number }>('SELECT seq FROM change_log WHERE seq = ?');
        let missing = 0;
        for (const line of allLines) {
          expect(seqExists.get(line.seq), `change_log seq ${line.seq}`).toBeDefined();
          for (let id = line.lastId - line.count + 1; id <= line.lastId; id++) {
            const row = get.get(id);
            if (row === undefined || row.value !== expectedValue(row.ts) || row.quality !== 0) missing += 1;
          }
        }
        expect(missing, `run ${run}, killed after ${delayMs} ms: reported-stored readings missing or wrong`).toBe(0);
      } finally {
        db.close();
      }
    }
    for (let i = 1; i < allLines.length; i++) {
      expect(allLines[i]?.seq).toBeGreaterThan(allLines[i - 1]?.seq ?? Infinity);
      expect(allLines[i]?.lastId).toBeGreaterThan(allLines[i - 1]?.lastId ?? Infinity);
    }
  });
});
