import type { LibraryImportReport, LibraryItem } from './api.js';
import { t, tk } from './i18n.js';

/**
 * The 资料 page's pure parts: the search request, how an item is shown (a video plays, a PDF and an image show inline,
 * a notice's text and a price list's table are read from the file), a price list's rows, and the counts of an import.
 */

export const PAGE_SIZE = 20;

export interface LibraryFilter {
  readonly q: string;
  /** '' for every category. */
  readonly category: string;
  readonly offset: number;
}

/** `/library?q=…&category=…&limit=…&offset=…` (empty fields left out). */
export function libraryPath(f: LibraryFilter): string {
  const parts: string[] = [];
  const q = f.q.trim();
  if (q !== '') parts.push(`q=${encodeURIComponent(q)}`);
  if (f.category !== '') parts.push(`category=${encodeURIComponent(f.category)}`);
  parts.push(`limit=${PAGE_SIZE}`);
  if (f.offset > 0) parts.push(`offset=${f.offset}`);
  return `/library?${parts.join('&')}`;
}

export type Viewer = 'video' | 'pdf' | 'image' | 'notice' | 'prices' | 'file';

/** How the page shows an item. A video the browser cannot play (not MP4/WebM) is offered as a file. */
export function viewerOf(item: Pick<LibraryItem, 'kind' | 'mediaType'>): Viewer {
  const mt = item.mediaType.split(';')[0]!.trim().toLowerCase();
  switch (item.kind) {
    case 'video':
      return mt === 'video/mp4' || mt === 'video/webm' || mt === 'video/ogg' ? 'video' : 'file';
    case 'pdf':
      return 'pdf';
    case 'image':
      return 'image';
    case 'notice':
      return 'notice';
    case 'price_list':
      return mt === 'text/csv' ? 'prices' : 'notice';
  }
  return 'file';
}

/** The rows of a CSV price list (RFC 4180 quotes understood; blank lines dropped). */
export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      row.push(cell);
      if (row.some((x) => x.trim() !== '')) rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  row.push(cell);
  if (row.some((x) => x.trim() !== '')) rows.push(row);
  return rows;
}

export interface ImportCounts {
  readonly imported: number;
  readonly duplicates: number;
  readonly corrupt: number;
  readonly skipped: number;
}

export function importCounts(r: LibraryImportReport): ImportCounts {
  return { imported: r.imported.length, duplicates: r.duplicates.length, corrupt: r.corrupt.length, skipped: r.skipped.length };
}

/** What the UI refuses before asking the box: the path must be absolute (a folder on the mounted stick). */
export function importPathProblem(path: string): 'empty' | 'relative' | undefined {
  const p = path.trim();
  if (p === '') return 'empty';
  return p.charAt(0) === '/' ? undefined : 'relative';
}

type FileProblem = LibraryImportReport['corrupt'][number];
type Duplicate = LibraryImportReport['duplicates'][number];

/** What the UI says for a file not imported: its own words for the code, and the daemon's English detail when it adds something. */
export interface ReasonText {
  readonly text: string;
  /** The daemon's `problem` (English), shown small beneath; absent when the text says it all. */
  readonly detail?: string;
}

/** Codes whose English detail tells more than the UI's words (which file type, which size, ffmpeg's own error). */
const DETAIL_WORTH_SHOWING: readonly string[] = ['too_large', 'unreadable', 'unsupported_type', 'pdf_broken', 'video_broken', 'video_unchecked'];

/**
 * Why a file of a USB import was not imported, in the UI's language, from the report's stable `code`. A code this UI
 * does not know (a newer daemon) says 未能导入 with the daemon's English text as the detail, never a blank.
 */
export function importProblemText(p: Pick<FileProblem, 'problem'> & { readonly code?: string }): ReasonText {
  const key = `lib_problem_${p.code !== undefined ? p.code : ''}`;
  const known = p.code !== undefined && tk(key) !== key;
  if (!known) return p.problem !== '' ? { text: t('lib_problem_other'), detail: p.problem } : { text: t('lib_problem_other') };
  return DETAIL_WORTH_SHOWING.indexOf(p.code!) >= 0 && p.problem !== '' ? { text: tk(key), detail: p.problem } : { text: tk(key) };
}

/** Whose bytes a duplicate has, in the UI's language: the library item by its title, or the other file of the stick. */
export function duplicateText(d: Pick<Duplicate, 'sameAs'> & Partial<Pick<Duplicate, 'code' | 'sameAsTitle' | 'sameAsFile'>>): string {
  if (d.code === 'same_as_item' && d.sameAsTitle !== undefined) return t('lib_sameAsItem', { title: d.sameAsTitle });
  if (d.code === 'same_as_file' && d.sameAsFile !== undefined) return t('lib_sameAsFile', { file: d.sameAsFile });
  return t('lib_sameAs', { sameAs: d.sameAs });
}
