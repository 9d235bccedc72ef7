/**
 * The camera pictures' upload to the county hub (docs/sync.md "Camera pictures to the hub"): announcements first (a
 * batch of pictures' metadata, each with its thumbnail, compressed as the push is), an alarm's pictures before the
 * others and newest first; then, when no announcement is owed and within `sync.images.fullBudgetShare` of the byte
 * budget, the full images in chunks `PUT …/full?offset=N` sized like backup chunks.
 *
 * The hub's count is the only resume point: the announcement's answer says how much of each full image the hub holds,
 * and every chunk's answer its new count. What the hub acknowledged is kept per picture (migration 17), so a restart
 * neither announces again nor re-sends a finished image. Like the backup upload, everything goes only while the push
 * loop's link is up and nothing more urgent waits (bulk/link-gate.ts), never over the budget; an alarm aborts the
 * request in flight. A picture deleted on the box meanwhile is skipped. Every request is signed with the box key and
 * every answer must be signed by the county key (bulk/signed-exchange.ts).
 */
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageStore, type FullImagePolicy, type HubOwedImage } from '../../camera/image-store.js';
import type { Module } from '../../core/module.js';
import { systemClock, type Clock } from '../../core/types.js';
import type { Db } from '../../storage/database.js';
import { CHUNK_SECONDS, chunkBytes, MAX_CHUNK_BYTES, MIN_CHUNK_BYTES, retryDelayMs, UNSUPPORTED_RETRY_MS, type UploadGateInput } from '../bulk/link-gate.js';
import { HubExchange, readSignedAnswer } from '../bulk/signed-exchange.js';
import type { BulkUploaderOptions } from '../bulk/uploader-options.js';
import { budgetStatus } from '../outbox/budget.js';
import {
  IMAGE_BATCH_MAX,
  IMAGES_SYNC_PATH,
  imageBatchAnswerSchema,
  imageChunkAnswerSchema,
  imageFullPath,
  type AnnouncedImage,
  type ImageBatch,
} from '../protocol/image-wire.js';
import { compressBody, type Compression } from '../push/compress.js';
import type { SignedExchange } from '../push/transport.js';
import { StepLoop } from '../step-loop.js';
import {
  announceActionFor,
  announceGate,
  chunkActionFor,
  formBatch,
  fullChunk,
  fullGate,
  unsendable,
  type ImageAction,
  type ImageAnswer,
  type ImagesHealth,
  type ImageWaitReason,
} from './plan.js';

export interface ImagesUploadConfig {
  /** Which full images go: every picture's, an alarm's only, none. */
  readonly full: FullImagePolicy;
  /** Full images go only while the budget used today and this month is under this share of the limits. */
  readonly fullBudgetShare: number;
}

/** Besides BulkUploaderOptions' (a new picture is found within `idlePollMs`, default 60 s, unless woken). */
export interface ImageUploaderOptions extends BulkUploaderOptions {
  readonly db: Db;
  /** The box's database id (the pictures' namespace at the hub). */
  readonly dbId: string;
  /** The pictures' files are relative to it. */
  readonly dataDir: string;
  readonly config: ImagesUploadConfig;
  readonly compression: Compression;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const isMissing = (err: unknown): boolean => (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';

/** A full image the hub refuses for its sha256 this many times is not sent again (the box's card is failing). */
const REJECTIONS_MAX = 3;

export class ImageUploader implements Module {
  readonly name = 'sync.images';
  private readonly store: ImageStore;
  private readonly clock: Clock;
  private readonly hub: HubExchange;
  private readonly steps = new StepLoop(
    () => this.step(),
    (err) => this.retry(`picture upload failed: ${message(err)}`),
  );
  /** The hub's count of each full image, from its answers since the box started (unknown after a restart: a probe learns it). */
  private readonly acked = new Map<number, number>();
  /** Full images the hub found damaged (sha256), since the box started: announced again, given up at REJECTIONS_MAX. */
  private readonly rejected = new Map<number, number>();
  private rateBytesPerS: number | undefined;
  private ceiling = MAX_CHUNK_BYTES;
  private batchMax = IMAGE_BATCH_MAX;
  private failures = 0;
  private state: ImagesHealth['state'] = 'idle';
  private waitingFor: ImageWaitReason | undefined;
  private lastError: string | undefined;
  private unsupportedUntil: number | undefined;
  private sentImages = 0;
  private sentFull = 0;
  /** The picture whose request is in flight (for the yield log). */
  private current: number | undefined;

  constructor(private readonly opts: ImageUploaderOptions) {
    this.store = new ImageStore(opts.db);
    this.clock = opts.clock ?? systemClock;
    this.hub = new HubExchange({ ...opts, clock: this.clock });
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

  /** A picture was taken (or linked to an alarm): look now instead of at the next poll. */
  wake(): void {
    this.steps.wake();
  }

  /** Announcements are owed to a hub that takes them: backups wait (pictures matter more to the duty officer). */
  announcementsOwed(): boolean {
    if (this.unsupportedUntil !== undefined && this.clock() < this.unsupportedUntil) return false;
    return this.store.toAnnounce(1).length > 0;
  }

  status(): ImagesHealth {
    const owed = this.store.hubOwed(this.opts.config.full);
    return {
      state: this.state,
      ...(this.state === 'waiting' && this.waitingFor !== undefined ? { waitingFor: this.waitingFor } : {}),
      thumbsOwed: owed.thumbs,
      fullOwed: owed.full,
      fullOwedBytes: owed.fullBytes,
      sentImages: this.sentImages,
      sentFull: this.sentFull,
      wireBytes: this.hub.wireBytes,
      ...(this.lastError === undefined || this.state === 'idle' ? {} : { lastError: this.lastError }),
    };
  }

  // ---- the loop ----

  private idle(): number {
    return this.opts.idlePollMs ?? 60_000;
  }

  private backoff(): number {
    this.failures += 1;
    return retryDelayMs(this.failures, this.opts.minBackoffMs ?? 2_000, this.opts.maxBackoffMs ?? 600_000, (this.opts.random ?? Math.random)());
  }

  private gateInput(): UploadGateInput {
    return {
      linkState: this.opts.linkState(),
      backlog: this.opts.outbox.backlog(),
      budget: budgetStatus(this.opts.outbox.budget(), this.clock() + this.opts.offsetMs(), this.opts.budget, this.opts.timeZone),
      limits: this.opts.budget,
    };
  }

  /** One step; resolves to how long to wait before the next. */
  private async step(): Promise<number> {
    if (this.unsupportedUntil !== undefined) {
      if (this.clock() < this.unsupportedUntil) {
        this.state = 'unsupported';
        return this.idle();
      }
      this.unsupportedUntil = undefined;
    }
    const owed = this.store.toAnnounce(IMAGE_BATCH_MAX);
    if (owed.length > 0) {
      const gate = announceGate(this.gateInput(), owed.some((p) => p.linked));
      if (!gate.go) return this.wait(gate.reason);
      const targetBytes = chunkBytes({ rateBytesPerS: this.sizingRate(), maxBytes: undefined, ceiling: this.ceiling });
      const batch = formBatch(owed, { alarmOnly: gate.alarmOnly, maxBytes: gate.maxBytes, max: this.batchMax, targetBytes });
      if (batch.length === 0) return this.wait(gate.alarmOnly ? 'readings_behind' : 'over_budget');
      return this.announce(batch);
    }
    const next = this.store.fullOwed(this.opts.config.full, 1)[0];
    if (next === undefined) {
      this.state = 'idle';
      this.waitingFor = undefined;
      return this.idle();
    }
    const gate = fullGate(this.gateInput(), this.opts.config.fullBudgetShare);
    if (!gate.go) return this.wait(gate.reason);
    return this.sendFull(next, gate.maxBytes);
  }

  private wait(reason: ImageWaitReason): number {
    if (this.state !== 'waiting' || this.waitingFor !== reason) this.opts.log.info({ event: 'sync.images.waiting', reason }, `the picture upload waits: ${reason}`);
    this.state = 'waiting';
    this.waitingFor = reason;
    return this.opts.gatePollMs ?? 1_000;
  }

  // ---- announcements ----

  private async announce(batch: readonly HubOwedImage[]): Promise<number> {
    this.state = 'uploading';
    this.waitingFor = undefined;
    const images: AnnouncedImage[] = [];
    const links = new Map<number, number>();
    for (const p of batch) {
      const read = await this.readPicture(p);
      if (read === undefined) continue;
      const alarms = this.store.linksOf(p.id);
      links.set(p.id, alarms.length);
      images.push({
        id: p.id,
        cameraId: p.cameraId,
        siteId: p.siteId,
        ts: p.ts,
        cause: p.cause,
        alarms: alarms.slice(0, 64),
        thumb: read.thumb.toString('base64'),
        full: { size: read.size, sha256: read.sha256 },
      });
    }
    if (images.length === 0) return 0;
    const body: ImageBatch = { dbId: this.opts.dbId, images };
    const text = JSON.stringify(body);
    this.current = images[0]?.id;
    const compressed = new Uint8Array(await compressBody(text, this.opts.compression));
    const ex = await this.hub.send({
      method: 'POST',
      path: IMAGES_SYNC_PATH,
      body: compressed,
      contentType: 'application/json',
      contentEncoding: this.opts.compression,
    });
    if (ex === undefined) return 0;
    if (!ex.result.ok) this.slower(compressed.byteLength);
    else if (ex.durationMs > 200) this.rateBytesPerS = (compressed.byteLength * 1000) / ex.durationMs;
    const answer = this.readAnswer(ex);
    const action = announceActionFor(answer);
    if (action.kind !== 'announced') {
      if (action.kind === 'shrink' && images.length === 1 && answer.status === 400) return this.refuse(images[0]?.id ?? 0, `the hub refuses its announcement: ${answer.status} ${answer.code ?? ''}`);
      return this.act(action);
    }
    const parsed = imageBatchAnswerSchema.safeParse(answer.json);
    if (!parsed.success) return this.retry(`the hub's answer to the announcement is not one: ${parsed.error.issues[0]?.message ?? ''}`);
    this.failures = 0;
    const at = this.clock();
    let complete = 0;
    for (const a of parsed.data.images) {
      const n = links.get(a.id);
      if (n === undefined) continue;
      this.store.markAnnounced(a.id, n, a.fullComplete ? at : undefined);
      this.acked.set(a.id, a.fullReceived);
      if (a.fullComplete) complete += 1;
      this.sentImages += 1;
    }
    this.opts.log.info(
      { event: 'sync.images.announced', images: images.length, ids: images.map((i) => i.id), bodyBytes: Buffer.byteLength(text), fullComplete: complete, ms: ex.durationMs },
      `${images.length} camera picture(s) announced to the hub`,
    );
    return 0;
  }

  /** The picture's thumbnail and its full image's size and sha256; undefined when it cannot go (deleted meanwhile, refused). */
  private async readPicture(p: HubOwedImage): Promise<{ thumb: Buffer; size: number; sha256: string } | undefined> {
    let thumb: Buffer;
    let full: Buffer;
    try {
      thumb = await readFile(join(this.opts.dataDir, p.thumbFile));
      full = await readFile(join(this.opts.dataDir, p.file));
    } catch (err) {
      if (!isMissing(err)) throw err;
      if (this.store.get(p.id) === undefined) return undefined; // deleted by retention or the media quota meanwhile
      this.refuse(p.id, 'its file is missing');
      return undefined;
    }
    const why = unsendable({ thumbBytes: thumb.byteLength, fullBytes: full.byteLength });
    if (why !== undefined) {
      this.refuse(p.id, why);
      return undefined;
    }
    return { thumb, size: full.byteLength, sha256: createHash('sha256').update(full).digest('hex') };
  }

  // ---- full images ----

  private async sendFull(p: HubOwedImage, budgetBytes: number | undefined): Promise<number> {
    this.state = 'uploading';
    this.waitingFor = undefined;
    const max = chunkBytes({ rateBytesPerS: this.sizingRate(), maxBytes: budgetBytes, ceiling: this.ceiling });
    let fh;
    try {
      fh = await open(join(this.opts.dataDir, p.file), 'r');
    } catch (err) {
      if (!isMissing(err)) throw err;
      if (this.store.get(p.id) !== undefined) this.refuse(p.id, 'its file is missing');
      return 0;
    }
    let bytes: Buffer;
    let chunk: { offset: number; length: number };
    let size: number;
    try {
      size = (await fh.stat()).size;
      const acked = this.acked.get(p.id);
      if (acked !== undefined && acked >= size) {
        // Every byte acknowledged but never told complete (an answer lost): the announcement's answer says.
        this.acked.delete(p.id);
        this.store.forgetAtHub(p.id);
        return 0;
      }
      chunk = fullChunk(size, acked, max);
      bytes = Buffer.alloc(chunk.length);
      const { bytesRead } = await fh.read(bytes, 0, chunk.length, chunk.offset);
      if (bytesRead !== chunk.length) return this.refuse(p.id, 'its file is shorter than its size');
    } finally {
      await fh.close();
    }
    this.current = p.id;
    const ex = await this.hub.send({
      method: 'PUT',
      path: imageFullPath(this.opts.dbId, p.id),
      query: { offset: chunk.offset },
      body: new Uint8Array(bytes),
      contentType: 'application/octet-stream',
    });
    if (ex === undefined) return 0;
    if (!ex.result.ok) this.slower(chunk.length);
    const answer = this.readAnswer(ex);
    const action = chunkActionFor(answer);
    switch (action.kind) {
      case 'acked': {
        if (answer.status === 200) {
          this.failures = 0;
          if (ex.durationMs > 200) this.rateBytesPerS = (chunk.length * 1000) / ex.durationMs;
        }
        this.acked.set(p.id, action.received);
        this.opts.log.debug(
          { event: 'sync.images.full_chunk', id: p.id, offset: chunk.offset, bytes: chunk.length, acked: action.received, status: answer.status, ms: ex.durationMs },
          'camera picture chunk',
        );
        if (action.complete) {
          this.store.markFullDone(p.id, this.clock());
          this.acked.delete(p.id);
          this.sentFull += 1;
          this.opts.log.info({ event: 'sync.images.full_complete', id: p.id, bytes: size, linked: p.linked }, `the hub holds camera picture ${p.id} in full`);
        }
        return 0;
      }
      case 'file_rejected': {
        // The bytes sent are not what was announced: the file changed since (or the card returns other bytes). It is
        // announced again with the sha256 it has now; a picture that keeps failing is given up, not sent forever.
        const times = (this.rejected.get(p.id) ?? 0) + 1;
        this.rejected.set(p.id, times);
        this.acked.delete(p.id);
        this.opts.log.warn({ event: 'sync.images.file_rejected', id: p.id, code: answer.code ?? null, times }, `the hub refused the full image of picture ${p.id} (${times}×): announcing it again`);
        if (times >= REJECTIONS_MAX) {
          this.rejected.delete(p.id);
          return this.refuse(p.id, `the hub found its full image damaged ${times} times`);
        }
        this.lastError = `the hub found picture ${p.id} damaged (${answer.code ?? answer.status}): announced again`;
        this.store.forgetAtHub(p.id);
        return 0;
      }
      case 'announce_again':
        this.acked.delete(p.id);
        this.store.forgetAtHub(p.id);
        return 0;
      default:
        return this.act(action);
    }
  }

  // ---- answers ----

  private readAnswer(ex: SignedExchange): ImageAnswer & { json?: unknown } {
    const a = readSignedAnswer(ex);
    const chunk = imageChunkAnswerSchema.safeParse(a.json);
    return { ...a, ...(a.status !== 0 && chunk.success ? { received: chunk.data.received, ...(chunk.data.complete === undefined ? {} : { complete: chunk.data.complete }) } : {}) };
  }

  private act(action: ImageAction): number {
    switch (action.kind) {
      case 'unsupported':
        this.unsupportedUntil = this.clock() + UNSUPPORTED_RETRY_MS;
        this.state = 'unsupported';
        this.lastError = 'the county hub does not take camera pictures (an older hub): asked again in 24 h';
        this.opts.log.warn({ event: 'sync.images.unsupported' }, this.lastError);
        return this.idle();
      case 'shrink':
        this.batchMax = Math.max(1, Math.floor(this.batchMax / 2));
        this.ceiling = Math.max(1024, Math.floor(this.ceiling / 2));
        return 0;
      case 'retry':
        return this.retry(action.message, action.afterMs);
      default:
        return 0;
    }
  }

  /**
   * The measured rate as requests are sized from it: a request is made to take about CHUNK_SECONDS, or a third of the
   * request timeout when that is shorter, so that it is answered in time.
   */
  private sizingRate(): number | undefined {
    const timeoutS = (this.opts.requestTimeoutMs ?? 30_000) / 1000;
    return this.rateBytesPerS === undefined ? undefined : this.rateBytesPerS * Math.min(1, timeoutS / 3 / CHUNK_SECONDS);
  }

  /**
   * No answer to a request of `bytes` (a timeout, a reset): the next requests are half its size, as the push halves its
   * batches, so that a slow link still carries one within the request timeout (an announcement of 40 thumbnails at
   * 64 kbit/s outlasted it, was sent again whole and never answered); the rate measured at the next answer sizes them
   * again.
   */
  private slower(bytes: number): void {
    this.rateBytesPerS = Math.max(MIN_CHUNK_BYTES, bytes / 2) / CHUNK_SECONDS;
  }

  /** The box will not send this picture (it is owed nothing more). */
  private refuse(id: number, why: string): number {
    this.store.markHubRefused(id, why);
    this.acked.delete(id);
    this.opts.log.warn({ event: 'sync.images.not_sent', id, reason: why }, `camera picture ${id} is not sent to the hub: ${why}`);
    return 0;
  }

  private retry(why: string, afterMs?: number): number {
    // The counts kept are the hub's own; one that moved meanwhile (an answer lost) comes back in a 409.
    const delay = Math.max(this.backoff(), afterMs ?? 0);
    this.lastError = why;
    this.state = 'failed';
    this.waitingFor = undefined;
    this.opts.log.warn({ event: 'sync.images.retry', failures: this.failures, delayMs: delay, error: why }, `picture upload: ${why}; again in ${Math.round(delay / 1000)} s`);
    return delay;
  }

  private yieldToAlarm(): void {
    if (this.hub.abort()) this.opts.log.info({ event: 'sync.images.yield', id: this.current ?? null }, 'an alarm waits: the picture upload stops for the push loop');
  }
}
