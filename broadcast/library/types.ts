/**
 * The farm-content library's shapes: what an item is, where it came from, and what a search asks. Pure; the daemon
 * stores items in SQLite (node-daemon/library) and serves them over HTTP.
 */

export const LIBRARY_KINDS = ['video', 'pdf', 'image', 'notice', 'price_list'] as const;
/** 视频, PDF 资料, 图片, 通知, 价格表. */
export type LibraryKind = (typeof LIBRARY_KINDS)[number];

export const LIBRARY_SOURCES = ['county', 'usb', 'operator'] as const;
/** county: installed by the county sync from its content manifest; usb: imported from a USB stick; operator: added by hand. */
export type LibrarySource = (typeof LIBRARY_SOURCES)[number];

export interface LibraryItem {
  readonly id: number;
  readonly kind: LibraryKind;
  readonly title: string;
  /** Free text, e.g. 种植技术; '' when none. */
  readonly category: string;
  readonly tags: readonly string[];
  /** The item's own date (UTC ms): installed for county content, the file's modification time for an import. */
  readonly date: number;
  readonly source: LibrarySource;
  /** county: the content path (under `<data>/content/`); usb: the file's path relative to the imported folder. */
  readonly sourceRef: string | null;
  /** Relative to the data dir, `/`-separated: `content/<path>` or `library/<sha256>.<ext>`. */
  readonly file: string;
  readonly size: number;
  readonly sha256: string;
  readonly mediaType: string;
  /** When the box added it (UTC ms). */
  readonly addedAt: number;
}

/** A new item, as the store takes it (the id and addedAt are the store's). */
export type NewLibraryItem = Omit<LibraryItem, 'id' | 'addedAt'>;

export interface LibraryQuery {
  /** Free text; words separated by spaces must all match (title, category or tags). */
  readonly q?: string;
  readonly category?: string;
  readonly kind?: LibraryKind;
  readonly limit: number;
  readonly offset: number;
}

export interface LibraryPage {
  readonly items: readonly LibraryItem[];
  /** Items matching, all pages together. */
  readonly total: number;
}

/**
 * Why a file of a USB import was not imported, as a stable machine code beside the English `problem` (which says the
 * detail, e.g. ffmpeg's own words): the UI says the code in its own language and shows the detail beneath.
 */
export const IMPORT_PROBLEM_CODES = [
  /** A file of 0 bytes. */
  'empty',
  /** Larger than library.maxImportFileBytes. */
  'too_large',
  /** Past the number of files one import walks. */
  'too_many_files',
  /** Could not be read or copied (a stick pulled out, an I/O error). */
  'unreadable',
  /** Its bytes say a type the library does not keep (an .exe, a .zip). */
  'unsupported_type',
  /** No known magic bytes and not .txt/.md/.csv. */
  'unknown_type',
  /** Plain text larger than the library takes. */
  'text_too_large',
  /** Plain text that is not UTF-8 (most often GBK from a Windows PC). */
  'text_not_utf8',
  /** A PDF without its header, its end or a valid cross-reference pointer: cut short or not a PDF. */
  'pdf_broken',
  /** A video ffmpeg cannot read to its end (a cut file, a missing moov atom, broken packets). */
  'video_broken',
  /** The video could not be checked (ffmpeg missing or the check timed out). */
  'video_unchecked',
] as const;
export type ImportProblemCode = (typeof IMPORT_PROBLEM_CODES)[number];

/** Whose bytes a duplicate has: an item already in the library, or another file of the same import. */
export const IMPORT_DUPLICATE_CODES = ['same_as_item', 'same_as_file'] as const;
export type ImportDuplicateCode = (typeof IMPORT_DUPLICATE_CODES)[number];
