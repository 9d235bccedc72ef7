import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../core/log.js';
import type { Module } from '../core/module.js';

/**
 * `PRAGMA quick_check` of the whole database file, off the start path (storage/database.ts says when): it reads
 * every page, so at open it would make start-up grow with the data (a year of readings is tens of MB on a slow SD
 * card). It runs once per start, a while after start, in a worker thread on a read-only connection of its own with a
 * small page cache, so the poller and the alarm rules never wait for it (WAL lets it read beside the writer).
 *
 * A failure is logged (`storage.corrupt_found`, error), shown in health (storage.lastError, so the site is
 * `degraded`) and marked in `<db>.check-failed`: the next start then runs quick_check at open, and a file that fails
 * it is moved aside as before (database.ts). The running daemon keeps going on the damaged file: its alarms and
 * polling are in memory, and whether to restart now is the operator's choice (or the watchdog's).
 */

/** The file that tells the next open to quick_check before anything else. */
export function checkFailedMarker(dbPath: string): string {
  return `${dbPath}.check-failed`;
}

export type IntegrityState = 'pending' | 'running' | 'ok' | 'failed' | 'error';

export interface IntegrityStatus {
  readonly state: IntegrityState;
  /** quick_check's first messages when `failed`; why the check could not run when `error`. */
  readonly problem?: string;
  /** UTC ms the check finished. */
  readonly checkedAt?: number;
  readonly durationMs?: number;
}

export interface QuickCheckOutcome {
  readonly ok: boolean;
  /** Up to 10 of quick_check's messages, or the error that stopped it (e.g. SQLITE_CORRUPT). */
  readonly messages: readonly string[];
  readonly durationMs: number;
}

// The worker's body: CommonJS, given better-sqlite3's resolved path (eval workers resolve from the cwd otherwise).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const t0 = performance.now();
let db;
try {
  db = new Database(workerData.path, { readonly: true, fileMustExist: true });
  db.pragma('cache_size = -' + workerData.cacheKb);
  const messages = db.pragma('quick_check').map((r) => r.quick_check);
  const ok = messages.length === 1 && messages[0] === 'ok';
  parentPort.postMessage({ ok, messages: messages.slice(0, 10), durationMs: performance.now() - t0 });
} catch (err) {
  const code = err && typeof err.code === 'string' ? err.code + ': ' : '';
  const corrupt = code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB');
  parentPort.postMessage({ ok: false, error: !corrupt, messages: [code + (err && err.message ? err.message : String(err))], durationMs: performance.now() - t0 });
} finally {
  try { db && db.close(); } catch { /* nothing more to do */ }
}
`;

/**
 * Runs quick_check on `path` in a worker thread. Resolves `error: true` when the check itself could not run (e.g.
 * the file is gone), as opposed to a file that failed it.
 */
export function quickCheckInWorker(path: string, opts: { readonly cacheKb?: number } = {}): { done: Promise<QuickCheckOutcome & { error?: boolean }>; cancel(): void } {
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path, sqlite, cacheKb: Math.max(64, Math.floor(opts.cacheKb ?? 1024)) },
    // A small isolate: the check needs SQLite's page cache, not JavaScript heap.
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1 },
    stdout: false,
    stderr: false,
  });
  const done = new Promise<QuickCheckOutcome & { error?: boolean }>((resolve) => {
    let settled = false;
    const finish = (r: QuickCheckOutcome & { error?: boolean }): void => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    worker.once('message', (m: QuickCheckOutcome & { error?: boolean }) => finish(m));
    worker.once('error', (err) => finish({ ok: false, error: true, messages: [String(err)], durationMs: 0 }));
    worker.once('exit', (code) => finish({ ok: false, error: true, messages: [`the check stopped (exit ${code})`], durationMs: 0 }));
  });
  worker.unref();
  return { done, cancel: () => void worker.terminate() };
}

export interface BackgroundIntegrityCheckOptions {
  readonly dbPath: string;
  readonly log: Logger;
  readonly clock: () => number;
  /** Milliseconds after start() before the check runs (start-up, the first poll cycle and its writes come first). */
  readonly delayMs?: number;
  /** SQLite page cache of the check's connection. */
  readonly cacheKb?: number;
}

/** The deferred quick_check as a module of the daemon (started after the storage, stopped before it closes). */
export class BackgroundIntegrityCheck implements Module {
  readonly name = 'storage-check';
  private state: IntegrityStatus = { state: 'pending' };
  private timer: NodeJS.Timeout | undefined;
  private running: { done: Promise<unknown>; cancel(): void } | undefined;
  private stopped = false;

  constructor(private readonly opts: BackgroundIntegrityCheckOptions) {}

  start(): Promise<void> {
    this.timer = setTimeout(() => void this.runNow(), this.opts.delayMs ?? 60_000);
    this.timer.unref();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.running?.cancel();
    await this.running?.done;
  }

  status(): IntegrityStatus {
    return this.state;
  }

  /** Runs the check now (once; a second call while it runs waits for the same one). */
  async runNow(): Promise<IntegrityStatus> {
    clearTimeout(this.timer);
    if (this.stopped) return this.state;
    if (this.running !== undefined) {
      await this.running.done;
      return this.state;
    }
    const { log, dbPath } = this.opts;
    this.state = { state: 'running' };
    const job = quickCheckInWorker(dbPath, this.opts.cacheKb === undefined ? {} : { cacheKb: this.opts.cacheKb });
    this.running = job;
    const r = await job.done;
    this.running = undefined;
    const durationMs = Math.round(r.durationMs);
    const checkedAt = this.opts.clock();
    if (this.stopped && r.error === true) return this.state;
    if (r.ok) {
      this.state = { state: 'ok', checkedAt, durationMs };
      log.info({ event: 'storage.quick_check', path: dbPath, result: 'ok', background: true, durationMs }, 'database quick_check ok');
    } else if (r.error === true) {
      this.state = { state: 'error', problem: r.messages.join('; '), checkedAt, durationMs };
      log.warn({ event: 'storage.quick_check_failed_to_run', path: dbPath, problem: this.state.problem }, 'database quick_check could not run');
    } else {
      const problem = r.messages.join('; ');
      this.state = { state: 'failed', problem, checkedAt, durationMs };
      const marker = checkFailedMarker(dbPath);
      try {
        writeFileSync(marker, `${new Date(checkedAt).toISOString()} ${problem}\n`);
      } catch (err) {
        log.error({ event: 'storage.marker_failed', marker, err: String(err) }, 'could not mark the database for a check at the next start');
      }
      log.error(
        { event: 'storage.corrupt_found', path: dbPath, problem, marker },
        'database failed its background integrity check: it is checked at the next start and moved aside if it fails again',
      );
    }
    return this.state;
  }
}

/** The health view's storage error for a failed background check (undefined while none failed). */
export function integrityError(status: IntegrityStatus): string | undefined {
  return status.state === 'failed' ? `integrity check failed: ${status.problem ?? 'unknown'}; the database is checked again (and moved aside if damaged) at the next start` : undefined;
}

/** Forgets an earlier failure once a check at open passed. */
export function clearCheckFailedMarker(dbPath: string): void {
  const marker = checkFailedMarker(dbPath);
  if (existsSync(marker)) rmSync(marker, { force: true });
}
