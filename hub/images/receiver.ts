/**
 * The hub's side of the camera pictures (docs/sync.md "Camera pictures to the hub"). On disk, under
 * `<dataDir>/images/<box>/<dbId>/`:
 *
 *     <id>.thumb.jpg   the thumbnail, written when the picture is announced
 *     <id>.jpg.part    the full image as far as it arrived: its size is the resume point (each chunk fsynced first)
 *     <id>.jpg         the full image, renamed into place once its last byte came and matched the announced sha256
 *
 * The index (hub_box_images) says which pictures are held; a row goes with its files when `images.keepDays` lets it
 * go (checked at most once an hour, on an announcement). One box's requests are handled one at a time per hub
 * process; several hub processes need `<dataDir>/images/` on shared storage, as backups do.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../node-daemon/core/log.js';
import type { Clock } from '../../node-daemon/core/types.js';
import { IMAGE_CODES, IMAGE_THUMB_LIMIT, type ImageBatch, type ImageBatchAnswer } from '../../node-daemon/sync/protocol/image-wire.js';
import { appendSynced, fsyncPath, PerKeySerializer, sha256OfFile, sizeOfFile, writeFileAtomic } from '../files/append-file.js';
import type { HeldImage, HubImageIndex, ImageKey } from './image-index.js';

export const DEFAULT_IMAGES_KEEP_DAYS = 180;
const DAY_MS = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
const PRUNE_PAGE = 500;

/** A box database id fit to be a folder name (a box's is a UUID). */
const DB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface ImageReceiverOptions {
  /** `<dataDir>/images`. */
  readonly dir: string;
  readonly keepDays: number;
  readonly index: HubImageIndex;
  readonly log: Logger;
  readonly clock: Clock;
}

export type ImageRefusal = { readonly ok: false; readonly status: 400 | 404 | 409 | 413 | 422; readonly code: string; readonly message: string; readonly received?: number; readonly param?: string };
export type AnnounceResult = { readonly ok: true; readonly images: ImageBatchAnswer['images'] } | ImageRefusal;
export type ChunkResult = { readonly ok: true; readonly received: number; readonly complete: boolean } | ImageRefusal;

const badDbId = (param: string): ImageRefusal => ({ ok: false, status: 400, code: 'bad_request', message: 'dbId must be letters, digits, ., _ or - (a box database id)', param });

export class HubImageReceiver {
  private readonly queue = new PerKeySerializer();
  private lastPruneAt: number | undefined;

  constructor(private readonly opts: ImageReceiverOptions) {}

  get keepDays(): number {
    return this.opts.keepDays;
  }

  private folder(k: Pick<ImageKey, 'box' | 'dbId'>): string {
    return join(this.opts.dir, k.box, k.dbId);
  }

  private thumbPath(k: ImageKey): string {
    return join(this.folder(k), `${k.id}.thumb.jpg`);
  }

  private fullPath(k: ImageKey): string {
    return join(this.folder(k), `${k.id}.jpg`);
  }

  /** The picture's row, when the hub holds it. */
  async held(k: ImageKey): Promise<HeldImage | undefined> {
    return DB_ID_PATTERN.test(k.dbId) ? this.opts.index.get(k) : undefined;
  }

  /** The thumbnail's file, when held. */
  async thumbFile(k: ImageKey): Promise<{ readonly path: string; readonly size: number } | undefined> {
    if ((await this.held(k)) === undefined) return undefined;
    const path = this.thumbPath(k);
    const size = await sizeOfFile(path);
    return size === undefined ? undefined : { path, size };
  }

  /** The full image's file, when it arrived whole and verified. */
  async fullFile(k: ImageKey): Promise<{ readonly path: string; readonly size: number } | undefined> {
    const row = await this.held(k);
    if (row?.fullReceivedAt === null || row === undefined) return undefined;
    const path = this.fullPath(k);
    const size = await sizeOfFile(path);
    return size === undefined ? undefined : { path, size };
  }

  /** Bytes of the full image held (its size once verified). */
  async fullProgress(k: ImageKey, row: Pick<HeldImage, 'fullSize' | 'fullReceivedAt'>): Promise<{ received: number; complete: boolean }> {
    if (row.fullReceivedAt !== null && (await sizeOfFile(this.fullPath(k))) === row.fullSize) return { received: row.fullSize, complete: true };
    return { received: Math.min(row.fullSize, (await sizeOfFile(`${this.fullPath(k)}.part`)) ?? 0), complete: false };
  }

  /** The announcement: each picture kept with its thumbnail; the answer says how much of each full image is held. */
  async announce(box: string, batch: ImageBatch): Promise<AnnounceResult> {
    if (!DB_ID_PATTERN.test(batch.dbId)) return badDbId('dbId');
    const thumbs: Buffer[] = [];
    for (const [i, img] of batch.images.entries()) {
      const thumb = Buffer.from(img.thumb, 'base64');
      const param = `images.${i}.thumb`;
      if (thumb.byteLength > IMAGE_THUMB_LIMIT) return { ok: false, status: 400, code: 'bad_request', message: `picture ${img.id}: the thumbnail is over ${IMAGE_THUMB_LIMIT} bytes`, param };
      if (thumb.byteLength < 3 || thumb[0] !== 0xff || thumb[1] !== 0xd8) return { ok: false, status: 400, code: 'bad_request', message: `picture ${img.id}: the thumbnail is not a JPEG`, param };
      thumbs.push(thumb);
    }
    await this.maybePrune();
    return this.queue.run(box, () => this.announceNow(box, batch, thumbs));
  }

  private async announceNow(box: string, batch: ImageBatch, thumbs: readonly Buffer[]): Promise<AnnounceResult> {
    const now = this.opts.clock();
    await mkdir(this.folder({ box, dbId: batch.dbId }), { recursive: true, mode: 0o700 });
    const answers: ImageBatchAnswer['images'][number][] = [];
    let added = 0;
    let links = 0;
    for (const [i, img] of batch.images.entries()) {
      const k: ImageKey = { box, dbId: batch.dbId, id: img.id };
      const had = await this.opts.index.get(k);
      const restarts = had !== undefined && (had.fullSha256 !== img.full.sha256 || had.fullSize !== img.full.size);
      if (restarts) {
        await rm(this.fullPath(k), { force: true });
        await rm(`${this.fullPath(k)}.part`, { force: true });
        this.opts.log.info({ event: 'hub.images.full_restarted', box, dbId: k.dbId, image: k.id }, `picture ${k.id} of ${box} announced with another full image: it starts over`);
      }
      if (had === undefined || restarts || (await sizeOfFile(this.thumbPath(k))) === undefined) await writeFileAtomic(this.thumbPath(k), thumbs[i] as Buffer);
      await this.opts.index.put(
        k,
        { cameraId: img.cameraId, siteId: img.siteId, ts: img.ts, cause: img.cause, thumbBytes: (thumbs[i] as Buffer).byteLength, fullSize: img.full.size, fullSha256: img.full.sha256, alarms: img.alarms },
        now,
      );
      if (had === undefined) added += 1;
      links += img.alarms.length;
      const p = await this.fullProgress(k, restarts || had === undefined ? { fullSize: img.full.size, fullReceivedAt: null } : had);
      answers.push({ id: img.id, fullReceived: p.received, fullComplete: p.complete });
    }
    this.opts.log.info(
      { event: 'hub.images.announced', box, dbId: batch.dbId, images: batch.images.length, new: added, links },
      `${box}: ${batch.images.length} pictures announced (${added} new)`,
    );
    return { ok: true, images: answers };
  }

  /** A full-image request: `bytes` from `offset`. */
  append(k: ImageKey, offset: number, bytes: Uint8Array): Promise<ChunkResult> {
    if (!DB_ID_PATTERN.test(k.dbId)) return Promise.resolve(badDbId('dbId'));
    return this.queue.run(k.box, () => this.appendNow(k, offset, bytes));
  }

  private async appendNow(k: ImageKey, offset: number, bytes: Uint8Array): Promise<ChunkResult> {
    const row = await this.opts.index.get(k);
    if (row === undefined) return { ok: false, status: 404, code: IMAGE_CODES.noImage, message: `the hub holds no picture ${k.id} of ${k.box} (database ${k.dbId}): announce it again` };
    const now = await this.fullProgress(k, row);
    if (now.complete) return { ok: true, received: now.received, complete: true };
    if (offset !== now.received) return { ok: false, status: 409, code: IMAGE_CODES.offsetMismatch, message: `the hub holds ${now.received} bytes of picture ${k.id}`, received: now.received };
    if (offset + bytes.byteLength > row.fullSize) {
      return { ok: false, status: 413, code: 'payload_too_large', message: `picture ${k.id} has ${row.fullSize} bytes; ${offset}+${bytes.byteLength} is past its end`, received: now.received };
    }
    const part = `${this.fullPath(k)}.part`;
    await mkdir(this.folder(k), { recursive: true, mode: 0o700 });
    if (bytes.byteLength > 0) await appendSynced(part, bytes);
    const received = offset + bytes.byteLength;
    if (received < row.fullSize) return { ok: true, received, complete: false };
    const got = await sha256OfFile(part);
    if (got !== row.fullSha256) {
      await rm(part, { force: true });
      this.opts.log.warn(
        { event: 'hub.images.sha256_mismatch', box: k.box, dbId: k.dbId, image: k.id, expected: row.fullSha256, got },
        `picture ${k.id} of ${k.box} does not match its sha256: dropped, the box sends it again`,
      );
      return { ok: false, status: 422, code: IMAGE_CODES.sha256Mismatch, message: 'the full image does not match the announced sha256: send it again from 0', received: 0 };
    }
    await rename(part, this.fullPath(k));
    await fsyncPath(this.folder(k));
    await this.opts.index.markFullReceived(k, this.opts.clock());
    this.opts.log.info({ event: 'hub.images.full_verified', box: k.box, dbId: k.dbId, image: k.id, bytes: row.fullSize }, `picture ${k.id} of ${k.box}: full image verified`);
    return { ok: true, received, complete: true };
  }

  /** Retention: pictures that arrived more than `keepDays` ago go, files first (a row left by a crash goes next time). */
  private async maybePrune(): Promise<void> {
    const now = this.opts.clock();
    if (this.lastPruneAt !== undefined && now - this.lastPruneAt < PRUNE_EVERY_MS) return;
    this.lastPruneAt = now;
    const cutoff = now - this.opts.keepDays * DAY_MS;
    let removed = 0;
    for (;;) {
      const keys = await this.opts.index.arrivedBefore(cutoff, PRUNE_PAGE);
      for (const k of keys) {
        await this.queue.run(k.box, async () => {
          for (const f of [this.thumbPath(k), this.fullPath(k), `${this.fullPath(k)}.part`]) await rm(f, { force: true });
          await this.opts.index.remove(k);
        });
      }
      removed += keys.length;
      if (keys.length < PRUNE_PAGE) break;
    }
    if (removed > 0) {
      this.opts.log.info({ event: 'hub.images.pruned', pictures: removed, keepDays: this.opts.keepDays, arrivedBefore: cutoff }, `${removed} pictures removed (images.keepDays ${this.opts.keepDays})`);
    }
  }
}
