import { afterEach, describe, expect, it } from 'vitest';
import type { LibraryImportReport } from './api.js';
import { setLang } from './i18n.js';
import { csvRows, duplicateText, importCounts, importPathProblem, importProblemText, libraryPath, viewerOf } from './library-view.js';

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
    expect(importCounts({ folder: '/media/usb', imported: [{ file: 'a.txt', id: 1, title: 'a', kind: 'notice' }], duplicates: [], corrupt: [{ file: 'b.pdf', code: 'pdf_broken', problem: 'cut' }], skipped: [] })).toEqual({ imported: 1, duplicates: 0, corrupt: 1, skipped: 0 });
    expect(importPathProblem(' ')).toBe('empty');
    expect(importPathProblem('media/usb')).toBe('relative');
    expect(importPathProblem('/media/usb/资料')).toBeUndefined();
  });
});

/** Every code of the contract: a code the daemon adds fails this object's type check until it is listed here. */
const EVERY_CODE: Record<LibraryImportReport['corrupt'][number]['code'], true> = {
  empty: true, too_large: true, too_many_files: true, unreadable: true, unsupported_type: true, unknown_type: true,
  text_too_large: true, text_not_utf8: true, pdf_broken: true, video_broken: true, video_unchecked: true,
};
const IMPORT_PROBLEM_CODES = Object.keys(EVERY_CODE);

describe('import reasons in the UI\'s language', () => {
  const inLang = (l: 'zh-CN' | 'en'): void => {
    (globalThis as { document?: unknown }).document = { documentElement: {}, title: '' };
    setLang(l);
  };
  afterEach(() => inLang('zh-CN'));

  it('says each code of the daemon in Chinese, with the English detail only where it tells more', () => {
    inLang('zh-CN');
    expect(importProblemText({ code: 'text_not_utf8', problem: 'text is not UTF-8 (save it as UTF-8)' })).toEqual({ text: '文本不是 UTF-8 编码（可能是 GBK），请另存为 UTF-8 后再导入' });
    expect(importProblemText({ code: 'pdf_broken', problem: 'PDF: no %%EOF at the end (cut short?)' })).toEqual({ text: 'PDF 不完整或已损坏（可能复制时被截断）', detail: 'PDF: no %%EOF at the end (cut short?)' });
    expect(importProblemText({ code: 'unsupported_type', problem: 'application/x-msdownload is not a library type (video, PDF, image, text)' }).text).toBe('不支持的文件类型（只能导入视频、PDF、图片和文本）');
    expect(importProblemText({ code: 'empty', problem: 'empty file' })).toEqual({ text: '空文件（0 字节）' });
    expect(importProblemText({ code: 'video_broken', problem: 'video: moov atom not found' })).toEqual({ text: '视频不完整或已损坏', detail: 'video: moov atom not found' });
  });

  it('has words for every code the daemon sends, in both languages', () => {
    for (const l of ['zh-CN', 'en'] as const) {
      inLang(l);
      for (const code of IMPORT_PROBLEM_CODES) {
        const said = importProblemText({ code, problem: 'x' }).text;
        expect(said, `${l} ${code}`).not.toBe(`lib_problem_${code}`);
        expect(said, `${l} ${code}`).not.toBe(importProblemText({ code: 'no_such_code', problem: 'x' }).text);
        if (l === 'zh-CN') expect(said, code).toMatch(/[\u4e00-\u9fff]/);
      }
    }
  });

  it('an unknown code (a newer daemon) or none says 未能导入 and keeps the daemon\'s text', () => {
    inLang('zh-CN');
    expect(importProblemText({ code: 'quantum', problem: 'something new' })).toEqual({ text: '未能导入', detail: 'something new' });
    expect(importProblemText({ problem: 'from an older daemon' })).toEqual({ text: '未能导入', detail: 'from an older daemon' });
  });

  it('names a duplicate\'s twin by its title or its file, in the UI\'s language', () => {
    inLang('zh-CN');
    expect(duplicateText({ code: 'same_as_item', sameAs: 'library item 3 「今日农产品价格」', sameAsTitle: '今日农产品价格' })).toBe('与资料库中的「今日农产品价格」相同');
    expect(duplicateText({ code: 'same_as_file', sameAs: 'a/b.mp4 on this stick', sameAsFile: 'a/b.mp4' })).toBe('与本次导入的 a/b.mp4 相同');
    expect(duplicateText({ sameAs: 'library item 3 「x」' })).toBe('与 library item 3 「x」 相同');
    inLang('en');
    expect(duplicateText({ code: 'same_as_item', sameAs: 'library item 3 「今日农产品价格」', sameAsTitle: '今日农产品价格' })).toBe('same as 「今日农产品价格」 in the library');
    expect(importProblemText({ code: 'text_not_utf8', problem: 'text is not UTF-8 (save it as UTF-8)' }).text).toMatch(/^The text is not UTF-8/);
  });
});
