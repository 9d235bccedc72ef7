import type { SqlPort, SqlRow } from '../store/sql-port.js';

/** One publication of a file (hub_content_files, migration.ts). */
export interface PublishedFile {
  readonly id: number;
  readonly sha256: string;
  readonly size: number;
  /** Where it goes under a box's `<data>/content/`. */
  readonly path: string;
  readonly title: string | null;
  readonly mediaType: string | null;
  /** The boxes it is for; null: every box of the county. */
  readonly to: readonly string[] | null;
  readonly publishedAt: number;
  /** Who published it (an account, `token:<name>`, or `cli:<user>`). */
  readonly by: string;
  readonly withdrawnAt: number | null;
}

export interface NewPublication {
  readonly sha256: string;
  readonly size: number;
  readonly path: string;
  readonly title?: string;
  readonly mediaType?: string;
  readonly to?: readonly string[];
  readonly by: string;
}

const COLUMNS = 'id, sha256, size, path, title, media_type, to_boxes, published_at, by_name, withdrawn_at';
const num = (v: unknown): number => Number(v);
const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toFile(row: SqlRow): PublishedFile {
  const to = row.to_boxes === null || row.to_boxes === undefined ? null : (JSON.parse(String(row.to_boxes)) as string[]);
  return {
    id: num(row.id),
    sha256: String(row.sha256),
    size: num(row.size),
    path: String(row.path),
    title: textOrNull(row.title),
    mediaType: textOrNull(row.media_type),
    to,
    publishedAt: num(row.published_at),
    by: String(row.by_name),
    withdrawnAt: row.withdrawn_at === null || row.withdrawn_at === undefined ? null : num(row.withdrawn_at),
  };
}

/**
 * The hub's table of published content, through the plain-SQL port (the same statements on SQLite and PostgreSQL).
 * A path has at most one current publication (a unique index over the rows not withdrawn): publishing to a path
 * withdraws what was there in the same transaction.
 */
export class HubContentStore {
  constructor(private readonly sql: SqlPort) {}

  /** Stores a publication; resolves to it and to the one it replaced at that path, if any. */
  async publish(f: NewPublication, now: number): Promise<{ readonly file: PublishedFile; readonly replaced: PublishedFile | undefined }> {
    const [replaced, inserted] = await this.sql.batch([
      { sql: `UPDATE hub_content_files SET withdrawn_at = $1 WHERE path = $2 AND withdrawn_at IS NULL RETURNING ${COLUMNS}`, args: [now, f.path] },
      {
        sql: `INSERT INTO hub_content_files (sha256, size, path, title, media_type, to_boxes, published_at, by_name)
              VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
        args: [f.sha256, f.size, f.path, f.title ?? null, f.mediaType ?? null, f.to === undefined ? null : JSON.stringify([...f.to].sort()), now, f.by],
      },
    ]);
    const row = inserted?.[0];
    if (row === undefined) throw new Error('hub content: the insert returned no row');
    const old = replaced?.[0];
    return { file: toFile(row), replaced: old === undefined ? undefined : toFile(old) };
  }

  /** Withdraws the current publication at `path`; undefined when there is none. */
  async withdraw(path: string, now: number): Promise<PublishedFile | undefined> {
    const rows = await this.sql.all(`UPDATE hub_content_files SET withdrawn_at = $1 WHERE path = $2 AND withdrawn_at IS NULL RETURNING ${COLUMNS}`, [now, path]);
    const row = rows[0];
    return row === undefined ? undefined : toFile(row);
  }

  /** Every current publication, by path. */
  async current(): Promise<PublishedFile[]> {
    const rows = await this.sql.all(`SELECT ${COLUMNS} FROM hub_content_files WHERE withdrawn_at IS NULL ORDER BY path`);
    return rows.map(toFile);
  }

  /**
   * Whether `boxId` may fetch the bytes `sha256`: some publication of them (current or withdrawn: a box may still be
   * finishing a file the county has since replaced) is for every box or names this one.
   */
  async mayFetch(sha256: string, boxId: string): Promise<boolean> {
    const rows = await this.sql.all(`SELECT to_boxes FROM hub_content_files WHERE sha256 = $1`, [sha256]);
    return rows.some((r) => r.to_boxes === null || r.to_boxes === undefined || (JSON.parse(String(r.to_boxes)) as string[]).includes(boxId));
  }
}
