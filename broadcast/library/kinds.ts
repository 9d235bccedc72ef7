import type { LibraryKind } from './types.js';

/**
 * What kind of item a file is, from its media type (the county manifest's `mediaType`, or the type sniffed from the
 * file's first bytes), with the file name's extension as the last resort for plain text, which has no magic bytes.
 * A price list is a CSV (or a media type naming one); other text is a notice.
 */
export function kindOfMediaType(mediaType: string | null | undefined): LibraryKind | undefined {
  const mt = (mediaType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (mt.startsWith('video/')) return 'video';
  if (mt === 'application/pdf') return 'pdf';
  if (mt.startsWith('image/')) return 'image';
  if (mt === 'text/csv' || mt.includes('price')) return 'price_list';
  if (mt.startsWith('text/')) return 'notice';
  return undefined;
}

const TEXT_EXTENSIONS: Readonly<Record<string, { readonly kind: LibraryKind; readonly mediaType: string }>> = {
  txt: { kind: 'notice', mediaType: 'text/plain; charset=utf-8' },
  md: { kind: 'notice', mediaType: 'text/markdown; charset=utf-8' },
  csv: { kind: 'price_list', mediaType: 'text/csv; charset=utf-8' },
};

export const extensionOf = (name: string): string => {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase();
};

/** A text file's kind and media type from its extension (text has no magic bytes); undefined for any other. */
export function textKindOfName(name: string): { readonly kind: LibraryKind; readonly mediaType: string } | undefined {
  return TEXT_EXTENSIONS[extensionOf(name)];
}

/** The title a file gets when nothing names it: its name without folder or extension. */
export function titleOfName(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? base : base.slice(0, dot);
}

/** The category of a file at `path` (relative, `/`-separated): its first folder, '' for a file at the top. */
export function categoryOfPath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '');
  return parts.length > 1 ? (parts[0] ?? '') : '';
}
