import { describe, expect, it } from 'vitest';
import { categoryOfPath, extensionOf, kindOfMediaType, textKindOfName, titleOfName } from './kinds.js';

describe('library kinds from media types, names and paths', () => {
  it('maps media types to kinds', () => {
    expect(kindOfMediaType('video/mp4')).toBe('video');
    expect(kindOfMediaType('video/mp2t')).toBe('video');
    expect(kindOfMediaType('application/pdf')).toBe('pdf');
    expect(kindOfMediaType('image/jpeg')).toBe('image');
    expect(kindOfMediaType('text/csv; charset=utf-8')).toBe('price_list');
    expect(kindOfMediaType('application/vnd.fenghuo.price-list+json')).toBe('price_list');
    expect(kindOfMediaType('text/plain')).toBe('notice');
    expect(kindOfMediaType('application/zip')).toBeUndefined();
    expect(kindOfMediaType(null)).toBeUndefined();
  });

  it('text files are known by extension only', () => {
    expect(textKindOfName('价格/玉米.CSV')).toEqual({ kind: 'price_list', mediaType: 'text/csv; charset=utf-8' });
    expect(textKindOfName('通知.txt')?.kind).toBe('notice');
    expect(textKindOfName('视频.mp4')).toBeUndefined();
    expect(extensionOf('.hidden')).toBe('');
  });

  it('title is the file name without extension; category is the first folder', () => {
    expect(titleOfName('种植技术/玉米病虫害防治.mp4')).toBe('玉米病虫害防治');
    expect(titleOfName('README')).toBe('README');
    expect(categoryOfPath('种植技术/春播/玉米.mp4')).toBe('种植技术');
    expect(categoryOfPath('玉米.mp4')).toBe('');
  });
});
