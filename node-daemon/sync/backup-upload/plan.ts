/**
 * The backup uploader's decisions (docs/sync.md "Backups to the hub"), pure: which bytes go next, whether the link may
 * carry them now, what an answer of the hub means, how long to wait after a failure. The clock is passed in.
 */
import { answerText, type UploadWaitReason } from '../bulk/link-gate.js';
import type { BackupFileProgress } from '../protocol/backup-wire.js';

/** A file of the backup being sent: as the manifest lists it, and how much of it the hub acknowledged. */
export interface UploadFile {
  readonly path: string;
  readonly size: number;
  /** The hub's count of this file's bytes, from its last answer (never the box's own count). */
  readonly acked: number;
}

export interface Chunk {
  readonly path: string;
  readonly offset: number;
  readonly length: number;
}

/** The hub's progress merged over the manifest's files (a file the hub did not mention is at 0). */
export function progressFrom(manifestFiles: readonly { readonly path: string; readonly size: number }[], hub: readonly BackupFileProgress[]): UploadFile[] {
  const by = new Map(hub.map((f) => [f.path, f.received]));
  return manifestFiles.map((f) => ({ path: f.path, size: f.size, acked: Math.min(f.size, by.get(f.path) ?? 0) }));
}

/** The next chunk: the first file not wholly acknowledged, from its acknowledged offset, at most `maxBytes`. Undefined: all sent. */
export function nextChunk(files: readonly UploadFile[], maxBytes: number): Chunk | undefined {
  const f = files.find((x) => x.acked < x.size);
  if (f === undefined) return undefined;
  return { path: f.path, offset: f.acked, length: Math.max(1, Math.min(maxBytes, f.size - f.acked)) };
}

export function withAcked(files: readonly UploadFile[], path: string, acked: number): UploadFile[] {
  return files.map((f) => (f.path === path ? { ...f, acked: Math.max(0, Math.min(f.size, acked)) } : f));
}

export const totalBytes = (files: readonly UploadFile[]): number => files.reduce((n, f) => n + f.size, 0);
export const ackedBytes = (files: readonly UploadFile[]): number => files.reduce((n, f) => n + f.acked, 0);

// ---- sharing the link (bulk/link-gate.ts, shared with the picture upload) ----

export {
  CHUNK_SECONDS,
  chunkBytes,
  MAX_CHUNK_BYTES,
  MIN_CHUNK_BYTES,
  READINGS_BEHIND_MS,
  REQUEST_OVERHEAD_BYTES,
  retryDelayMs,
  UNSUPPORTED_RETRY_MS,
  uploadGate,
  type UploadGate,
  type UploadGateInput,
  type UploadWaitReason,
} from '../bulk/link-gate.js';

// ---- what an answer means ----

/** What the uploader does after an exchange. */
export type AnswerAction =
  /** Go on with the hub's acknowledged count for the file (200, or 409 with the hub's offset). */
  | { readonly kind: 'acked'; readonly received: number; readonly complete: boolean }
  /** The file failed its sha256 at the hub: it starts again from 0. */
  | { readonly kind: 'file_rejected' }
  /** Open the upload again (the hub has none for this backup). */
  | { readonly kind: 'reopen' }
  /** A hub without backup routes (an older hub): stop until a newer backup or UNSUPPORTED_RETRY_MS. */
  | { readonly kind: 'unsupported' }
  /** The hub refuses this backup for good (identity in clear, too large, malformed): no retry until the next backup. */
  | { readonly kind: 'refused'; readonly message: string }
  /** Smaller chunks (413). */
  | { readonly kind: 'shrink' }
  /** Try again after a wait (network, 5xx, 429, a refused signature or digest, an answer not signed by the county). */
  | { readonly kind: 'retry'; readonly afterMs?: number; readonly message: string };

export interface Answer {
  readonly status: number;
  readonly code?: string;
  readonly message?: string;
  readonly received?: number;
  readonly complete?: boolean;
  readonly retryAfterS?: number;
}

/** `opening`: the answer to the open request (whose 404 is an older hub's "no such route"). */
export function actionFor(a: Answer, opening: boolean): AnswerAction {
  const said = answerText(a);
  if (a.status === 200 && a.received !== undefined) return { kind: 'acked', received: a.received, complete: a.complete === true };
  if (a.status === 409 && a.code === 'offset_mismatch' && a.received !== undefined) return { kind: 'acked', received: a.received, complete: false };
  if (a.status === 422 && a.code === 'sha256_mismatch') return { kind: 'file_rejected' };
  if (a.status === 404 && a.code === 'no_upload') return { kind: 'reopen' };
  if (a.status === 404 && opening) return { kind: 'unsupported' };
  if (a.status === 413 && opening) return { kind: 'refused', message: `the hub refuses this backup: ${said}` };
  if (a.status === 413) return { kind: 'shrink' };
  if (a.status === 400 && (a.code === 'identity_in_clear' || (opening && a.code === 'bad_request'))) return { kind: 'refused', message: `the hub refuses this backup: ${said}` };
  if (a.status === 429 || a.status === 503) return { kind: 'retry', ...(a.retryAfterS === undefined ? {} : { afterMs: a.retryAfterS * 1000 }), message: `the hub is busy (${said})` };
  return { kind: 'retry', message: `the hub answered ${said}` };
}

// ---- status ----

/** The `hub` target's live state (GET /api/v1/health → backup.last.targets[] of `hub`). */
export interface HubUploadStatus {
  /** `idle`: no backup to send; `uploading`; `waiting` (see `waitingFor`); `ok`: the hub acknowledged the whole backup; `failed`: refused for good or retrying after a failure (`error`); `unsupported`: the hub has no backup route. */
  readonly state: 'idle' | 'uploading' | 'waiting' | 'ok' | 'failed' | 'unsupported';
  readonly backup?: string;
  readonly sentBytes?: number;
  readonly totalBytes?: number;
  readonly waitingFor?: UploadWaitReason;
  readonly error?: string;
  readonly completedAt?: number;
  /** Files the hub refused for their sha256 (sent again), since the box started. */
  readonly mismatches: number;
  /** Bytes of backup uploads on the wire since the box started (counted in the sync budget). */
  readonly wireBytes: number;
}
