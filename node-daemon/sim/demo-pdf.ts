/**
 * A one-page PDF of Chinese text, small enough to write by hand: the standard CJK font STSong-Light (Adobe-GB1, not
 * embedded: every PDF reader brings its own Song face) with UCS-2 codes, and a correct cross-reference table. For the
 * demo's library sample; no PDF library in the dependencies for one page. Pure.
 */

/** UTF-16BE hex of `text` (BMP only: the sample text has nothing beyond it). */
function ucs2Hex(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += text.charCodeAt(i).toString(16).padStart(4, '0').toUpperCase();
  return out;
}

/** The PDF's bytes (ASCII only, so string lengths are byte offsets). `lines[0]` is set larger, as the heading. */
export function chinesePdf(lines: readonly string[]): Buffer {
  const content = ['BT', '/F1 20 Tf', '56 770 Td', `<${ucs2Hex(lines[0] ?? '')}> Tj`, '/F1 13 Tf'];
  for (const line of lines.slice(1)) content.push('0 -26 Td', `<${ucs2Hex(line)}> Tj`);
  content.push('ET');
  const stream = content.join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>',
    '<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 7 0 R /DW 1000 >>',
    '<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) pdf += `${String(o).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}
