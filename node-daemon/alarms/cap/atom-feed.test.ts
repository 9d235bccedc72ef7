import { describe, expect, it } from 'vitest';
import type { AlarmWithHistory } from '../types.js';
import { atomFeed, capFeedEntry, feedUpdated } from './atom-feed.js';
import { alarmToCap, type CapContext } from './cap.js';

const T0 = Date.UTC(2024, 6, 1, 16, 5, 9); // 2024-07-02 00:05:09 in Beijing

const ctx: CapContext = { senderCode: '53010201100101', sender: 'fenghuo-qingshui', areaDesc: '清水镇', timeZone: 'Asia/Shanghai' };

function alarm(id: number, drill: boolean, title: string, ts: number): AlarmWithHistory {
  return {
    id,
    key: `manual:${id}`,
    kind: 'manual',
    level: 'prepare',
    drill,
    state: 'active',
    title,
    raisedAt: ts,
    updatedAt: ts,
    transitions: [{ id: id * 10, alarmId: id, ts, type: 'raised', level: 'prepare', cause: {} }],
  };
}

describe('the CAP Atom feed shared by box and hub', () => {
  it('takes the entry fields from the CAP document as escaped there; a drill is Exercise', () => {
    const e = capFeedEntry(alarmToCap(alarm(1, true, '全镇 <准备> & 转移', T0), ctx), true);
    expect(e).toMatchObject({
      identifierXml: '53010201100101_20240702000509_10',
      senderXml: 'fenghuo-qingshui',
      sent: '2024-07-02T00:05:09+08:00',
      headlineXml: '【演练】全镇 &lt;准备&gt; &amp; 转移',
      status: 'Exercise',
    });
    expect(capFeedEntry(alarmToCap(alarm(2, false, 'x', T0), ctx), false).status).toBe('Actual');
  });

  it('updated is the newest sent, or now for an empty feed', () => {
    const older = capFeedEntry(alarmToCap(alarm(1, false, 'a', T0), ctx), false);
    const newer = capFeedEntry(alarmToCap(alarm(2, false, 'b', T0 + 60_000), ctx), false);
    expect(feedUpdated([newer, older], 0)).toBe('2024-07-01T16:06:09.000Z');
    expect(feedUpdated([], T0)).toBe('2024-07-01T16:05:09.000Z');
  });

  it('writes one entry per message with the link, the alert inline and the generator given; escapes the feed texts', () => {
    const entries = [capFeedEntry(alarmToCap(alarm(3, false, '清水河站 准备转移', T0), ctx), false)].map((e) => ({ ...e, alarmId: 3 }));
    const xml = atomFeed({
      selfUrl: 'http://box.local/api/v1/cap/feed?a=1&b=2',
      title: 'T & <t>',
      authorName: '清水镇',
      updated: feedUpdated(entries, 0),
      generator: 'fenghuo',
      entries,
      alertUrl: (m) => `http://box.local/api/v1/alarms/${m.alarmId}/cap`,
    });
    expect(xml).toContain('<id>http://box.local/api/v1/cap/feed?a=1&amp;b=2</id>');
    expect(xml).toContain('<title>T &amp; &lt;t&gt;</title>');
    expect(xml).toContain('<generator>fenghuo</generator>');
    expect(xml).toContain('<link rel="alternate" type="application/cap+xml" href="http://box.local/api/v1/alarms/3/cap"/>');
    expect(xml).toContain('<id>tag:fenghuo,2025:cap:fenghuo-qingshui:53010201100101_20240702000509_30</id>');
    expect(xml).toContain('      <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">');
    expect(xml).not.toContain('<?xml version="1.0" encoding="UTF-8"?>\n      ');
    expect(xml.match(/<entry>/g)).toHaveLength(1);
    expect(xml.endsWith('</feed>\n')).toBe(true);
  });
});
