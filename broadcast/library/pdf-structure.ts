/**
 * A PDF's skeleton, checked without a PDF parser: the header, the `startxref` pointer near the end, the `%%EOF`
 * marker, and that the pointer lands on a cross-reference table (`xref`) or stream (`N G obj`). A file cut short on
 * the way to a USB stick loses its tail and fails here; so does a file that is not a PDF at all. A full parse (pdf.js)
 * would be tens of megabytes of dependency for the same verdict on the files that go wrong in practice. Pure: the
 * caller reads the bytes.
 */

/** How many bytes of the head and tail the check needs. */
export const PDF_HEAD_BYTES = 1024;
export const PDF_TAIL_BYTES = 2048;

const latin1 = (b: Uint8Array): string => Array.from(b, (c) => String.fromCharCode(c)).join('');

/** The offset `startxref` points at, or a problem. */
export function pdfXrefOffset(head: Uint8Array, tail: Uint8Array, size: number): { ok: true; offset: number } | { ok: false; problem: string } {
  if (!/^%PDF-\d\.\d/.test(latin1(head.subarray(0, 16)))) return { ok: false, problem: 'no %PDF- header' };
  const end = latin1(tail);
  const eof = end.lastIndexOf('%%EOF');
  if (eof < 0) return { ok: false, problem: 'no %%EOF at the end (cut short?)' };
  const m = /startxref\s+(\d+)\s*$/.exec(end.slice(0, eof));
  if (m === null) return { ok: false, problem: 'no startxref before %%EOF' };
  const offset = Number(m[1]);
  if (!(offset > 0 && offset < size)) return { ok: false, problem: `startxref ${offset} is outside the file (${size} bytes)` };
  return { ok: true, offset };
}

/** Whether the bytes at the startxref offset open a cross-reference table or stream. */
export function isXrefStart(bytes: Uint8Array): boolean {
  const s = latin1(bytes.subarray(0, 32)).replace(/^\s+/, '');
  return s.startsWith('xref') || /^\d+\s+\d+\s+obj\b/.test(s);
}
