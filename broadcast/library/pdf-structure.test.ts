import { describe, expect, it } from 'vitest';
import { isXrefStart, pdfXrefOffset } from './pdf-structure.js';

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('PDF skeleton check', () => {
  const body = '%PDF-1.4\n1 0 obj\n<<>>\nendobj\n';
  const xrefAt = body.length;
  const whole = `${body}xref\n0 1\n0000000000 65535 f \ntrailer\n<<>>\nstartxref\n${xrefAt}\n%%EOF\n`;

  it('a whole file passes and points at its xref table', () => {
    const r = pdfXrefOffset(bytes(whole), bytes(whole), whole.length);
    expect(r).toEqual({ ok: true, offset: xrefAt });
    expect(isXrefStart(bytes(whole.slice(xrefAt)))).toBe(true);
    expect(isXrefStart(bytes('\n12 0 obj <</Type /XRef>>'))).toBe(true);
  });

  it('a file cut short, one without a header, or a pointer past the end fail with the reason', () => {
    const cut = whole.slice(0, 40);
    expect(pdfXrefOffset(bytes(cut), bytes(cut), cut.length)).toEqual({ ok: false, problem: 'no %%EOF at the end (cut short?)' });
    expect(pdfXrefOffset(bytes('GIF89a'), bytes(whole), whole.length)).toEqual({ ok: false, problem: 'no %PDF- header' });
    const far = whole.replace(`startxref\n${xrefAt}`, 'startxref\n99999');
    expect(pdfXrefOffset(bytes(far), bytes(far), far.length)).toMatchObject({ ok: false });
    expect(isXrefStart(bytes('stream garbage'))).toBe(false);
  });
});
