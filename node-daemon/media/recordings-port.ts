import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../storage/database.js';

/** Where the recorder keeps a recording's files: `<data>/recordings/<id>/`. */
export const RECORDINGS_DIR = 'recordings';

/** A finished or running recording as the disk quota sees it. */
export interface RecordingOnDisk {
  readonly id: string;
  /** When it ended, else when it started or was planned (UTC ms): what "oldest" means. */
  readonly at: number;
  readonly pinned: boolean;
  /** Being recorded or remuxed: never evicted. */
  readonly active: boolean;
  /** Its folder, and any file of it kept outside that folder (a browser copy elsewhere). */
  readonly paths: readonly string[];
}

/** What the disk quota needs of the recorder: the list, and a way to delete one recording. */
export interface RecordingsPort {
  list(): RecordingOnDisk[];
  evict(id: string): Promise<void>;
}

const TIME_COLUMNS = ['actual_end', 'ended_at', 'end_at', 'planned_end', 'actual_start', 'started_at', 'start_at', 'planned_start', 'created_at', 'updated_at'] as const;
/** States in which a recording's files are complete and its row is settled. */
const SETTLED = new Set(['finished', 'failed', 'done', 'ended', 'complete', 'completed']);

/**
 * The recorder's `recordings` table (box migration 10, node-daemon/recording), read through the columns it has:
 * `id`, `pinned`, a state column (`state` or `status`: only settled recordings may go) and the first time column
 * found (actual end first). Until that table exists (another engineer's migration) the list is empty. Evicting a
 * recording deletes its folder (and a browser copy kept elsewhere) and then its row. When the recorder offers a
 * delete of its own (which also tells the county through the change log), compose.ts should hand the quota a port
 * that calls it instead.
 */
export class SqliteRecordings implements RecordingsPort {
  constructor(
    private readonly db: Db,
    private readonly dataDir: string,
  ) {}

  private columns(): Set<string> {
    return new Set(this.db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('recordings')").all().map((c) => c.name));
  }

  list(): RecordingOnDisk[] {
    const cols = this.columns();
    if (!cols.has('id')) return [];
    const time = TIME_COLUMNS.filter((c) => cols.has(c));
    const at = time.length === 0 ? '0' : `COALESCE(${time.join(', ')}, 0)`;
    const state = cols.has('state') ? 'state' : cols.has('status') ? 'status' : 'NULL';
    const pinned = cols.has('pinned') ? 'pinned' : '0';
    const browser = cols.has('browser_path') ? 'browser_path' : 'NULL';
    const rows = this.db
      .prepare<[], { id: string | number; at: number; state: string | null; pinned: number | null; browser: string | null }>(
        `SELECT id, ${at} AS at, ${state} AS state, ${pinned} AS pinned, ${browser} AS browser FROM recordings`,
      )
      .all();
    return rows.map((r) => {
      const dir = join(this.dataDir, RECORDINGS_DIR, String(r.id));
      return {
        id: String(r.id),
        at: Number(r.at),
        pinned: Boolean(r.pinned),
        active: r.state !== null && !SETTLED.has(r.state),
        paths: r.browser !== null && !r.browser.startsWith(dir) ? [dir, r.browser] : [dir],
      };
    });
  }

  async evict(id: string): Promise<void> {
    const rec = this.list().find((r) => r.id === id);
    if (rec === undefined) return;
    for (const p of rec.paths) await rm(p, { recursive: true, force: true });
    this.db.prepare('DELETE FROM recordings WHERE id = ?').run(id);
  }
}
