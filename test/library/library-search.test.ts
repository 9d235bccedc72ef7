import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewLibraryItem } from '../../broadcast/library/types.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { CountyLibrary } from '../../node-daemon/library/county-items.js';
import { LibraryStore } from '../../node-daemon/library/library-store.js';
import { openDatabase, type Db } from '../../node-daemon/storage/database.js';
import { ContentTable } from '../../node-daemon/sync/content/content-table.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function freshDb(): { db: Db; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-library-'));
  const { db } = openDatabase({ dataDir: dir, log: silentLogger() });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => db.close());
  return { db, dir };
}

const T0 = Date.UTC(2025, 3, 1);
let n = 0;
function item(title: string, extra: Partial<NewLibraryItem> = {}): NewLibraryItem {
  n++;
  return { kind: 'video', title, category: '种植技术', tags: [], date: T0 + n * 60_000, source: 'usb', sourceRef: `${title}.mp4`, file: `library/${String(n).padStart(64, '0')}.mp4`, size: 100, sha256: String(n).padStart(64, '0'), mediaType: 'video/mp4', ...extra };
}

describe('library search on real SQLite FTS5 (trigram) with the short-word fallback', () => {
  it('finds items by a two-character word, a four/five-character phrase and one character, among others', () => {
    const { db } = freshDb();
    const store = new LibraryStore(db);
    const corn = store.add(item('玉米春播栽培技术'), T0);
    const pests = store.add(item('水稻病虫害防治要点', { kind: 'pdf', mediaType: 'application/pdf', category: '植保' }), T0);
    const cornPests = store.add(item('夏玉米病虫害防治', { category: '植保' }), T0);
    const chicken = store.add(item('林下养鸡', { category: '养殖', tags: ['散养'] }), T0);
    const prices = store.add(item('本周农资价格', { kind: 'price_list', mediaType: 'text/csv', category: '价格' }), T0);
    // Others that must not match any query below.
    for (const t of ['小麦冬季管理', '大豆高产种植', '生猪疫病预防', '蔬菜大棚施肥', '果树嫁接育苗']) store.add(item(t), T0);

    const ids = (q: string, extra: { category?: string; kind?: 'pdf' } = {}): number[] => store.search({ q, ...extra, limit: 50, offset: 0 }).items.map((i) => i.id);

    // 玉米: two characters, below the trigram's reach: LIKE. Newest first.
    expect(ids('玉米')).toEqual([cornPests.id, corn.id]);
    // 病虫害防治: five characters through the FTS5 index; 病虫害 (3) too.
    expect(ids('病虫害防治')).toEqual([cornPests.id, pests.id]);
    expect(ids('虫害防治')).toEqual([cornPests.id, pests.id]);
    // One character.
    expect(ids('鸡')).toEqual([chicken.id]);
    // Tags and category are searched too.
    expect(ids('散养')).toEqual([chicken.id]);
    expect(ids('价格')).toEqual([prices.id]);
    // Mixed: every word must match.
    expect(ids('玉米 病虫害防治')).toEqual([cornPests.id]);
    expect(ids('病虫害防治', { kind: 'pdf' })).toEqual([pests.id]);
    expect(ids('病虫害', { category: '植保' })).toEqual([cornPests.id, pests.id]);
    // Nothing.
    expect(ids('棉花')).toEqual([]);
    expect(ids('棉花种植技术')).toEqual([]);
    // Paging and total.
    const page = store.search({ limit: 3, offset: 3 });
    expect(page.total).toBe(10);
    expect(page.items).toHaveLength(3);
  });

  it('the FTS index follows updates and deletes (triggers)', () => {
    const { db } = freshDb();
    const store = new LibraryStore(db);
    const a = store.add(item('棉花打顶技术'), T0);
    expect(store.search({ q: '打顶技术', limit: 10, offset: 0 }).total).toBe(1);
    store.update(a.id, item('棉花整枝技术'));
    expect(store.search({ q: '打顶技术', limit: 10, offset: 0 }).total).toBe(0);
    expect(store.search({ q: '整枝技术', limit: 10, offset: 0 }).items.map((i) => i.id)).toEqual([a.id]);
    store.delete(a.id);
    expect(store.search({ q: '整枝技术', limit: 10, offset: 0 }).total).toBe(0);
    expect(db.prepare("SELECT COUNT(*) AS n FROM library_fts WHERE library_fts MATCH '\"整枝\"'").get()).toEqual({ n: 0 });
  });
});

describe('county content becomes library items as the sync installs it', () => {
  it('adds installed files (title, kind from the media type, category from the first folder), updates a new version, drops a withdrawn one', async () => {
    const { db, dir } = freshDb();
    const content = new ContentTable(db);
    const store = new LibraryStore(db);
    const county = new CountyLibrary({ store, content, dataDir: dir, clock: () => T0, log: silentLogger(), pollMs: 60_000 });
    const file = (path: string, text: string): { path: string; sha256: string; size: number } => {
      const full = join(dir, 'content', ...path.split('/'));
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, text);
      return { path, sha256: createHash('sha256').update(text).digest('hex'), size: Buffer.byteLength(text) };
    };
    const notice = file('通知/防汛值班安排.txt', '今晚全镇防汛值班。');
    const prices = file('价格/本周玉米收购价.csv', '品种,价格\n玉米,2.30\n');
    const loose = file('readme.bin', 'no type');
    content.applyManifest({ id: 'o1', issuedAt: T0 }, [{ ...notice, title: '防汛值班安排', mediaType: 'text/plain' }, { ...prices, mediaType: 'text/csv' }, loose], T0);
    // Listed but not installed yet: not in the library.
    expect(await county.reconcile()).toEqual({ added: 0, updated: 0, removed: 0 });
    for (const f of [notice, prices, loose]) content.installed(f.path, f.sha256, T0 + 1000);
    expect(await county.reconcile()).toEqual({ added: 2, updated: 0, removed: 0 });
    const found = store.search({ q: '玉米', limit: 10, offset: 0 }).items;
    expect(found).toMatchObject([{ title: '本周玉米收购价', kind: 'price_list', category: '价格', source: 'county', file: `content/${prices.path}`, sha256: prices.sha256, date: T0 + 1000 }]);
    expect(store.search({ q: '防汛值班', limit: 10, offset: 0 }).items).toMatchObject([{ kind: 'notice', category: '通知' }]);
    // Unchanged: nothing to do.
    expect(await county.reconcile()).toEqual({ added: 0, updated: 0, removed: 0 });

    // A new version of the price list, and the notice withdrawn.
    const prices2 = file('价格/本周玉米收购价.csv', '品种,价格\n玉米,2.35\n');
    content.applyManifest({ id: 'o2', issuedAt: T0 + 10 }, [{ ...prices2, title: '本周玉米收购价（更新）', mediaType: 'text/csv' }, loose], T0 + 10);
    content.installed(prices2.path, prices2.sha256, T0 + 2000);
    expect(await county.reconcile()).toEqual({ added: 0, updated: 1, removed: 1 });
    expect(store.search({ q: '玉米', limit: 10, offset: 0 }).items).toMatchObject([{ id: found[0]?.id, title: '本周玉米收购价（更新）', sha256: prices2.sha256 }]);
    expect(store.search({ q: '防汛值班', limit: 10, offset: 0 }).total).toBe(0);
  });
});
