import type { Db } from '../../storage/database.js';
import type { ContentFile } from '../protocol/order-schema.js';
import { diffManifest, type ContentRow, type ContentState, type ManifestChange } from './plan.js';

interface RawRow {
  path: string;
  sha256: string;
  size: number;
  title: string | null;
  media_type: string | null;
  state: ContentState;
  bytes_done: number;
  installed_at: number | null;
  failures: number;
  last_error: string | null;
  retry_at: number | null;
  listed_at: number;
}

const toRow = (r: RawRow): ContentRow => ({
  path: r.path,
  sha256: r.sha256,
  size: r.size,
  title: r.title,
  mediaType: r.media_type,
  state: r.state,
  bytesDone: r.bytes_done,
  installedAt: r.installed_at,
  failures: r.failures,
  lastError: r.last_error,
  retryAt: r.retry_at,
  listedAt: r.listed_at,
});

export interface ManifestInfo {
  readonly orderId: string;
  readonly issuedAt: number;
  readonly receivedAt: number;
  readonly files: number;
}

export type ApplyResult =
  | { readonly applied: true; readonly change: ManifestChange }
  | { readonly applied: false; readonly current: ManifestInfo };

/** The box's content tables (migration.ts): the manifest as the county sent it and where each file stands. */
export class ContentTable {
  constructor(private readonly db: Db) {}

  rows(): ContentRow[] {
    return this.db.prepare<[], RawRow>('SELECT * FROM content_files ORDER BY path').all().map(toRow);
  }

  manifest(): ManifestInfo | undefined {
    const r = this.db
      .prepare<[], { order_id: string; issued_at: number; received_at: number; files: number }>('SELECT order_id, issued_at, received_at, files FROM content_manifest WHERE id = 1')
      .get();
    return r === undefined ? undefined : { orderId: r.order_id, issuedAt: r.issued_at, receivedAt: r.received_at, files: r.files };
  }

  /**
   * Makes `files` the box's list, in one transaction: new or changed paths to fetch (an installed file stays on disk
   * until its successor replaces it), same bytes kept, dropped paths queued for deletion. A manifest issued before
   * the one the box holds is not applied (orders come in order; this guards a hub restored from an old backup).
   */
  applyManifest(order: { readonly id: string; readonly issuedAt: number }, files: readonly ContentFile[], now: number): ApplyResult {
    return this.db.transaction((): ApplyResult => {
      const current = this.manifest();
      if (current !== undefined && current.issuedAt > order.issuedAt) return { applied: false, current };
      const change = diffManifest(this.rows(), files);
      const upsert = this.db.prepare(
        `INSERT INTO content_files (path, sha256, size, title, media_type, state, bytes_done, listed_at)
         VALUES (@path, @sha256, @size, @title, @mediaType, 'missing', 0, @now)
         ON CONFLICT (path) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size, title = excluded.title,
           media_type = excluded.media_type, state = 'missing', bytes_done = 0, failures = 0, last_error = NULL,
           retry_at = NULL, listed_at = excluded.listed_at`,
      );
      for (const f of change.fetch) upsert.run({ path: f.path, sha256: f.sha256, size: f.size, title: f.title ?? null, mediaType: f.mediaType ?? null, now });
      const relabel = this.db.prepare('UPDATE content_files SET title = ?, media_type = ? WHERE path = ?');
      for (const f of change.keep) relabel.run(f.title ?? null, f.mediaType ?? null, f.path);
      const drop = this.db.prepare('DELETE FROM content_files WHERE path = ?');
      const queue = this.db.prepare('INSERT INTO content_removals (path, sha256, since) VALUES (?, ?, ?) ON CONFLICT (path) DO UPDATE SET sha256 = excluded.sha256');
      for (const r of change.remove) {
        drop.run(r.path);
        queue.run(r.path, r.sha256, now);
      }
      // A path listed again before its file was deleted must not be deleted now.
      const unqueue = this.db.prepare('DELETE FROM content_removals WHERE path = ?');
      for (const f of files) unqueue.run(f.path);
      this.db
        .prepare(
          `INSERT INTO content_manifest (id, order_id, issued_at, received_at, files) VALUES (1, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET order_id = excluded.order_id, issued_at = excluded.issued_at, received_at = excluded.received_at, files = excluded.files`,
        )
        .run(order.id, order.issuedAt, now, files.length);
      return { applied: true, change };
    })();
  }

  removals(): { path: string; sha256: string }[] {
    return this.db.prepare<[], { path: string; sha256: string }>('SELECT path, sha256 FROM content_removals ORDER BY path').all();
  }

  removalDone(path: string): void {
    this.db.prepare('DELETE FROM content_removals WHERE path = ?').run(path);
  }

  /** The next file to work on: one already downloading first, then missing ones, then failed ones due again. */
  next(now: number): ContentRow | undefined {
    const r = this.db
      .prepare<[number], RawRow>(
        `SELECT * FROM content_files
         WHERE state IN ('missing', 'downloading') OR (state = 'failed' AND COALESCE(retry_at, 0) <= ?)
         ORDER BY CASE state WHEN 'downloading' THEN 0 WHEN 'missing' THEN 1 ELSE 2 END, listed_at, path LIMIT 1`,
      )
      .get(now);
    return r === undefined ? undefined : toRow(r);
  }

  /** When the earliest failed file is due again. */
  nextRetryAt(): number | undefined {
    const r = this.db.prepare<[], { at: number | null }>("SELECT MIN(retry_at) AS at FROM content_files WHERE state = 'failed'").get();
    return r?.at ?? undefined;
  }

  /** The paths still waiting for the bytes `sha256`. */
  waitingFor(sha256: string): ContentRow[] {
    return this.db.prepare<[string], RawRow>("SELECT * FROM content_files WHERE sha256 = ? AND state <> 'installed' ORDER BY path").all(sha256).map(toRow);
  }

  /** Whether any path (installed or not) holds the bytes `sha256`. */
  listed(sha256: string): boolean {
    return this.db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM content_files WHERE sha256 = ?').get(sha256)?.n !== 0;
  }

  progress(sha256: string, bytesDone: number): void {
    this.db.prepare("UPDATE content_files SET state = 'downloading', bytes_done = ? WHERE sha256 = ? AND state <> 'installed'").run(bytesDone, sha256);
  }

  installed(path: string, sha256: string, now: number): void {
    this.db
      .prepare("UPDATE content_files SET state = 'installed', bytes_done = size, installed_at = ?, last_error = NULL, retry_at = NULL WHERE path = ? AND sha256 = ?")
      .run(now, path, sha256);
  }

  failed(sha256: string, error: string, retryAt: number): void {
    this.db
      .prepare("UPDATE content_files SET state = 'failed', bytes_done = 0, failures = failures + 1, last_error = ?, retry_at = ? WHERE sha256 = ? AND state <> 'installed'")
      .run(error.slice(0, 500), retryAt, sha256);
  }

  /** An installed file found gone or changed on disk: fetched again. */
  lost(path: string): void {
    this.db.prepare("UPDATE content_files SET state = 'missing', bytes_done = 0, installed_at = NULL WHERE path = ?").run(path);
  }
}
