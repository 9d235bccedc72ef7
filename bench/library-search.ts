/**
 * Library search latency over 10 000 generated Chinese items (issue 13: aim p99 < 50 ms on this machine), through
 * the real LibraryStore on a real SQLite file: FTS5 trigram for words of 3+ characters, LIKE for 1–2 characters
 * (broadcast/library/search-plan.ts). The peer, measured in the same run on the same rows, is a plain LIKE scan of
 * every word (what search would be without the FTS5 index). Each query asks for the first page (50) and the total.
 * Standalone: `node dist/bench/library-search.js [items]` prints the lines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { NewLibraryItem } from '../broadcast/library/types.js';
import { foldForSearch } from '../broadcast/library/search-text.js';
import { silentLogger } from '../node-daemon/core/log.js';
import { LibraryStore } from '../node-daemon/library/library-store.js';
import { openDatabase, type Db } from '../node-daemon/storage/database.js';
import type { BenchResult } from './result.js';

const WORDS = '玉米 小麦 水稻 大豆 油菜 棉花 病虫害 防治 技术 养殖 生猪 肉牛 蛋鸡 鸭 鱼 蔬菜 大棚 施肥 灌溉 农药 价格 行情 通知 会议 培训 天气 防汛 抗旱 种植 管理 收获 储存 销售 合作社 补贴 政策 保险 机械 播种 育苗 嫁接 果树 茶叶 中药材 土壤 检测 春耕 秋收 冬季 夏季 高产 优质 绿色 有机 电商 直播 乡村 振兴'.split(' ');
const CATEGORIES = ['种植技术', '植保', '养殖', '价格', '通知', '政策', '气象'];
const QUERIES = {
  '2-char': ['玉米', '大棚', '生猪', '棉花', '育苗', '鸭', '茶叶', '电商'],
  '4-char': ['病虫害防治', '种植技术', '合作社补贴', '防汛抗旱', '绿色有机', '乡村振兴'],
  mixed: ['玉米 病虫害防治', '大豆 种植技术', '生猪 价格行情', '水稻 育苗', '果树 嫁接技术'],
} as const;

/** A small deterministic generator (no test helpers in bench/). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function fill(db: Db, items: number): LibraryStore {
  const store = new LibraryStore(db);
  const rnd = lcg(13);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const t0 = Date.UTC(2024, 0, 1);
  db.transaction(() => {
    for (let i = 0; i < items; i++) {
      const title = Array.from({ length: 3 + Math.floor(rnd() * 4) }, () => pick(WORDS)).join('');
      const sha = i.toString(16).padStart(64, '0');
      const item: NewLibraryItem = { kind: pick(['video', 'pdf', 'image', 'notice', 'price_list'] as const), title, category: pick(CATEGORIES), tags: [pick(WORDS)], date: t0 + i * 60_000, source: 'county', sourceRef: `c/${i}`, file: `content/c/${i}`, size: 1000, sha256: sha, mediaType: 'video/mp4' };
      store.add(item, t0);
    }
  })();
  return store;
}

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

function time(run: () => unknown, rounds: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = process.hrtime.bigint();
    run();
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out.sort((a, b) => a - b);
}

export async function benchLibrarySearch(items = 10_000, rounds = 30): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-bench-library-'));
  const { db } = openDatabase({ dataDir: dir, log: silentLogger() });
  try {
    const store = fill(db, items);
    // The peer: every word by LIKE over the same folded text, first page and count, no index.
    const likePage = (q: string): void => {
      const words = foldForSearch(q).split(' ');
      const where = words.map(() => "search_text LIKE ? ESCAPE '\\'").join(' AND ');
      const args = words.map((w) => `%${w}%`);
      db.prepare(`SELECT id, title FROM library_items WHERE ${where} ORDER BY item_date DESC, id DESC LIMIT 50`).all(...args);
      db.prepare(`SELECT COUNT(*) FROM library_items WHERE ${where}`).get(...args);
    };
    const results: BenchResult[] = [];
    for (const [label, queries] of Object.entries(QUERIES)) {
      const ours = time(() => queries.forEach((q) => store.search({ q, limit: 50, offset: 0 })), rounds).map((ms) => ms / queries.length);
      const peer = time(() => queries.forEach((q) => likePage(q)), rounds).map((ms) => ms / queries.length);
      const p99 = percentile(ours, 0.99);
      const peer99 = percentile(peer, 0.99);
      results.push({
        name: `library search, ${label} queries over ${items} Chinese items (p99 ms per query)`,
        ours: p99,
        peer: peer99,
        ratio: p99 / peer99,
        unit: 'ms (ours: FTS5 trigram + LIKE for short words; peer: LIKE scan of every word)',
        aim: 'p99 < 50 ms',
        note: `p50 ours ${percentile(ours, 0.5).toFixed(3)} ms, peer ${percentile(peer, 0.5).toFixed(3)} ms; ${rounds} rounds of ${queries.join('、')}`,
      });
    }
    return results;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchLibrarySearch(Number(process.argv[2] ?? 10_000))) console.log(JSON.stringify(r));
}
