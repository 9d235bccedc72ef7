import { describe, expect, it } from 'vitest';
import type { AlarmTransition, AlarmWithHistory } from '../types.js';
import { alarmToCap, type CapContext } from './cap.js';
import { escapeXml } from './xml.js';

const T0 = Date.UTC(2024, 6, 1, 16, 5, 9); // 2024-07-02 00:05:09 in Beijing

const ctx: CapContext = {
  senderCode: '53010201100101',
  sender: 'fenghuo-qingshui',
  senderName: '清水镇防汛预警终端',
  areaDesc: '清水镇清水村',
  geocode: { valueName: 'GB/T 2260', value: '530102' },
  timeZone: 'Asia/Shanghai',
};

function transition(id: number, type: AlarmTransition['type'], ts: number, level: AlarmTransition['level'], extra: Partial<AlarmTransition> = {}): AlarmTransition {
  return { id, alarmId: 7, ts, type, level, cause: {}, ...extra };
}

function floodAlarm(over: Partial<AlarmWithHistory> = {}): AlarmWithHistory {
  return {
    id: 7,
    key: 'flood:qingshui',
    kind: 'flood',
    siteId: 'qingshui',
    level: 'evacuate',
    drill: false,
    state: 'active',
    title: '清水河站 立即转移',
    raisedAt: T0,
    updatedAt: T0,
    transitions: [transition(21, 'raised', T0, 'evacuate', { cause: { rule: 'level-evacuate', sensorId: 'river', readingTs: T0 - 60_000, value: 3.256 } })],
    ...over,
  };
}

/** A minimal well-formedness check: balanced tags, one root, no raw `<` or bare `&` in text. */
function checkWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml [^?]*\?>\n/, '');
  const stack: string[] = [];
  let roots = 0;
  const re = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<&]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(body)) !== null) {
    consumed = re.lastIndex;
    const [, close, name, , selfClose, text] = m;
    if (text !== undefined) {
      expect(text).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
      if (stack.length === 0) expect(text.trim()).toBe('');
      continue;
    }
    if (close === '/') expect(stack.pop()).toBe(name);
    else if (selfClose !== '/') {
      if (stack.length === 0) roots += 1;
      stack.push(name ?? '');
    }
  }
  expect(consumed).toBe(body.length);
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
}

function tag(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1] ?? '');
}

describe('alarmToCap', () => {
  it('writes a well-formed CAP 1.2 alert with the GB/T 35965.1 identifier and +08:00 times', () => {
    const xml = alarmToCap(floodAlarm(), ctx);
    checkWellFormed(xml);
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">/);
    expect(tag(xml, 'identifier')).toEqual(['53010201100101_20240702000509_21']);
    expect(tag(xml, 'sender')).toEqual(['fenghuo-qingshui']);
    expect(tag(xml, 'sent')).toEqual(['2024-07-02T00:05:09+08:00']);
    expect(tag(xml, 'status')).toEqual(['Actual']);
    expect(tag(xml, 'msgType')).toEqual(['Alert']);
    expect(tag(xml, 'scope')).toEqual(['Public']);
    expect(tag(xml, 'references')).toEqual([]);
    expect(tag(xml, 'language')).toEqual(['zh-CN']);
    expect(tag(xml, 'category')).toEqual(['Met']);
    expect(tag(xml, 'event')).toEqual(['山洪']);
    expect([tag(xml, 'urgency'), tag(xml, 'severity'), tag(xml, 'certainty')]).toEqual([['Immediate'], ['Extreme'], ['Observed']]);
    expect(tag(xml, 'responseType')).toEqual(['Evacuate']);
    expect(tag(xml, 'headline')).toEqual(['清水河站 立即转移']);
    expect(tag(xml, 'description')).toEqual(['清水镇清水村：山洪预警 立即转移，2024-07-02T00:04:09+08:00 水位 3.26 米（river）。']);
    expect(tag(xml, 'instruction')[0]).toMatch(/^立即转移：/);
    expect(tag(xml, 'areaDesc')).toEqual(['清水镇清水村']);
    expect(xml).toContain('<geocode>\n        <valueName>GB/T 2260</valueName>\n        <value>530102</value>\n      </geocode>');
    // CAP element order: alert header before info, area last in info.
    expect(xml.indexOf('<scope>')).toBeLessThan(xml.indexOf('<info>'));
    expect(xml.indexOf('<instruction>')).toBeLessThan(xml.indexOf('<area>'));
  });

  it('marks a drill as Exercise everywhere it shows', () => {
    const xml = alarmToCap(floodAlarm({ drill: true, kind: 'manual', key: 'drill:qingshui', title: '清水河站 立即转移' }), ctx);
    checkWellFormed(xml);
    expect(tag(xml, 'status')).toEqual(['Exercise']);
    expect(tag(xml, 'note')).toEqual(['演练信息，非真实预警。']);
    expect(tag(xml, 'headline')).toEqual(['【演练】清水河站 立即转移']);
  });

  it('maps prepare, updates and the all clear, referencing the earlier messages', () => {
    const prepare = floodAlarm({ level: 'prepare', title: '准备转移', transitions: [transition(3, 'raised', T0, 'prepare')] });
    const p = alarmToCap(prepare, ctx);
    expect([tag(p, 'urgency'), tag(p, 'severity'), tag(p, 'certainty'), tag(p, 'responseType')]).toEqual([['Expected'], ['Severe'], ['Likely'], ['Prepare']]);

    const history = [
      transition(3, 'raised', T0, 'prepare'),
      transition(5, 'escalated', T0 + 600_000, 'evacuate'),
      transition(6, 'acknowledged', T0 + 660_000, 'evacuate', { by: '张三' }),
    ];
    const up = alarmToCap(floodAlarm({ state: 'acknowledged', transitions: history }), ctx);
    expect(tag(up, 'msgType')).toEqual(['Update']);
    expect(tag(up, 'identifier')).toEqual(['53010201100101_20240702001509_5']);
    expect(tag(up, 'references')).toEqual(['fenghuo-qingshui,53010201100101_20240702000509_3,2024-07-02T00:05:09+08:00']);

    const cleared = alarmToCap(floodAlarm({ state: 'cleared', clearedAt: T0 + 7_200_000, transitions: [...history, transition(9, 'cleared', T0 + 7_200_000, 'evacuate')] }), ctx);
    checkWellFormed(cleared);
    expect(tag(cleared, 'msgType')).toEqual(['Cancel']);
    expect(tag(cleared, 'responseType')).toEqual(['AllClear']);
    expect(tag(cleared, 'urgency')).toEqual(['Past']);
    expect(tag(cleared, 'references')[0]?.split(' ')).toHaveLength(2);
    expect(tag(cleared, 'headline')).toEqual(['清水河站 立即转移（已解除）']);
  });

  it('describes a sensor fault as Infra, Unknown, Minor', () => {
    const xml = alarmToCap(
      floodAlarm({ kind: 'fault', level: null, key: 'fault:comm_lost:river', title: '水位计通讯中断', transitions: [transition(4, 'raised', T0, null, { cause: { detail: '30 分钟无应答' } })] }),
      ctx,
    );
    expect([tag(xml, 'category'), tag(xml, 'event'), tag(xml, 'urgency'), tag(xml, 'severity')]).toEqual([['Infra'], ['传感器故障'], ['Unknown'], ['Minor']]);
    expect(tag(xml, 'description')).toEqual(['30 分钟无应答']);
  });

  it('escapes markup in every text it copies from the alarm and the context', () => {
    const nasty = '<script>&"\'\u0001';
    const xml = alarmToCap(
      floodAlarm({ title: `A & B <c> "d"`, key: 'county:<x>', transitions: [transition(1, 'raised', T0, 'evacuate', { note: nasty })] }),
      { ...ctx, areaDesc: '村<1>&"2"', senderName: undefined, geocode: { valueName: 'a&b', value: '<v>' } },
    );
    checkWellFormed(xml);
    expect(tag(xml, 'headline')).toEqual(['A &amp; B &lt;c&gt; &quot;d&quot;']);
    expect(tag(xml, 'description')).toEqual(['&lt;script&gt;&amp;&quot;&apos;']);
    expect(tag(xml, 'areaDesc')).toEqual(['村&lt;1&gt;&amp;&quot;2&quot;']);
    expect(xml).not.toContain('<script>');
    expect(xml).not.toContain('\u0001');
    expect(escapeXml('a<b>&"\'')).toBe('a&lt;b&gt;&amp;&quot;&apos;');
  });

  it('writes UTC as -00:00 and refuses a malformed sender code', () => {
    const xml = alarmToCap(floodAlarm(), { ...ctx, timeZone: 'UTC' });
    expect(tag(xml, 'sent')).toEqual(['2024-07-01T16:05:09-00:00']);
    expect(() => alarmToCap(floodAlarm(), { ...ctx, senderCode: '5301' })).toThrow(/14 letters or digits/);
    expect(() => alarmToCap(floodAlarm(), { ...ctx, sender: 'a b' })).toThrow(/no spaces/);
    expect(() => alarmToCap(floodAlarm({ transitions: [] }), ctx)).toThrow(/no raise/);
  });
});
