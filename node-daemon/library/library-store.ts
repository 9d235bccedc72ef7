import type { Db } from '../storage/database.js';
import { planSearch } from '../../broadcast/library/search-plan.js';
import { searchTextOf } from '../../broadcast/library/search-text.js';
import type { LibraryItem, LibraryKind, LibraryPage, LibraryQuery, LibrarySource, NewLibraryItem } from '../../broadcast/library/types.js';

interface RawItem {
  id: number;
  kind: LibraryKind;
  title: string;
  category: string;
  tags: string;
  item_date: number;
  source: LibrarySource;
  source_ref: string | null;
  file: string;
  size: number;
  sha256: string;
  media_type: string;
  added_at: number;
}

const COLUMNS = 'i.id, i.kind, i.title, i.category, i.tags, i.item_date, i.source, i.source_ref, i.file, i.size, i.sha256, i.media_type, i.added_at';

const toItem = (r: RawItem): LibraryItem => ({
  id: r.id,
  kind: r.kind,
  title: r.title,
  category: r.category,
  tags: JSON.parse(r.tags) as string[],
  date: r.item_date,
  source: r.source,
  sourceRef: r.source_ref,
  file: r.file,
  size: r.size,
  sha256: r.sha256,
  mediaType: r.media_type,
  addedAt: r.added_at,
});

const params = (item: NewLibraryItem): Record<string, string | number | null> => ({
  kind: item.kind,
  title: item.title,
  category: item.category,
  tags: JSON.stringify(item.tags),
  date: item.date,
  source: item.source,
  sourceRef: item.sourceRef,
  file: item.file,
  size: item.size,
  sha256: item.sha256,
  mediaType: item.mediaType,
  searchText: searchTextOf(item),
});

/** The library's rows (migration 12) and its search: FTS5 trigram for words of 3+ characters, LIKE for shorter ones. */
export class LibraryStore {
  constructor(private readonly db: Db) {}

  add(item: NewLibraryItem, now: number): LibraryItem {
    const id = this.db
      .prepare(
        `INSERT INTO library_items (kind, title, category, tags, item_date, source, source_ref, file, size, sha256, media_type, added_at, search_text)
         VALUES (@kind, @title, @category, @tags, @date, @source, @sourceRef, @file, @size, @sha256, @mediaType, @now, @searchText)`,
      )
      .run({ ...params(item), now }).lastInsertRowid;
    const added = this.get(Number(id));
    if (added === undefined) throw new Error(`library item ${id} vanished after insert`);
    return added;
  }

  /** Rewrites an item's fields (a county file installed again with new bytes or a new title); keeps id and addedAt. */
  update(id: number, item: NewLibraryItem): void {
    this.db
      .prepare(
        `UPDATE library_items SET kind = @kind, title = @title, category = @category, tags = @tags, item_date = @date, source = @source,
           source_ref = @sourceRef, file = @file, size = @size, sha256 = @sha256, media_type = @mediaType, search_text = @searchText
         WHERE id = @id`,
      )
      .run({ ...params(item), id });
  }

  get(id: number): LibraryItem | undefined {
    const r = this.db.prepare<[number], RawItem>(`SELECT ${COLUMNS} FROM library_items i WHERE i.id = ?`).get(id);
    return r === undefined ? undefined : toItem(r);
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM library_items WHERE id = ?').run(id).changes > 0;
  }

  /** Items holding these bytes (a duplicate import, a file still referenced). */
  bySha256(sha256: string): LibraryItem[] {
    return this.db.prepare<[string], RawItem>(`SELECT ${COLUMNS} FROM library_items i WHERE i.sha256 = ? ORDER BY i.id`).all(sha256).map(toItem);
  }

  /** How many items use the file at `file` (relative to the data dir). */
  usersOfFile(file: string): number {
    return this.db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM library_items WHERE file = ?').get(file)?.n ?? 0;
  }

  /** Every item from the county, by content path. */
  countyItems(): Map<string, LibraryItem> {
    const rows = this.db.prepare<[], RawItem>(`SELECT ${COLUMNS} FROM library_items i WHERE i.source = 'county'`).all();
    return new Map(rows.map((r) => [r.source_ref ?? '', toItem(r)]));
  }

  /** id, size, file and addedAt of every item not from the county: what the disk quota may evict. */
  evictable(): { id: number; size: number; file: string; addedAt: number; source: LibrarySource }[] {
    return this.db
      .prepare<[], { id: number; size: number; file: string; added_at: number; source: LibrarySource }>("SELECT id, size, file, added_at, source FROM library_items WHERE source <> 'county'")
      .all()
      .map((r) => ({ id: r.id, size: r.size, file: r.file, addedAt: r.added_at, source: r.source }));
  }

  /**
   * One page of items, newest first (by the item's date), and how many match. Relevance ranking is left out on
   * purpose: titles are short, and a list in date order is what people browsing farm notices and prices expect.
   */
  search(query: LibraryQuery): LibraryPage {
    const where: string[] = [];
    const args: Record<string, string | number> = {};
    if (query.q !== undefined) {
      const plan = planSearch(query.q);
      if (plan.match !== undefined) {
        where.push('i.id IN (SELECT rowid FROM library_fts WHERE library_fts MATCH @match)');
        args['match'] = plan.match;
      }
      plan.likes.forEach((like, n) => {
        where.push(`i.search_text LIKE @like${n} ESCAPE '\\'`);
        args[`like${n}`] = like;
      });
    }
    if (query.category !== undefined) {
      where.push('i.category = @category');
      args['category'] = query.category;
    }
    if (query.kind !== undefined) {
      where.push('i.kind = @kind');
      args['kind'] = query.kind;
    }
    const clause = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
    const items = this.db
      .prepare<Record<string, string | number>, RawItem>(`SELECT ${COLUMNS} FROM library_items i ${clause} ORDER BY i.item_date DESC, i.id DESC LIMIT @limit OFFSET @offset`)
      .all({ ...args, limit: query.limit, offset: query.offset })
      .map(toItem);
    const total = this.db.prepare<Record<string, string | number>, { n: number }>(`SELECT COUNT(*) AS n FROM library_items i ${clause}`).get(args)?.n ?? 0;
    return { items, total };
  }

  /** The categories in use, with how many items each has. */
  categories(): { category: string; count: number }[] {
    return this.db.prepare<[], { category: string; count: number }>('SELECT category, COUNT(*) AS count FROM library_items GROUP BY category ORDER BY category').all();
  }
}
