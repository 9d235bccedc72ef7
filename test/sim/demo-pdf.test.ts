import { describe, expect, it } from 'vitest';
import { isXrefStart, pdfXrefOffset } from '../../broadcast/library/pdf-structure.js';
import { chinesePdf } from '../../node-daemon/sim/demo-pdf.js';

describe('chinesePdf', () => {
  it('passes the library\'s PDF check: header, startxref pointing at the xref table, %%EOF', () => {
    const pdf = chinesePdf(['玉米病虫害防治', '一、玉米螟']);
    const xref = pdfXrefOffset(pdf.subarray(0, 1024), pdf.subarray(Math.max(0, pdf.length - 2048)), pdf.length);
    expect(xref.ok).toBe(true);
    if (xref.ok) expect(isXrefStart(pdf.subarray(xref.offset, xref.offset + 32))).toBe(true);
  });

  it('puts every object where the cross-reference table says, and the text as UCS-2 codes', () => {
    const pdf = chinesePdf(['玉米']).toString('latin1');
    const table = /xref\n0 (\d+)\n([\s\S]*?)trailer/.exec(pdf)!;
    const offsets = table[2]!.trim().split('\n').slice(1).map((l) => Number(l.slice(0, 10)));
    expect(offsets).toHaveLength(Number(table[1]) - 1);
    offsets.forEach((o, i) => expect(pdf.slice(o, o + 8)).toBe(`${i + 1} 0 obj\n`));
    expect(pdf).toContain('<73897C73> Tj');
  });

  it('fails the check when cut short, as a file pulled off a stick too early', () => {
    const cut = chinesePdf(['小麦']).subarray(0, 400);
    expect(pdfXrefOffset(cut.subarray(0, 1024), cut, cut.length).ok).toBe(false);
  });
});
