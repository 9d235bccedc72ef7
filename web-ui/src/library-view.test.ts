import { describe, expect, it } from 'vitest';
import { csvRows, importCounts, importPathProblem, libraryPath, viewerOf } from './library-view.js';

describe('libraryPath', () => {
  it('asks for Chinese words encoded, the category, and the page', () => {
    expect(libraryPath({ q: ' 玉米 ', category: '', offset: 0 })).toBe('/library?q=%E7%8E%89%E7%B1%B3&limit=20');
    expect(libraryPath({ q: '', category: '市场行情', offset: 40 })).toBe(`/library?category=${encodeURIComponent('市场行情')}&limit=20&offset=40`);
  });
});

describe('viewerOf', () => {
  it('plays MP4, shows PDFs and images inline, reads notices and CSV price lists, offers anything else as a file', () => {
    expect(viewerOf({ kind: 'video', mediaType: 'video/mp4' })).toBe('video');
    expect(viewerOf({ kind: 'video', mediaType: 'video/mp2t' })).toBe('file');
    expect(viewerOf({ kind: 'pdf', mediaType: 'application/pdf' })).toBe('pdf');
    expect(viewerOf({ kind: 'image', mediaType: 'image/png' })).toBe('image');
    expect(viewerOf({ kind: 'notice', mediaType: 'text/plain; charset=utf-8' })).toBe('notice');
    expect(viewerOf({ kind: 'price_list', mediaType: 'text/csv; charset=utf-8' })).toBe('prices');
    expect(viewerOf({ kind: 'price_list', mediaType: 'application/vnd.price+json' })).toBe('notice');
  });
});

describe('csvRows', () => {
  it('reads quoted cells, CRLF and a byte-order mark, and drops blank lines', () => {
    expect(csvRows('\ufeff品名,单位\r\n"玉米, 黄",元/公斤\r\n\r\n"他说""好""",x\n')).toEqual([['品名', '单位'], ['玉米, 黄', '元/公斤'], ['他说"好"', 'x']]);
  });
});

describe('import helpers', () => {
  it('counts the report and refuses a path that is not absolute', () => {
    expect(importCounts({ folder: '/media/usb', imported: [{ file: 'a.txt', id: 1, title: 'a', kind: 'notice' }], duplicates: [], corrupt: [{ file: 'b.pdf', problem: 'cut' }], skipped: [] })).toEqual({ imported: 1, duplicates: 0, corrupt: 1, skipped: 0 });
    expect(importPathProblem(' ')).toBe('empty');
    expect(importPathProblem('media/usb')).toBe('relative');
    expect(importPathProblem('/media/usb/资料')).toBeUndefined();
  });
});
