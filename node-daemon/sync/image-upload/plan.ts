/**
 * The picture uploader's decisions (docs/sync.md "Camera pictures to the hub"), pure: whether announcements or full
 * images may go now, which pictures form the next announcement, what the hub's answers mean. The clock is passed in.
 *
 * Announcements (a picture's metadata and thumbnail) go before any full image. An alarm's pictures' announcements may
 * pass a readings lane that is behind; the others wait like backups. A full image goes only when no announcement is
 * owed, within `fullBudgetShare` of the byte budget (bulk/link-gate.ts for the rest of the gate).
 */
import { readingsBehind, uploadGate, type UploadGate, type UploadGateInput, type UploadWaitReason } from '../bulk/link-gate.js';
import type { BudgetLimits } from '../outbox/budget.js';
import { IMAGE_BATCH_LIMIT, IMAGE_BATCH_MAX, IMAGE_CHUNK_LIMIT, IMAGE_CODES, IMAGE_FULL_LIMIT, IMAGE_THUMB_LIMIT } from '../protocol/image-wire.js';

export type ImageWaitReason = UploadWaitReason | 'budget_share';

export type ImageGate = { readonly go: true; readonly maxBytes: number | undefined } | { readonly go: false; readonly reason: ImageWaitReason };

/** The share of the budget full images may use (`sync.images.fullBudgetShare`): the limits scaled by it. */
export function sharedLimits(limits: BudgetLimits, share: number): BudgetLimits {
  const s = Math.max(0, Math.min(1, share));
  return {
    ...(limits.dailyBytes === undefined ? {} : { dailyBytes: Math.floor(limits.dailyBytes * s) }),
    ...(limits.monthlyBytes === undefined ? {} : { monthlyBytes: Math.floor(limits.monthlyBytes * s) }),
  };
}

/**
 * Whether an announcement may go, and whether only an alarm's pictures may be in it (`alarmOnly`: the readings lane is
 * behind). `alarmPictures`: whether any picture owed an announcement belongs to an alarm.
 */
export function announceGate(i: UploadGateInput, alarmPictures: boolean): (UploadGate & { readonly go: true; readonly alarmOnly: boolean }) | (UploadGate & { readonly go: false }) {
  const g = uploadGate({ ...i, imagesWaiting: false, passReadingsBehind: alarmPictures });
  if (!g.go) return g;
  return { ...g, alarmOnly: readingsBehind(i.backlog) };
}

/** Whether a full image may go: the link gate, then the budget used today and this month under `share` of the limits. */
export function fullGate(i: UploadGateInput, share: number): ImageGate {
  const g = uploadGate({ ...i, imagesWaiting: false, passReadingsBehind: false });
  if (!g.go) return g;
  const shared = uploadGate({ ...i, imagesWaiting: false, passReadingsBehind: false, limits: sharedLimits(i.limits, share) });
  if (!shared.go) return { go: false, reason: shared.reason === 'over_budget' ? 'budget_share' : shared.reason };
  return shared;
}

// ---- the announcement ----

/** Besides its thumbnail (base64), what one picture costs in the announcement: ids, time, links, sha256, JSON. */
export const ANNOUNCED_IMAGE_OVERHEAD = 512;
/** The announcement's envelope and the request's head and signed answer. */
export const ANNOUNCEMENT_OVERHEAD = 2_048;

/** A picture's bytes in the announcement's body (before compression, which the budget does not count on). */
export const announcedBytes = (thumbBytes: number): number => Math.ceil(thumbBytes / 3) * 4 + ANNOUNCED_IMAGE_OVERHEAD;

/** Why a picture cannot be announced at all, or undefined. */
export function unsendable(p: { readonly thumbBytes: number; readonly fullBytes: number }): string | undefined {
  if (p.thumbBytes <= 0) return 'its thumbnail is empty';
  if (p.thumbBytes > IMAGE_THUMB_LIMIT) return `its thumbnail (${p.thumbBytes} bytes) is larger than the hub takes (${IMAGE_THUMB_LIMIT})`;
  if (p.fullBytes <= 0) return 'its image is empty';
  if (p.fullBytes > IMAGE_FULL_LIMIT) return `its image (${p.fullBytes} bytes) is larger than the hub takes (${IMAGE_FULL_LIMIT})`;
  return undefined;
}

export interface BatchCandidate {
  readonly id: number;
  readonly linked: boolean;
  readonly thumbBytes: number;
}

/**
 * The next announcement: the owed pictures in order (an alarm's first, newest first: the store's order), only an
 * alarm's when `alarmOnly`, at most `max` (≤ IMAGE_BATCH_MAX; halved after a 413) and IMAGE_BATCH_LIMIT bytes, and
 * within `maxBytes` of budget room. `targetBytes` (about CHUNK_SECONDS at the link's measured rate, like a chunk) is
 * soft: the first picture goes whatever its size, so that a slow link still moves, one picture at a time, and no
 * announcement outlasts the request timeout. Empty: the first does not fit the budget's room.
 */
export function formBatch<T extends BatchCandidate>(
  owed: readonly T[],
  opts: { readonly alarmOnly: boolean; readonly maxBytes: number | undefined; readonly max: number; readonly targetBytes?: number },
): T[] {
  const limit = Math.min(IMAGE_BATCH_LIMIT, opts.maxBytes === undefined ? Infinity : opts.maxBytes - ANNOUNCEMENT_OVERHEAD);
  const out: T[] = [];
  let bytes = 0;
  for (const p of owed) {
    if (out.length >= Math.min(IMAGE_BATCH_MAX, Math.max(1, opts.max))) break;
    if (opts.alarmOnly && !p.linked) continue;
    const b = announcedBytes(p.thumbBytes);
    if (bytes + b > limit) break;
    if (opts.targetBytes !== undefined && out.length > 0 && bytes + b > opts.targetBytes) break;
    out.push(p);
    bytes += b;
  }
  return out;
}

// ---- the full image ----

/** The next chunk of a full image of `size` bytes the hub holds `acked` of; `unknown`: the hub's count is not known (after a restart), a small probe learns it. */
export function fullChunk(size: number, acked: number | undefined, maxBytes: number): { readonly offset: number; readonly length: number } {
  const offset = Math.max(0, Math.min(size, acked ?? 0));
  const cap = acked === undefined ? Math.min(maxBytes, PROBE_BYTES) : maxBytes;
  return { offset, length: Math.max(1, Math.min(cap, IMAGE_CHUNK_LIMIT, size - offset)) };
}

/** The first chunk of a full image whose count at the hub is not known: at most this much is sent for nothing. */
export const PROBE_BYTES = 8 * 1024;

// ---- what an answer means ----

export interface ImageAnswer {
  readonly status: number;
  readonly code?: string;
  readonly message?: string;
  readonly retryAfterS?: number;
  /** A full-image answer's count (200, and the body of a 409 / 422). */
  readonly received?: number;
  readonly complete?: boolean;
}

export type ImageAction =
  /** The announcement was taken (its answer is read by the caller). */
  | { readonly kind: 'announced' }
  /** Go on with the hub's count of the full image (200, or 409 with the hub's count). */
  | { readonly kind: 'acked'; readonly received: number; readonly complete: boolean }
  /** The full image failed its sha256 at the hub: it starts again from 0. */
  | { readonly kind: 'file_rejected' }
  /** The hub does not know the picture: it is announced again. */
  | { readonly kind: 'announce_again' }
  /** A hub without picture routes: asked again after UNSUPPORTED_RETRY_MS. */
  | { readonly kind: 'unsupported' }
  /** A smaller announcement, or smaller chunks (413; a 400 to an announcement: one picture of it is refused). */
  | { readonly kind: 'shrink' }
  | { readonly kind: 'retry'; readonly afterMs?: number; readonly message: string };

const said = (a: ImageAnswer): string => `${a.status}${a.code === undefined ? '' : ` ${a.code}`}${a.message === undefined ? '' : `: ${a.message}`}`;

function busyOrRetry(a: ImageAnswer): ImageAction {
  if (a.status === 429 || a.status === 503) return { kind: 'retry', ...(a.retryAfterS === undefined ? {} : { afterMs: a.retryAfterS * 1000 }), message: `the hub is busy (${said(a)})` };
  return { kind: 'retry', message: `the hub answered ${said(a)}` };
}

/** The answer to `POST /api/v1/sync/images`. */
export function announceActionFor(a: ImageAnswer): ImageAction {
  if (a.status === 200) return { kind: 'announced' };
  if (a.status === 404) return { kind: 'unsupported' };
  if (a.status === 413 || (a.status === 400 && a.code === 'bad_request')) return { kind: 'shrink' };
  return busyOrRetry(a);
}

/** The answer to `PUT …/full?offset=N`. */
export function chunkActionFor(a: ImageAnswer): ImageAction {
  if (a.status === 200 && a.received !== undefined) return { kind: 'acked', received: a.received, complete: a.complete === true };
  if (a.status === 409 && a.code === IMAGE_CODES.offsetMismatch && a.received !== undefined) return { kind: 'acked', received: a.received, complete: false };
  if (a.status === 422) return { kind: 'file_rejected' };
  if (a.status === 404 && a.code === IMAGE_CODES.noImage) return { kind: 'announce_again' };
  if (a.status === 404) return { kind: 'unsupported' };
  if (a.status === 413) return { kind: 'shrink' };
  return busyOrRetry(a);
}

// ---- status ----

/** `sync.images` of GET /api/v1/health. */
export interface ImagesHealth {
  /** `idle`: nothing owed (or only full images `sync.images.full` does not send); `uploading`; `waiting` (see `waitingFor`); `failed`: retrying after a failure (`lastError`); `unsupported`: the hub has no picture routes. */
  readonly state: 'idle' | 'uploading' | 'waiting' | 'failed' | 'unsupported';
  readonly waitingFor?: ImageWaitReason;
  /** Pictures whose announcement (with thumbnail) the hub is owed. */
  readonly thumbsOwed: number;
  /** Full images the hub is owed (as `sync.images.full` asks), and their bytes. */
  readonly fullOwed: number;
  readonly fullOwedBytes: number;
  /** Since the box started: pictures announced, full images completed, bytes on the wire. */
  readonly sentImages: number;
  readonly sentFull: number;
  readonly wireBytes: number;
  readonly lastError?: string;
}
