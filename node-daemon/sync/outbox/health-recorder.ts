/**
 * Logs `health` records for the county (docs/sync.md, "Payloads": a snapshot every `sync.healthIntervalMs`, default
 * 15 minutes, and on every change of overall status). Each is one change_log row of kind `health` whose payload is
 * the snapshot as given, so it travels in the `health` lane like any other record.
 *
 * The overall status is looked at every `checkMs` (5 s) through `status` (or the snapshot itself when no cheaper
 * `status` is given); the first look after start() always logs one, so the hub learns the box is back. A failed
 * insert (disk full) is logged and tried again at the next look; it never stops the module.
 *
 * Wiring (compose.ts, not done yet): after the StatusRegistry and storage, before HTTP:
 *   new HealthRecorder({ db, log, snapshot: () => registry.snapshot(), status: () => registry.snapshot().status,
 *                        intervalMs: config.sync?.healthIntervalMs })
 */
import type { Logger } from '../../core/log.js';
import type { Module } from '../../core/module.js';
import { systemClock, type Clock } from '../../core/types.js';
import type { Db } from '../../storage/database.js';
import { DEFAULT_HEALTH_INTERVAL_MS, healthRecordDue, type HealthRecordReason, type LastHealthRecord } from './health-schedule.js';

export interface HealthSnapshotLike {
  /** Overall status, `ok` or `degraded` in GET /api/v1/health. */
  readonly status: string;
}

export interface HealthRecorderOptions {
  readonly db: Db;
  readonly log: Logger;
  /** The payload to log: GET /api/v1/health's body (`registry.snapshot()`). */
  readonly snapshot: () => HealthSnapshotLike;
  /** The overall status alone, when cheaper to tell than a whole snapshot. Default: `snapshot().status`. */
  readonly status?: () => string;
  /** Default 15 minutes. */
  readonly intervalMs?: number;
  /** How often the status is looked at. Default 5 s. */
  readonly checkMs?: number;
  readonly clock?: Clock;
}

export class HealthRecorder implements Module {
  readonly name = 'sync.health-recorder';

  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly checkMs: number;
  private readonly insert;
  private timer: NodeJS.Timeout | undefined;
  private last: LastHealthRecord | undefined;
  private failing = false;

  constructor(private readonly opts: HealthRecorderOptions) {
    this.clock = opts.clock ?? systemClock;
    this.intervalMs = Math.max(1, opts.intervalMs ?? DEFAULT_HEALTH_INTERVAL_MS);
    this.checkMs = Math.max(1, opts.checkMs ?? 5_000);
    this.insert = opts.db.prepare<[number, string]>("INSERT INTO change_log (ts, kind, payload) VALUES (?, 'health', ?)");
  }

  async start(): Promise<void> {
    if (this.timer !== undefined) return;
    this.last = undefined;
    this.check();
    this.timer = setInterval(() => this.check(), this.checkMs);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Logs a snapshot if one is due now; returns why it did (null: none due, or the insert failed). */
  check(): HealthRecordReason | null {
    const now = this.clock();
    let reason: HealthRecordReason | null;
    let seq: number;
    try {
      const status = this.opts.status?.() ?? this.opts.snapshot().status;
      reason = healthRecordDue(this.last, now, status, this.intervalMs);
      if (reason === null) return null;
      // The status logged is the snapshot's own, which may have moved since `status` was read.
      const snapshot = this.opts.snapshot();
      seq = Number(this.insert.run(now, JSON.stringify(snapshot)).lastInsertRowid);
      this.last = { ts: now, status: snapshot.status };
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (!this.failing) {
        this.opts.log.error(
          { event: 'sync.health_record_failed', code: typeof code === 'string' ? code : 'ERROR', error: String(err) },
          'health record not logged; trying again at the next look',
        );
      }
      this.failing = true;
      return null;
    }
    this.failing = false;
    this.opts.log.debug({ event: 'sync.health_recorded', seq, reason, status: this.last.status }, 'health record logged');
    return reason;
  }
}
