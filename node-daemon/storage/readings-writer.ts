import type { Subscription } from 'rxjs';
import type { EventHub } from '../core/events.js';
import type { Logger } from '../core/log.js';
import type { Module } from '../core/module.js';
import { systemClock, type Clock, type Reading, type StoredReading } from '../core/types.js';
import type { Db } from './database.js';
import { QUALITY_CODE } from './quality-codes.js';
import type { StorageError, StorageStatus } from './types.js';

/**
 * Whether readings taken now are on an untrusted clock (health/clock-trust.ts): the span to mark them with, and the
 * correction of a span already corrected while some of its readings still waited in the queue.
 */
export interface ClockMarks {
  currentSpan(): number | null;
  correctionOf(span: number): number | undefined;
}

/** A queued reading; `clockSpan`: the untrusted clock span it was taken in. */
type Queued = Reading & { readonly clockSpan?: number };

export interface ReadingsWriterOptions {
  readonly db: Db;
  readonly hub: EventHub;
  readonly log: Logger;
  /** Commit when this many readings are queued (config `storage.batchSize`)... */
  readonly batchSize: number;
  /** ...or when the oldest queued reading has waited this long (config `storage.flushIntervalMs`). */
  readonly flushIntervalMs: number;
  readonly clock?: Clock;
  /** Readings kept in memory while writes fail; beyond it the oldest are dropped (and counted). Default 100 000. */
  readonly maxPending?: number;
  /** First retry delay after a failed write; doubles up to retryMaxMs. Defaults 250 ms and 30 s. */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  /** Marks readings taken while the clock is untrusted (migration 13); none marked without it. */
  readonly clockMarks?: ClockMarks;
}

/** While catching up on a backlog (after failures), batches may be this big so recovery needs few fsyncs. */
const CATCH_UP_BATCH = 2_048;

interface Committed {
  readonly stored: StoredReading[];
  readonly seq: number;
}

/**
 * Persists `hub.reading$` into SQLite in batches, one transaction each (readings + one change-log row), and only
 * after the commit announces them on `hub.stored$`. Failed writes keep the batch in memory (bounded) and retry with
 * backoff; `status()` tells the health endpoint how storage is doing.
 */
export class ReadingsWriter implements Module {
  readonly name = 'storage.readings-writer';

  private readonly clock: Clock;
  private readonly maxPending: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly commitBatch: (batch: readonly Queued[], now: number) => Committed;

  private pending: Queued[] = [];
  private subscription: Subscription | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private drainHandle: NodeJS.Immediate | undefined;
  private retryDelayMs: number;
  private stopping = false;
  private dropLogged = false;

  private lastCommitTs: number | null = null;
  private lastSeq: number | null = null;
  private lastError: StorageError | null = null;
  private consecutiveFailures = 0;
  private droppedReadings = 0;

  constructor(private readonly opts: ReadingsWriterOptions) {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new Error('fenghuo: batchSize must be >= 1');
    this.clock = opts.clock ?? systemClock;
    this.maxPending = Math.max(opts.maxPending ?? 100_000, opts.batchSize);
    this.retryInitialMs = opts.retryInitialMs ?? 250;
    this.retryMaxMs = Math.max(opts.retryMaxMs ?? 30_000, this.retryInitialMs);
    this.retryDelayMs = this.retryInitialMs;

    const { db } = opts;
    const insert = db.prepare('INSERT INTO readings (sensor_id, ts, value, quality, clock_span) VALUES (?, ?, ?, ?, ?)');
    const marks = opts.clockMarks;
    const logChange = db.prepare("INSERT INTO change_log (ts, kind, payload) VALUES (?, 'readings', ?)");
    this.commitBatch = db.transaction((batch: readonly Queued[], now: number): Committed => {
      const stored: StoredReading[] = [];
      for (const r of batch) {
        // A reading whose span was corrected while it waited here is written corrected, unmarked.
        const correction = r.clockSpan === undefined ? undefined : marks?.correctionOf(r.clockSpan);
        const ts = correction === undefined ? r.ts : r.ts + correction;
        const span = correction === undefined ? (r.clockSpan ?? null) : null;
        const id = Number(insert.run(r.sensorId, ts, r.value, QUALITY_CODE[r.quality], span).lastInsertRowid);
        stored.push({ id, sensorId: r.sensorId, ts, value: r.value, quality: r.quality });
      }
      // One transaction on the only writing connection: the batch's ids are contiguous, so one range names them all.
      const payload = { firstId: stored[0]?.id, lastId: stored[stored.length - 1]?.id, count: stored.length };
      const seq = Number(logChange.run(now, JSON.stringify(payload)).lastInsertRowid);
      return { stored, seq };
    });
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.subscription ??= this.opts.hub.reading$.subscribe((r) => this.accept(r));
  }

  /** Stops listening and writes everything still queued (one last attempt each batch; a failure is logged). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.clearTimers();
    while (this.pending.length > 0) {
      if (!this.writeNext()) break;
    }
    if (this.pending.length > 0) {
      this.opts.log.error(
        { event: 'storage.unflushed_at_stop', count: this.pending.length, error: this.lastError },
        'readings could not be written before stopping and are lost',
      );
    }
  }

  status(): StorageStatus {
    return {
      ok: this.consecutiveFailures === 0,
      lastCommitTs: this.lastCommitTs,
      pendingWrites: this.pending.length,
      consecutiveFailures: this.consecutiveFailures,
      lastError: this.lastError,
      droppedReadings: this.droppedReadings,
      lastSeq: this.lastSeq,
    };
  }

  private accept(r: Reading): void {
    const problem = invalidReason(r);
    if (problem !== undefined) {
      this.opts.log.error({ event: 'readings.rejected', sensorId: String(r.sensorId), problem }, 'reading not stored');
      return;
    }
    // Marked as it arrives: reading$ is emitted the moment the reading is taken.
    const span = this.opts.clockMarks?.currentSpan() ?? null;
    const plain: Reading = r.detail === undefined ? r : { sensorId: r.sensorId, ts: r.ts, value: r.value, quality: r.quality };
    this.pending.push(span === null ? plain : { ...plain, clockSpan: span });
    if (this.pending.length > this.maxPending) this.dropOldest(this.pending.length - this.maxPending);
    if (this.retryTimer !== undefined || this.stopping) return;
    if (this.pending.length >= this.opts.batchSize) this.writeNext();
    else this.flushTimer ??= setTimeout(() => this.onFlushTimer(), this.opts.flushIntervalMs);
  }

  private dropOldest(n: number): void {
    this.pending.splice(0, n);
    this.droppedReadings += n;
    // One line per outage; later drops are counted in every storage.write_failed line.
    if (!this.dropLogged) {
      this.dropLogged = true;
      this.opts.log.error(
        { event: 'storage.backlog_full', dropped: n, droppedTotal: this.droppedReadings, maxPending: this.maxPending },
        'storage backlog full while writes fail: dropping the oldest readings',
      );
    }
  }

  private onFlushTimer(): void {
    this.flushTimer = undefined;
    this.writeNext();
  }

  /** Commits the next batch from the head of the queue. Returns false if the write failed. */
  private writeNext(): boolean {
    this.clearTimers();
    if (this.pending.length === 0) return true;
    const size = this.pending.length > this.opts.batchSize ? Math.max(this.opts.batchSize, CATCH_UP_BATCH) : this.opts.batchSize;
    const batch = this.pending.slice(0, size);
    const now = this.clock();
    let committed: Committed;
    try {
      committed = this.commitBatch(batch, now);
    } catch (err) {
      this.onWriteFailed(err, now);
      return false;
    }
    this.pending.splice(0, batch.length);
    const recovered = this.consecutiveFailures > 0;
    this.consecutiveFailures = 0;
    this.dropLogged = false;
    this.retryDelayMs = this.retryInitialMs;
    this.lastCommitTs = now;
    this.lastSeq = committed.seq;
    const lastId = committed.stored[committed.stored.length - 1]?.id ?? null;
    if (recovered) {
      this.opts.log.info(
        { event: 'storage.recovered', pending: this.pending.length, droppedTotal: this.droppedReadings },
        'storage writes succeed again',
      );
    }
    this.opts.log.info(
      { event: 'readings.stored', count: committed.stored.length, lastId, seq: committed.seq },
      'readings stored',
    );
    if (!this.stopping) this.scheduleAfterCommit();
    this.opts.hub.stored$.next({ readings: committed.stored, seq: committed.seq, ts: now });
    return true;
  }

  private scheduleAfterCommit(): void {
    if (this.pending.length >= this.opts.batchSize) {
      this.drainHandle ??= setImmediate(() => {
        this.drainHandle = undefined;
        this.writeNext();
      });
    } else if (this.pending.length > 0) {
      this.flushTimer ??= setTimeout(() => this.onFlushTimer(), this.opts.flushIntervalMs);
    }
  }

  private onWriteFailed(err: unknown, now: number): void {
    const code = (err as { code?: unknown }).code;
    this.lastError = {
      ts: now,
      code: typeof code === 'string' ? code : 'ERROR',
      message: err instanceof Error ? err.message : String(err),
    };
    this.consecutiveFailures += 1;
    const retryInMs = this.retryDelayMs;
    this.opts.log.error(
      {
        event: 'storage.write_failed',
        code: this.lastError.code,
        error: this.lastError.message,
        pending: this.pending.length,
        attempt: this.consecutiveFailures,
        droppedTotal: this.droppedReadings,
        retryInMs: this.stopping ? null : retryInMs,
      },
      'storage write failed; readings kept in memory',
    );
    if (this.stopping) return;
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.retryMaxMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.writeNext();
    }, retryInMs);
  }

  private clearTimers(): void {
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    if (this.drainHandle !== undefined) clearImmediate(this.drainHandle);
    this.flushTimer = undefined;
    this.retryTimer = undefined;
    this.drainHandle = undefined;
  }
}

function invalidReason(r: Reading): string | undefined {
  if (typeof r.sensorId !== 'string' || r.sensorId.length === 0) return 'sensorId must be a non-empty string';
  if (!Number.isSafeInteger(r.ts)) return `ts must be integer UTC milliseconds, got ${String(r.ts)}`;
  if (r.value !== null && !(typeof r.value === 'number' && Number.isFinite(r.value))) {
    return `value must be a finite number or null, got ${String(r.value)}`;
  }
  if (!Object.hasOwn(QUALITY_CODE, r.quality)) return `unknown quality ${String(r.quality)}`;
  return undefined;
}
