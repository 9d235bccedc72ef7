/**
 * The box's backup upload to the county hub (docs/sync.md "Backups to the hub"): sends the newest scheduled backup
 * made for the `hub` target (staging.ts) through the sync link, as the lowest-priority bulk traffic.
 *
 * The hub's acknowledged count is the only resume point: the upload is opened by sending the manifest (the hub
 * answers how much of each file it holds, after a dropped link or a restart of either side as at first), then each
 * file goes in chunks `PUT …/file?path=P&offset=N`, each acknowledged with the hub's new count. A chunk goes only
 * while the push loop's link is up and nothing more urgent waits, within the byte budget (plan.ts `uploadGate`); an
 * alarm committed mid-chunk aborts it. A newer backup replaces the one being sent at once. Every request is signed
 * with the box key and every answer must be signed by the county key for that request (push/transport.ts).
 */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readManifest, type Manifest } from '../../backup/manifest.js';
import type { Module } from '../../core/module.js';
import { systemClock, type Clock } from '../../core/types.js';
import { HubExchange, readSignedAnswer } from '../bulk/signed-exchange.js';
import type { BulkUploaderOptions } from '../bulk/uploader-options.js';
import { budgetStatus } from '../outbox/budget.js';
import { backupChunkAnswerSchema, backupFilePath, backupOpenAnswerSchema, backupOpenPath, identityRefusal } from '../protocol/backup-wire.js';
import type { SignedExchange } from '../push/transport.js';
import {
  actionFor,
  ackedBytes,
  chunkBytes,
  MAX_CHUNK_BYTES,
  nextChunk,
  progressFrom,
  retryDelayMs,
  totalBytes,
  UNSUPPORTED_RETRY_MS,
  uploadGate,
  withAcked,
  type Answer,
  type AnswerAction,
  type HubUploadStatus,
  type UploadFile,
  type UploadWaitReason,
} from './plan.js';
import { dropOlderStaged, ensureStaging, markUploaded, newestStaged, readUploaded } from './staging.js';
import { StepLoop } from '../step-loop.js';

export interface BackupUploaderOptions extends BulkUploaderOptions {
  readonly dataDir: string;
  /** Picture announcements are owed to the hub (sync/image-upload): the backup waits for them. */
  readonly imagesWaiting?: () => boolean;
}

interface Session {
  readonly backup: string;
  readonly manifestText: Uint8Array;
  files: UploadFile[];
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class BackupUploader implements Module {
  readonly name = 'sync.backup';
  private readonly staging: string;
  private readonly clock: Clock;
  private readonly hub: HubExchange;
  private readonly steps = new StepLoop(
    () => this.step(),
    (err) => this.failed(err),
  );
  private session: Session | undefined;
  private rateBytesPerS: number | undefined;
  private ceiling = MAX_CHUNK_BYTES;
  private failures = 0;
  private state: HubUploadStatus['state'] = 'idle';
  private waitingFor: UploadWaitReason | undefined;
  private lastError: string | undefined;
  private refused: { backup: string; message: string } | undefined;
  private unsupported: { backup: string; until: number } | undefined;
  private mismatches = 0;
  private current: string | undefined;

  constructor(private readonly opts: BackupUploaderOptions) {
    this.staging = ensureStaging(opts.dataDir);
    this.clock = opts.clock ?? systemClock;
    this.hub = new HubExchange({ ...opts, clock: this.clock });
  }

  /** Where the scheduled backup for the hub is made (`createBackup({ to })`). */
  get stagingDir(): string {
    return this.staging;
  }

  async start(): Promise<void> {
    if (this.steps.active) return;
    this.steps.start(this.opts.alarm$, () => this.yieldToAlarm());
  }

  async stop(): Promise<void> {
    if (!this.steps.active) return;
    const stopped = this.steps.stop();
    this.hub.abort();
    await stopped;
    this.hub.close();
  }

  /** A new backup was made in the staging folder: older ones go (only the newest is worth sending), and it goes next. */
  offer(backup: string): void {
    const dropped = dropOlderStaged(this.staging, backup);
    if (dropped.length > 0) this.opts.log.info({ event: 'sync.backup.superseded', backup, dropped }, `backup ${backup} replaces ${dropped.join(', ')} for the hub`);
    if (this.session !== undefined && this.session.backup !== backup) this.hub.abort();
    this.steps.wake();
  }

  status(): HubUploadStatus {
    const s = this.session;
    const mark = readUploaded(this.staging);
    const backup = this.current;
    return {
      state: this.state,
      ...(backup === undefined ? {} : { backup }),
      ...(s === undefined || s.backup !== backup ? {} : { sentBytes: ackedBytes(s.files), totalBytes: totalBytes(s.files) }),
      ...(this.state === 'waiting' && this.waitingFor !== undefined ? { waitingFor: this.waitingFor } : {}),
      ...(this.lastError === undefined || this.state === 'ok' ? {} : { error: this.lastError }),
      ...(mark !== undefined && mark.backup === backup ? { completedAt: mark.at } : {}),
      mismatches: this.mismatches,
      wireBytes: this.hub.wireBytes,
    };
  }

  // ---- the loop ----

  /** A step that threw: logged and shown failed, then tried again after the backoff. */
  private failed(err: unknown): number {
    this.lastError = message(err);
    this.state = 'failed';
    this.opts.log.error({ event: 'sync.backup.error', error: this.lastError }, `backup upload failed: ${this.lastError}`);
    return this.backoff();
  }

  private backoff(): number {
    this.failures += 1;
    return retryDelayMs(this.failures, this.opts.minBackoffMs ?? 2_000, this.opts.maxBackoffMs ?? 600_000, (this.opts.random ?? Math.random)());
  }

  private idle(): number {
    return this.opts.idlePollMs ?? 60_000;
  }

  /** One step; resolves to how long to wait before the next. */
  private async step(): Promise<number> {
    const backup = newestStaged(this.staging);
    this.current = backup;
    if (backup === undefined) {
      this.state = 'idle';
      return this.idle();
    }
    if (this.session !== undefined && this.session.backup !== backup) this.session = undefined;
    if (readUploaded(this.staging)?.backup === backup) {
      this.state = 'ok';
      return this.idle();
    }
    if (this.refused?.backup === backup) {
      this.state = 'failed';
      this.lastError = this.refused.message;
      return this.idle();
    }
    if (this.unsupported?.backup === backup && this.clock() < this.unsupported.until) {
      this.state = 'unsupported';
      return this.idle();
    }
    const gate = uploadGate({
      linkState: this.opts.linkState(),
      backlog: this.opts.outbox.backlog(),
      budget: budgetStatus(this.opts.outbox.budget(), this.clock() + this.opts.offsetMs(), this.opts.budget, this.opts.timeZone),
      limits: this.opts.budget,
      imagesWaiting: this.opts.imagesWaiting?.() ?? false,
    });
    if (!gate.go) {
      if (this.state !== 'waiting' || this.waitingFor !== gate.reason) this.opts.log.info({ event: 'sync.backup.waiting', backup, reason: gate.reason }, `the backup upload waits: ${gate.reason}`);
      this.state = 'waiting';
      this.waitingFor = gate.reason;
      return this.opts.gatePollMs ?? 1_000;
    }
    this.state = 'uploading';
    this.waitingFor = undefined;
    if (this.session === undefined) return this.openUpload(backup);
    return this.sendChunk(this.session, gate.maxBytes);
  }

  private async openUpload(backup: string): Promise<number> {
    const dir = join(this.staging, backup);
    let manifest: Manifest;
    let text: Uint8Array;
    try {
      text = new Uint8Array(await readFile(join(dir, 'manifest.json')));
      manifest = readManifest(dir);
    } catch (err) {
      return this.refuse(backup, `the backup cannot be read: ${message(err)}`);
    }
    const clear = identityRefusal(manifest);
    if (clear !== undefined) return this.refuse(backup, clear);
    const ex = await this.exchange('PUT', `${backupOpenPath(backup)}`, text, 'application/json');
    if (ex === undefined) return 0;
    const answer = this.readAnswer(ex, true);
    if (answer.status === 200) {
      const parsed = backupOpenAnswerSchema.safeParse(answer.json);
      if (!parsed.success) return this.retry(`the hub's answer to the open request is not one: ${parsed.error.issues[0]?.message ?? ''}`);
      this.failures = 0;
      const files = progressFrom(manifest.files, parsed.data.files);
      this.session = { backup, manifestText: text, files };
      if (parsed.data.state === 'complete') return this.completed(backup, files);
      const sent = ackedBytes(files);
      this.opts.log.info(
        { event: sent > 0 ? 'sync.backup.resume' : 'sync.backup.opened', backup, sentBytes: sent, totalBytes: totalBytes(files) },
        `backup ${backup} ${sent > 0 ? `resumes at ${sent}` : 'starts'} of ${totalBytes(files)} bytes`,
      );
      return 0;
    }
    return this.act(backup, actionFor(answer, true));
  }

  private async sendChunk(s: Session, budgetBytes: number | undefined): Promise<number> {
    const size = chunkBytes({ rateBytesPerS: this.rateBytesPerS, maxBytes: budgetBytes, ceiling: this.ceiling });
    const chunk = nextChunk(s.files, size);
    if (chunk === undefined) {
      // Every byte acknowledged but not yet told complete (an answer lost): open again to hear the hub's state.
      this.session = undefined;
      return 0;
    }
    const bytes = Buffer.alloc(chunk.length);
    const fh = await open(join(this.staging, s.backup, ...chunk.path.split('/')), 'r');
    try {
      const { bytesRead } = await fh.read(bytes, 0, chunk.length, chunk.offset);
      if (bytesRead !== chunk.length) return this.refuse(s.backup, `${chunk.path} is shorter than its manifest says`);
    } finally {
      await fh.close();
    }
    const ex = await this.exchange('PUT', backupFilePath(s.backup), new Uint8Array(bytes), 'application/octet-stream', { path: chunk.path, offset: chunk.offset });
    if (ex === undefined) return 0;
    const answer = this.readAnswer(ex, false);
    const action = actionFor(answer, false);
    if (action.kind === 'acked') {
      if (answer.status === 200) {
        this.failures = 0;
        if (ex.durationMs > 200) this.rateBytesPerS = (chunk.length * 1000) / ex.durationMs;
      } else {
        this.opts.log.info({ event: 'sync.backup.offset_moved', backup: s.backup, path: chunk.path, sent: chunk.offset, hub: action.received }, `the hub holds ${action.received} bytes of ${chunk.path}: going on from there`);
      }
      s.files = withAcked(s.files, chunk.path, action.received);
      this.opts.log.debug({ event: 'sync.backup.chunk', backup: s.backup, path: chunk.path, offset: chunk.offset, bytes: chunk.length, acked: action.received, ms: ex.durationMs }, 'backup chunk');
      if (action.complete) return this.completed(s.backup, s.files);
      return 0;
    }
    if (action.kind === 'file_rejected') {
      this.mismatches += 1;
      s.files = withAcked(s.files, chunk.path, 0);
      this.lastError = `the hub found ${chunk.path} damaged (sha256): sent again`;
      this.opts.log.warn({ event: 'sync.backup.file_rejected', backup: s.backup, path: chunk.path, mismatches: this.mismatches }, `the hub refused ${chunk.path} of ${s.backup} (sha256 mismatch): sending it again`);
      return 0;
    }
    return this.act(s.backup, action);
  }

  private act(backup: string, action: AnswerAction): number {
    switch (action.kind) {
      case 'acked':
      case 'file_rejected':
        return 0;
      case 'reopen':
        this.session = undefined;
        return 0;
      case 'unsupported':
        this.unsupported = { backup, until: this.clock() + UNSUPPORTED_RETRY_MS };
        this.state = 'unsupported';
        this.lastError = 'the county hub does not take backups (an older hub): nothing is sent until the next backup';
        this.opts.log.warn({ event: 'sync.backup.unsupported', backup }, this.lastError);
        return this.idle();
      case 'refused':
        return this.refuse(backup, action.message);
      case 'shrink':
        this.ceiling = Math.max(1024, Math.floor(this.ceiling / 2));
        return 0;
      case 'retry':
        return this.retry(action.message, action.afterMs);
    }
  }

  private refuse(backup: string, why: string): number {
    this.refused = { backup, message: why };
    this.session = undefined;
    this.state = 'failed';
    this.lastError = why;
    this.opts.log.error({ event: 'sync.backup.refused', backup, error: why }, `backup ${backup} is not sent to the hub: ${why}`);
    return this.idle();
  }

  private retry(why: string, afterMs?: number): number {
    // After a failure the box asks the hub again what it holds (the open request): its count is the resume point.
    this.session = undefined;
    const delay = Math.max(this.backoff(), afterMs ?? 0);
    this.lastError = why;
    this.state = 'waiting';
    this.waitingFor = 'no_link';
    this.opts.log.warn({ event: 'sync.backup.retry', backup: this.current ?? null, failures: this.failures, delayMs: delay, error: why }, `backup upload: ${why}; again in ${Math.round(delay / 1000)} s`);
    return delay;
  }

  private completed(backup: string, files: readonly UploadFile[]): number {
    const at = this.clock();
    markUploaded(this.staging, { backup, at });
    this.state = 'ok';
    this.lastError = undefined;
    this.opts.log.info({ event: 'sync.backup.complete', backup, bytes: totalBytes(files), wireBytes: this.hub.wireBytes }, `backup ${backup} is complete at the hub`);
    return this.idle();
  }

  /** One signed exchange; undefined when it was aborted (an alarm, a newer backup, stopping): the loop looks again. */
  private exchange(method: string, path: string, body: Uint8Array, contentType: string, query?: Record<string, string | number>): Promise<SignedExchange | undefined> {
    return this.hub.send({ method, path, body, contentType, ...(query === undefined ? {} : { query }) });
  }

  /** The answer as the plan reads it; an exchange that failed or an answer not signed for this request is a 0 (retry). */
  private readAnswer(ex: SignedExchange, opening: boolean): Answer & { json?: unknown } {
    const a = readSignedAnswer(ex);
    const parsed = backupChunkAnswerSchema.safeParse(a.json);
    return { ...a, ...(!opening && a.status !== 0 && parsed.success ? { received: parsed.data.received, ...(parsed.data.complete === undefined ? {} : { complete: parsed.data.complete }) } : {}) };
  }

  private yieldToAlarm(): void {
    if (this.hub.abort()) this.opts.log.info({ event: 'sync.backup.yield', backup: this.current ?? null }, 'an alarm waits: the backup upload stops for the push loop');
  }
}
