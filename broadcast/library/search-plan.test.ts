import { describe, expect, it } from 'vitest';
import { planSearch } from './search-plan.js';
import { foldForSearch, searchTextOf } from './search-text.js';

describe('planSearch: FTS5 trigram for words of three characters or more, LIKE for shorter ones', () => {
  it('a two-character word and a one-character word go to LIKE (trigram cannot see them)', () => {
    expect(planSearch('玉米')).toEqual({ likes: ['%玉米%'] });
    expect(planSearch('鸡')).toEqual({ likes: ['%鸡%'] });
  });

  it('a four- or five-character phrase goes to FTS5 as a quoted phrase', () => {
    expect(planSearch('病虫害防治')).toEqual({ match: '"病虫害防治"', likes: [] });
    expect(planSearch('合作社')).toEqual({ match: '"合作社"', likes: [] });
  });

  it('a mixed query uses both, every word required, repeated words once', () => {
    expect(planSearch(' 玉米  病虫害防治 玉米 ')).toEqual({ match: '"病虫害防治"', likes: ['%玉米%'] });
    expect(planSearch('玉米价格 大豆 行情走势')).toEqual({ match: '"玉米价格" AND "行情走势"', likes: ['%大豆%'] });
  });

  it('full-width and upper-case text is folded the way items are', () => {
    expect(planSearch('ＰＤＦ')).toEqual({ match: '"pdf"', likes: [] });
    expect(foldForSearch('２０２４年　玉米')).toBe('2024年 玉米');
    expect(searchTextOf({ title: '玉米 种植', category: '种植技术', tags: ['春播', 'ABC'] })).toBe('玉米 种植 种植技术 春播 abc');
  });

  it('quotes in FTS words and LIKE wildcards in short words are escaped, not interpreted', () => {
    expect(planSearch('a"b"c')).toEqual({ match: '"a""b""c"', likes: [] });
    expect(planSearch('5% _x')).toEqual({ likes: ['%5\\%%', '%\\_x%'] });
  });

  it('an empty or blank query searches nothing', () => {
    expect(planSearch('   ')).toEqual({ likes: [] });
  });
});
