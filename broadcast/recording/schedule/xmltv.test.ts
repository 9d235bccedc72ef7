import { describe, expect, it } from 'vitest';
import { parseXmltv, preferredText, XmltvError } from './xmltv.js';
import { parseXmltvTime } from './xmltv-time.js';

const GUIDE = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE tv SYSTEM "xmltv.dtd">
<tv generator-info-name="TVHeadend-4.3">
  <channel id="cctv17.cn">
    <display-name lang="zh">CCTV-17 农业农村</display-name>
  </channel>
  <programme start="20251208090000 +0800" stop="20251208100000 +0800" channel="cctv17.cn">
    <title lang="en">Farm Tech</title>
    <title lang="zh">致富经 &amp; 农技</title>
    <category lang="zh">农业</category>
  </programme>
  <programme start="20251208100000 +0800" channel="cctv17.cn">
    <title lang="zh"><![CDATA[乡村振兴<直播>]]></title>
  </programme>
  <programme start="20251208113000 +0800" channel="cctv17.cn"><title>无终止</title></programme>
</tv>
`;

describe('parseXmltv', () => {
  it('reads channels, programmes, titles in several languages, categories, CDATA and entities', () => {
    const g = parseXmltv(GUIDE);
    expect(g.channels).toEqual([{ id: 'cctv17.cn', names: [{ text: 'CCTV-17 农业农村', lang: 'zh' }] }]);
    expect(g.programmes).toHaveLength(2);
    const [first, second] = g.programmes;
    expect(first).toMatchObject({ channel: 'cctv17.cn', start: Date.UTC(2025, 11, 8, 1), stop: Date.UTC(2025, 11, 8, 2), line: 7 });
    expect(preferredText(first!.titles)).toBe('致富经 & 农技');
    expect(first!.categories).toEqual([{ text: '农业', lang: 'zh' }]);
    // No stop: it ends where the channel's next programme starts.
    expect(second).toMatchObject({ start: Date.UTC(2025, 11, 8, 2), stop: Date.UTC(2025, 11, 8, 3, 30) });
    expect(preferredText(second!.titles)).toBe('乡村振兴<直播>');
    // The last one has no stop and nothing after it: left out, and counted.
    expect(g.skipped).toBe(1);
  });

  it('names the line of a mismatched closing tag, and the element still open', () => {
    const bad = GUIDE.replace('<category lang="zh">农业</category>', '<category lang="zh">农业</categry>');
    const err = catchError(() => parseXmltv(bad));
    expect(err).toBeInstanceOf(XmltvError);
    expect(err.line).toBe(10);
    expect(err.message).toMatch(/^line 10, column \d+: a closing tag that does not match <category> opened on line 10$/);
  });

  it('names the line of a truncated file (a download cut short)', () => {
    const cut = GUIDE.slice(0, GUIDE.indexOf('</programme>', 300));
    const err = catchError(() => parseXmltv(cut));
    expect(err.line).toBe(cut.split('\n').length);
    expect(err.reason).toMatch(/^the file ends with <programme> opened on line \d+ still open \(cut short\?\)$/);
  });

  it('names the line of a programme whose start is not an XMLTV time, or which has no channel', () => {
    const badTime = GUIDE.replace('start="20251208100000 +0800"', 'start="2025-12-08 10:00"');
    expect(catchError(() => parseXmltv(badTime)).message).toBe(
      'line 12: <programme start="2025-12-08 10:00">: not an XMLTV time (expected YYYYMMDDhhmmss +hhmm, e.g. 20251208090000 +0800)',
    );
    const noChannel = GUIDE.replace('<programme start="20251208113000 +0800" channel="cctv17.cn">', '<programme start="20251208113000 +0800">');
    expect(catchError(() => parseXmltv(noChannel)).message).toBe('line 15: <programme> has no channel attribute');
  });

  it('refuses what is not XMLTV: an HTML error page, an empty file', () => {
    expect(catchError(() => parseXmltv('<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>')).message).toMatch(/^line 2: the root element is <html>, not <tv>/);
    expect(catchError(() => parseXmltv('')).message).toMatch(/^line 1: no XML element at all/);
  });
});

describe('parseXmltvTime', () => {
  it('reads the forms the DTD allows', () => {
    expect(parseXmltvTime('20251208090000 +0800')).toBe(Date.UTC(2025, 11, 8, 1));
    expect(parseXmltvTime('20251208090000 -0130')).toBe(Date.UTC(2025, 11, 8, 10, 30));
    expect(parseXmltvTime('202512080900')).toBe(Date.UTC(2025, 11, 8, 9));
    expect(parseXmltvTime('20251208090000 UTC')).toBe(Date.UTC(2025, 11, 8, 9));
    expect(parseXmltvTime('20251208')).toBe(Date.UTC(2025, 11, 8));
  });

  it('refuses what is not a time', () => {
    for (const bad of ['', 'tomorrow', '20250231090000 +0800', '20251208250000', '20251208090000 +2500', '2025-12-08T09:00:00Z']) {
      expect(parseXmltvTime(bad), bad).toBeUndefined();
    }
  });
});

function catchError(fn: () => unknown): XmltvError {
  try {
    fn();
  } catch (err) {
    if (err instanceof XmltvError) return err;
    throw err;
  }
  throw new Error('expected an XmltvError');
}
