import { describe, expect, it } from 'vitest';
import { alarmForKey, displayTitle } from './alarm-text.js';

describe('displayTitle', () => {
  it('drops a drill\'s leading 【演练】 (the chip says it)', () => {
    expect(displayTitle({ title: '【演练】全镇 准备转移', drill: true })).toBe('全镇 准备转移');
    expect(displayTitle({ title: ' 【演练】 梅森站 立即转移', drill: true })).toBe('梅森站 立即转移');
  });
  it('keeps the mark anywhere but the start, on a real alarm, and when it is the whole title', () => {
    expect(displayTitle({ title: '全镇【演练】', drill: true })).toBe('全镇【演练】');
    expect(displayTitle({ title: '【演练】全镇 准备转移', drill: false })).toBe('【演练】全镇 准备转移');
    expect(displayTitle({ title: '【演练】', drill: true })).toBe('【演练】');
  });
});

describe('alarmForKey', () => {
  const a = (key: string, title: string, updatedAt: number) => ({ key, title, drill: false, updatedAt });
  it('finds the newest alarm with the key, undefined when none', () => {
    const list = [a('flood:mason', '梅森站 准备转移', 1), a('drill:all', '【演练】全镇', 5), a('flood:mason', '梅森站 立即转移', 9)];
    expect(alarmForKey(list, 'flood:mason')?.title).toBe('梅森站 立即转移');
    expect(alarmForKey(list, 'drill:all')?.title).toBe('【演练】全镇');
    expect(alarmForKey(list, 'flood:llano')).toBeUndefined();
  });
});
