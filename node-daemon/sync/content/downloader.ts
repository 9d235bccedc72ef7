/**
 * The box's content downloader (docs/sync.md "Content"): works through the files the county's manifest lists that
 * the box does not have yet, one at a time, as bulk traffic.
 *
 * Per file (per sha256): the bytes go to `<data>/content/.partial/<sha256>`, asked for in pieces with
 * `Range: bytes=<have>-<end>`, so a cut link, a hub restart or a box restart resumes where the partial ends (its
 * size is the resume point; after a restart the partial is hashed again from disk, so the running SHA-256 covers the
 * whole file). When the partial is whole its SHA-256 must be the manifest's: then it is fsynced and renamed to
 * `<data>/content/<path>` (atomic: a reader sees the old file or the new one), else it is discarded, logged,
 * counted, and fetched again later. Paths dropped from the manifest are deleted.
 *
 * Sharing the link (plan.ts `contentGate`): a piece is asked for only while no alarm or health record waits to be
 * pushed and the readings lane is not behind; an alarm committed mid-piece stops the piece at once (what arrived
 * is kept). Every byte of content on the wire (request and answer, heads included) goes into the sync byte budget,
 * and a piece never asks for more than the budget has left: alarms may go over budget, content never does.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { copyFile, open, rename } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { dirname, join, relative, sep } from 'node:path';
import type { Observable } from 'rxjs';
import type { Logger } from '../../core/log.js';
import type { Module } from '../../core/module.js';
import { systemClock, type Clock } from '../../core/types.js';
import type { Db } from '../../storage/database.js';
import { fsyncDir } from '../enrol/files.js';
import { addUsage, budgetStatus, type BudgetLimits } from '../outbox/budget.js';
import type { OutboxStore } from '../outbox/outbox-store.js';
import type { SigningKey } from '../protocol/index.js';
import { pinnedAgent } from '../push/pinned-agent.js';
import { ContentTable } from './content-table.js';
import { fetchPiece, type PieceResult } from './fetch-piece.js';
import { contentManifestHandler } from './handler.js';
import { contentGate, PARTIAL_DIR, pieceBytes, retryDelayMs, type ContentHealth, type ContentRow, type WaitReason } from './plan.js';
import type { OrderHandler } from '../orders/handler.js';
import { StepLoop } from '../step-loop.js';

export const CONTENT_DIR = 'content';

export interface ContentDownloaderOptions {
  readonly db: Db;
  /** The box's data dir: files go under `<dataDir>/content/`. */
  readonly dataDir: string;
  readonly hubUrl: string;
  readonly boxKey: SigningKey;
  readonly log: Logger;
  readonly outbox: OutboxStore;
  readonly timeZone: string;
  readonly budget: BudgetLimits;
  /** Hub time − box time, as the push loop learned it (for signatures and the budget's calendar). */
  readonly offsetMs: () => number;
  /** An alarm committed: the piece in flight stops and the push loop has the link. */
  readonly alarm$?: Observable<unknown>;
  readonly clock?: Clock;
  readonly tlsPin?: string;
  /** `sync.maxRateKbit`: downloads are read no faster than this. */
  readonly maxRateKbit?: number;
  readonly userAgent?: string;
  /** No byte for this long ends a piece (default 60 s). */
  readonly idleTimeoutMs?: number;
  /** How often the link is looked at again while content waits for it (default 1 s). */
  readonly gatePollMs?: number;
  /** With nothing to do, the table is looked at this often (default 60 s; a new manifest wakes it at once). */
  readonly idlePollMs?: number;
  /** After a network failure: first wait, doubling to 5 min (default 2 s). */
  readonly minBackoffMs?: number;
}

const MAX_BACKOFF_MS = 5 * 60_000;

/** The running hash of the partial being downloaded, kept across pieces (rebuilt from disk after a restart). */
interface Running {
  readonly sha256: string;
  readonly hash: Hash;
  have: number;
}

export class ContentDownloader implements Module {
  readonly name = 'content';
  readonly table: ContentTable;
  readonly root: string;
  private readonly partials: string;
  private readonly clock: Clock;
  private readonly agent: http.Agent;
  private readonly steps = new StepLoop(
    () => this.step(),
    (err) => this.failed(err),
  );
  private piece: AbortController | undefined;
  private stopper = new AbortController();
  private current: Running | undefined;
  private rateBytesPerS: number | undefined;
  private networkFailures = 0;
  private waitingFor: WaitReason | undefined;
  private retrying = false;
  private mismatches = 0;
  private wireBytes = 0;
  private lastError: { ts: number; message: string } | undefined;

  constructor(private readonly opts: ContentDownloaderOptions) {
    this.table = new ContentTable(opts.db);
    this.root = join(opts.dataDir, CONTENT_DIR);
    this.partials = join(this.root, PARTIAL_DIR);
    this.clock = opts.clock ?? systemClock;
    const agentOpts = { keepAlive: true, maxSockets: 1 };
    this.agent = new URL(opts.hubUrl).protocol === 'https:' ? (opts.tlsPin === undefined ? new https.Agent(agentOpts) : pinnedAgent(opts.tlsPin, agentOpts)) : new http.Agent(agentOpts);
  }

  /** The content_manifest handler the orders module calls: records the list and wakes this downloader. */
  manifestHandler(): OrderHandler<'content_manifest'> {
    return contentManifestHandler({ table: this.table, log: this.opts.log, clock: this.clock, poke: () => this.poke() });
  }

  async start(): Promise<void> {
    if (this.steps.active) return;
    mkdirSync(this.partials, { recursive: true });
    this.reconcile();
    this.stopper = new AbortController();
    this.steps.start(this.opts.alarm$, () => this.yieldToAlarm());
  }

  async stop(): Promise<void> {
    if (!this.steps.active) return;
    const stopped = this.steps.stop();
    this.stopper.abort();
    this.piece?.abort();
    await stopped;
    this.agent.destroy();
  }

  /** A new manifest: look at the table now. */
  poke(): void {
    this.steps.wake();
  }

  status(): ContentHealth {
    const rows = this.table.rows();
    const installed = rows.filter((r) => r.state === 'installed');
    const failed = rows.filter((r) => r.state === 'failed').length;
    const cur = this.current === undefined ? undefined : rows.find((r) => r.sha256 === this.current?.sha256 && r.state !== 'installed');
    const manifest = this.table.manifest();
    const state: ContentHealth['state'] =
      installed.length === rows.length ? 'idle' : this.waitingFor !== undefined ? 'waiting' : this.retrying ? 'retrying' : 'downloading';
    return {
      state,
      ...(state === 'waiting' && this.waitingFor !== undefined ? { waitingFor: this.waitingFor } : {}),
      files: rows.length,
      installed: installed.length,
      failed,
      bytesListed: rows.reduce((n, r) => n + r.size, 0),
      bytesInstalled: installed.reduce((n, r) => n + r.size, 0),
      ...(cur === undefined || this.current === undefined ? {} : { current: { path: cur.path, sha256: cur.sha256, size: cur.size, bytesDone: this.current.have } }),
      mismatches: this.mismatches,
      wireBytes: this.wireBytes,
      ...(this.lastError === undefined ? {} : { lastError: { ...this.lastError } }),
      ...(manifest === undefined ? {} : { manifest: { orderId: manifest.orderId, issuedAt: manifest.issuedAt, receivedAt: manifest.receivedAt } }),
    };
  }

  // ---- the loop ----

  /** A step that threw: logged, then tried again after the backoff. */
  private failed(err: unknown): number {
    const message = err instanceof Error ? err.message : String(err);
    this.lastError = { ts: this.clock(), message };
    this.opts.log.error({ event: 'sync.content.error', error: message }, `content download failed: ${message}`);
    return this.backoff();
  }

  private backoff(): number {
    this.networkFailures += 1;
    const ceiling = Math.min(MAX_BACKOFF_MS, (this.opts.minBackoffMs ?? 2_000) * 2 ** Math.min(this.networkFailures - 1, 12));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  /** One step; resolves to how long to wait before the next. */
  private async step(): Promise<number> {
    this.removeDropped();
    const now = this.clock();
    const row = this.table.next(now);
    if (row === undefined) {
      this.waitingFor = undefined;
      const retryAt = this.table.nextRetryAt();
      this.retrying = retryAt !== undefined;
      this.current = undefined;
      return Math.max(50, Math.min(this.opts.idlePollMs ?? 60_000, retryAt === undefined ? Infinity : retryAt - now));
    }
    this.retrying = false;
    return this.work(row);
  }

  private async work(row: ContentRow): Promise<number> {
    const running = await this.runningFor(row);
    if (running.have < row.size) {
      const gate = contentGate({
        backlog: this.opts.outbox.backlog(),
        budget: budgetStatus(this.opts.outbox.budget(), this.clock() + this.opts.offsetMs(), this.opts.budget, this.opts.timeZone),
        limits: this.opts.budget,
      });
      if (!gate.go) {
        if (this.waitingFor !== gate.reason) this.opts.log.info({ event: 'sync.content.waiting', reason: gate.reason, sha256: row.sha256 }, `content waits: ${gate.reason}`);
        this.waitingFor = gate.reason;
        return this.opts.gatePollMs ?? 1_000;
      }
      this.waitingFor = undefined;
      const size = pieceBytes({ remaining: row.size - running.have, rateBytesPerS: this.rateBytesPerS, maxBytes: gate.maxBytes });
      const result = await this.fetch(row, running, size);
      if (!result.ok) return this.pieceFailed(row, result);
      this.networkFailures = 0;
      if (result.durationMs > 200) this.rateBytesPerS = (result.bytes * 1000) / result.durationMs;
      if (running.have < row.size) return 0;
    }
    await this.finish(row, running);
    return 0;
  }

  /** The running hash for `row`'s bytes: kept from the last piece, or the partial on disk hashed again. */
  private async runningFor(row: ContentRow): Promise<Running> {
    if (this.current?.sha256 === row.sha256) return this.current;
    const partial = join(this.partials, row.sha256);
    let have = statSync(partial, { throwIfNoEntry: false })?.size ?? 0;
    if (have > row.size) {
      rmSync(partial, { force: true });
      have = 0;
    }
    const hash = createHash('sha256');
    if (have > 0) {
      for await (const chunk of createReadStream(partial, { end: have - 1 })) hash.update(chunk as Buffer);
      this.opts.log.info({ event: 'sync.content.resume', path: row.path, sha256: row.sha256, have, size: row.size }, `resuming ${row.path} at byte ${have} of ${row.size}`);
    }
    this.current = { sha256: row.sha256, hash, have };
    return this.current;
  }

  private async fetch(row: ContentRow, running: Running, size: number): Promise<PieceResult> {
    const partial = join(this.partials, row.sha256);
    const fh = await open(partial, 'a');
    const ctl = new AbortController();
    this.piece = ctl;
    const stopped = (): void => ctl.abort();
    this.stopper.signal.addEventListener('abort', stopped, { once: true });
    const start = running.have;
    let result: PieceResult;
    try {
      result = await fetchPiece({
        hub: this.opts.hubUrl,
        sha256: row.sha256,
        start,
        end: start + size - 1,
        size: row.size,
        key: this.opts.boxKey,
        now: () => this.clock() + this.opts.offsetMs(),
        userAgent: this.opts.userAgent ?? 'fenghuo-box',
        agent: this.agent,
        idleTimeoutMs: this.opts.idleTimeoutMs ?? 60_000,
        signal: ctl.signal,
        ...(this.opts.maxRateKbit === undefined ? {} : { maxRateKbit: this.opts.maxRateKbit }),
        onData: async (chunk) => {
          await fh.write(chunk);
          running.hash.update(chunk);
          running.have += chunk.byteLength;
        },
      });
      await fh.sync();
    } finally {
      this.stopper.signal.removeEventListener('abort', stopped);
      this.piece = undefined;
      await fh.close();
    }
    this.countBytes(result.wireBytes);
    // The partial on disk is the truth: a write that failed half-way leaves the running hash unusable.
    if ((statSync(partial, { throwIfNoEntry: false })?.size ?? 0) !== running.have) this.current = undefined;
    this.table.progress(row.sha256, running.have);
    this.opts.log.debug({ event: 'sync.content.piece', sha256: row.sha256, start, bytes: result.bytes, wireBytes: result.wireBytes, ms: result.durationMs, ok: result.ok }, 'content piece');
    return result;
  }

  private pieceFailed(row: ContentRow, result: Extract<PieceResult, { ok: false }>): number {
    if (result.failure === 'aborted') return 0;
    this.lastError = { ts: this.clock(), message: result.message };
    if (result.failure === 'status' && (result.status === 404 || result.status === 416 || result.status === 206 || result.status === 200)) {
      // The hub does not have these bytes for this box (withdrawn, not shared with this hub process) or sent others.
      if (result.status === 416 || result.status === 206) this.discard(row.sha256);
      this.failFile(row, result.message);
      return 0;
    }
    const delay = Math.max(this.backoff(), (result.retryAfterS ?? 0) * 1000);
    this.opts.log.warn(
      { event: 'sync.content.piece_failed', path: row.path, sha256: row.sha256, failure: result.failure, status: result.status ?? null, have: this.current?.have ?? null, delayMs: Math.round(delay), error: result.message },
      `content piece failed (${result.message}); again in ${Math.round(delay / 1000)} s`,
    );
    return delay;
  }

  private failFile(row: ContentRow, message: string): void {
    const retryAt = this.clock() + retryDelayMs(row.failures + 1);
    this.table.failed(row.sha256, message, retryAt);
    this.opts.log.warn({ event: 'sync.content.failed', path: row.path, sha256: row.sha256, failures: row.failures + 1, retryAt, error: message }, `content ${row.path} failed: ${message}`);
  }

  private discard(sha256: string): void {
    rmSync(join(this.partials, sha256), { force: true });
    if (this.current?.sha256 === sha256) this.current = undefined;
  }

  /** The partial is whole: check it against the manifest, then install it at every path that wants these bytes. */
  private async finish(row: ContentRow, running: Running): Promise<void> {
    const got = running.hash.copy().digest('hex');
    const partial = join(this.partials, row.sha256);
    if (got !== row.sha256) {
      this.mismatches += 1;
      this.discard(row.sha256);
      this.lastError = { ts: this.clock(), message: `${row.path}: sha256 ${got} is not the manifest's ${row.sha256}` };
      this.opts.log.warn({ event: 'sync.content.mismatch', path: row.path, expected: row.sha256, got, size: row.size, mismatches: this.mismatches }, `${row.path}: the bytes do not match the manifest's sha256; discarded, fetched again`);
      this.failFile(row, 'sha256 mismatch');
      return;
    }
    const targets = this.table.waitingFor(row.sha256);
    for (const [i, t] of targets.entries()) {
      const target = this.target(t.path);
      mkdirSync(dirname(target), { recursive: true });
      if (i === targets.length - 1) {
        await rename(partial, target);
      } else {
        const tmp = join(this.partials, `${row.sha256}.copy`);
        await copyFile(partial, tmp);
        const fh = await open(tmp, 'r');
        await fh.sync().finally(() => fh.close());
        await rename(tmp, target);
      }
      fsyncDir(dirname(target));
      this.table.installed(t.path, row.sha256, this.clock());
      this.opts.log.info({ event: 'sync.content.installed', path: t.path, sha256: row.sha256, size: row.size }, `installed ${t.path} (${row.size} bytes)`);
    }
    this.current = undefined;
  }

  /** `<data>/content/<path>`, refusing anything that would land outside (the manifest schema already does). */
  private target(path: string): string {
    const t = join(this.root, ...path.split('/'));
    const rel = relative(this.root, t);
    if (rel === '' || rel.startsWith('..') || rel.split(sep)[0] === PARTIAL_DIR) throw new Error(`content path ${JSON.stringify(path)} is outside ${this.root}`);
    return t;
  }

  /** Deletes the files of paths dropped from the manifest, and empty directories they leave. */
  private removeDropped(): void {
    for (const r of this.table.removals()) {
      const target = this.target(r.path);
      rmSync(target, { force: true });
      for (let dir = dirname(target); dir !== this.root && dir.startsWith(this.root); dir = dirname(dir)) {
        try {
          if (readdirSync(dir).length > 0) break;
          rmdirSync(dir);
        } catch {
          break;
        }
      }
      this.table.removalDone(r.path);
      this.opts.log.info({ event: 'sync.content.removed', path: r.path, sha256: r.sha256 }, `removed ${r.path}: no longer in the county's manifest`);
    }
    // Partials of bytes no manifest path wants any more.
    for (const name of readdirSync(this.partials)) {
      const sha = name.endsWith('.copy') ? name.slice(0, -5) : name;
      if (!this.table.listed(sha) || name.endsWith('.copy')) {
        if (this.current?.sha256 === sha && !name.endsWith('.copy')) continue;
        rmSync(join(this.partials, name), { force: true });
      }
    }
  }

  /** At start: an installed file that is gone or changed size on disk is fetched again. */
  private reconcile(): void {
    for (const r of this.table.rows()) {
      if (r.state !== 'installed') continue;
      const st = statSync(this.target(r.path), { throwIfNoEntry: false });
      if (st === undefined || !st.isFile() || st.size !== r.size) {
        this.table.lost(r.path);
        this.opts.log.warn({ event: 'sync.content.lost', path: r.path, sha256: r.sha256 }, `${r.path} was installed but is gone or changed on disk: fetching it again`);
      }
    }
  }

  private yieldToAlarm(): void {
    if (this.piece === undefined) return;
    this.opts.log.info({ event: 'sync.content.yield', sha256: this.current?.sha256 ?? null, have: this.current?.have ?? null }, 'an alarm waits: content stops for the push loop');
    this.piece.abort();
  }

  private countBytes(bytes: number): void {
    if (bytes <= 0) return;
    this.wireBytes += bytes;
    const outbox = this.opts.outbox;
    outbox.saveBudget(addUsage(outbox.budget(), this.clock() + this.opts.offsetMs(), bytes, this.opts.timeZone));
  }
}
