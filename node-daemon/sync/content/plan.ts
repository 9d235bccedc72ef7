/**
 * The content downloader's decisions (docs/sync.md "Content"), pure: what a new manifest changes, whether a download
 * may use the link now, how large the next piece is, when a failed file is tried again.
 */
import type { BudgetLimits } from '../outbox/budget.js';
import type { Lane } from '../outbox/lanes.js';
import type { ContentFile } from '../protocol/order-schema.js';

export const CONTENT_STATES = ['missing', 'downloading', 'installed', 'failed'] as const;
export type ContentState = (typeof CONTENT_STATES)[number];

/** A row of the box's content_files table. */
export interface ContentRow {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly title: string | null;
  readonly mediaType: string | null;
  readonly state: ContentState;
  readonly bytesDone: number;
  readonly installedAt: number | null;
  readonly failures: number;
  readonly lastError: string | null;
  readonly retryAt: number | null;
  readonly listedAt: number;
}

/** Where partial downloads live under `<data>/content/`: no manifest path may start with it. */
export const PARTIAL_DIR = '.partial';

export type ManifestCheck = { readonly ok: true } | { readonly ok: false; readonly detail: string };

/** A manifest the box can install: distinct paths, none inside another (a file cannot also be a directory), none under .partial. */
export function checkManifest(files: readonly ContentFile[]): ManifestCheck {
  const paths = new Set<string>();
  for (const f of files) {
    if (paths.has(f.path)) return { ok: false, detail: `path ${f.path} is listed twice` };
    if (f.path === PARTIAL_DIR || f.path.startsWith(`${PARTIAL_DIR}/`)) return { ok: false, detail: `path ${f.path} is under ${PARTIAL_DIR}/, which the box keeps for downloads` };
    paths.add(f.path);
  }
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i += 1) {
      const dir = parts.slice(0, i).join('/');
      if (paths.has(dir)) return { ok: false, detail: `path ${dir} is a file and also a directory of ${p}` };
    }
  }
  return { ok: true };
}

export interface ManifestChange {
  /** Paths new to the box, or whose bytes changed: to download (an installed file stays until its successor is in). */
  readonly fetch: readonly ContentFile[];
  /** Paths whose bytes are the same (title or media type may have changed). */
  readonly keep: readonly ContentFile[];
  /** Rows no longer in the manifest: their files are deleted. */
  readonly remove: readonly ContentRow[];
}

export function diffManifest(current: readonly ContentRow[], files: readonly ContentFile[]): ManifestChange {
  const byPath = new Map(current.map((r) => [r.path, r]));
  const wanted = new Set(files.map((f) => f.path));
  const fetch: ContentFile[] = [];
  const keep: ContentFile[] = [];
  for (const f of files) {
    const had = byPath.get(f.path);
    if (had !== undefined && had.sha256 === f.sha256 && had.size === f.size) keep.push(f);
    else fetch.push(f);
  }
  return { fetch, keep, remove: current.filter((r) => !wanted.has(r.path)) };
}

// ---- sharing the link ----

/** Readings older than this waiting in the push lane mean the push loop is behind: content waits for it. */
export const READINGS_BEHIND_MS = 5 * 60_000;
/** What a content request costs besides its body (request line and fields, answer's status line and fields). */
export const REQUEST_OVERHEAD_BYTES = 2_048;
/** The smallest piece asked for (less budget than this left: content waits for the next day or month). */
export const MIN_PIECE_BYTES = 16 * 1024;
/** The largest piece asked for in one request. */
export const MAX_PIECE_BYTES = 8 * 1024 * 1024;
/** A piece is sized to take about this long at the rate the last one came at. */
export const PIECE_SECONDS = 10;

export type WaitReason = 'alarms_waiting' | 'health_waiting' | 'readings_behind' | 'over_budget';

export type Gate = { readonly go: true; readonly maxBytes: number | undefined } | { readonly go: false; readonly reason: WaitReason };

export interface GateInput {
  readonly backlog: Readonly<Record<Lane, { readonly records: number; readonly oldestAgeMs: number | null }>>;
  readonly budget: { readonly dayBytes: number; readonly monthBytes: number };
  readonly limits: BudgetLimits;
}

/**
 * Content is bulk: it goes only when the push loop has nothing more urgent (no alarm or health record waiting, the
 * readings lane not behind), and only within the byte budget: `maxBytes` is what the budget has left for a piece's
 * body (undefined: no budget set). Alarms still go over budget; content never does.
 */
export function contentGate(i: GateInput): Gate {
  if (i.backlog.alarm.records > 0) return { go: false, reason: 'alarms_waiting' };
  if (i.backlog.health.records > 0) return { go: false, reason: 'health_waiting' };
  if ((i.backlog.readings.oldestAgeMs ?? 0) > READINGS_BEHIND_MS) return { go: false, reason: 'readings_behind' };
  const left = [
    i.limits.dailyBytes === undefined ? Infinity : i.limits.dailyBytes - i.budget.dayBytes,
    i.limits.monthlyBytes === undefined ? Infinity : i.limits.monthlyBytes - i.budget.monthBytes,
  ];
  const room = Math.min(...left);
  if (room === Infinity) return { go: true, maxBytes: undefined };
  const body = Math.floor(room - REQUEST_OVERHEAD_BYTES);
  if (body < MIN_PIECE_BYTES) return { go: false, reason: 'over_budget' };
  return { go: true, maxBytes: body };
}

/** The next piece: about PIECE_SECONDS at the last measured rate, within the budget's room and what is left of the file. */
export function pieceBytes(opts: { readonly remaining: number; readonly rateBytesPerS: number | undefined; readonly maxBytes: number | undefined }): number {
  const byRate = opts.rateBytesPerS === undefined ? MIN_PIECE_BYTES * 4 : Math.round(opts.rateBytesPerS * PIECE_SECONDS);
  const size = Math.min(MAX_PIECE_BYTES, Math.max(MIN_PIECE_BYTES, byRate), opts.maxBytes ?? Infinity, opts.remaining);
  return Math.max(1, size);
}

/** When a failed file is tried again: 30 s after the first failure, doubling, at most an hour. */
export function retryDelayMs(failures: number): number {
  return Math.min(3_600_000, 30_000 * 2 ** Math.max(0, Math.min(failures - 1, 10)));
}

// ---- `sync.content` of GET /api/v1/health ----

export interface ContentCurrent {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly bytesDone: number;
}

export interface ContentHealth {
  /** `idle`: everything listed is installed; `downloading`; `waiting`: for the link (see `waitingFor`); `retrying`: only failed files are left, waiting for their retry. */
  readonly state: 'idle' | 'downloading' | 'waiting' | 'retrying';
  readonly waitingFor?: WaitReason;
  readonly files: number;
  readonly installed: number;
  readonly failed: number;
  readonly bytesListed: number;
  readonly bytesInstalled: number;
  readonly current?: ContentCurrent;
  /** Downloads whose bytes did not match the manifest's sha256 (discarded, fetched again), since the box started. */
  readonly mismatches: number;
  /** Bytes of content on the wire since the box started (counted in the sync budget). */
  readonly wireBytes: number;
  readonly lastError?: { readonly ts: number; readonly message: string };
  /** The order the list came from. */
  readonly manifest?: { readonly orderId: string; readonly issuedAt: number; readonly receivedAt: number };
}
