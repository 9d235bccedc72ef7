import { foldForSearch } from './search-text.js';

/**
 * How a query is answered. SQLite's FTS5 `trigram` tokenizer indexes every three characters, so it finds any
 * substring of three characters or more (「病虫害防治」, 「合作社」) through its index, but nothing shorter: a word of
 * one or two characters (「玉米」, 「鸡」), which is most Chinese words, needs another way. Those go to a LIKE
 * '%word%' over the items' folded search text. Measured on this machine (bench/library-search.ts): a LIKE scan of
 * 10 000 items costs under 1 ms, while a bigram side table that would answer from an index would hold about 24 rows
 * per item for a saving of well under a millisecond; so the plain scan, with the trigram index for longer words.
 * A query of several words (split on spaces) must match all of them: the long ones through FTS5, the short ones by
 * LIKE over what FTS5 left.
 */
export interface SearchPlan {
  /** An FTS5 MATCH expression: every long word as a quoted phrase, all required. Absent when no word is long. */
  readonly match?: string;
  /** LIKE patterns (escape character `\`), one per short word, all required. */
  readonly likes: readonly string[];
}

/** The trigram tokenizer's shortest searchable text. */
export const TRIGRAM_MIN_CHARS = 3;

/** Characters as people count them (a CJK character outside the BMP is one, not two UTF-16 units). */
export const charCount = (s: string): number => [...s].length;

export function planSearch(q: string): SearchPlan {
  const words = [...new Set(foldForSearch(q).split(' ').filter((w) => w !== ''))];
  const long = words.filter((w) => charCount(w) >= TRIGRAM_MIN_CHARS);
  const short = words.filter((w) => charCount(w) < TRIGRAM_MIN_CHARS);
  return {
    ...(long.length === 0 ? {} : { match: long.map((w) => `"${w.replaceAll('"', '""')}"`).join(' AND ') }),
    likes: short.map((w) => `%${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`),
  };
}
