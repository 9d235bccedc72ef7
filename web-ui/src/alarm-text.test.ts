import { describe, expect, it } from 'vitest';
import { alarmForKey, displayTitle } from './alarm-text.js';

describe('displayTitle', () => {
  it('drops a drill\'s leading 【演练】 (the chip says it)', () => {
    expect(displayTitle({ title: '【演练】全镇 准备转移', drill: true })).toBe('全镇 准备转移');
    expect(displayTitle({ title: ' 【演练】 梅森站 立即转移', drill: true })).toBe('梅森站 立即转移');
  });
  it('keeps the mark anywhere but the start, on a real alarm, and when it is the whole title', () => {
    expect(displayTitle({ title: '全镇【演练】', drill: true })).toBe('全镇【演练】');
    expect(displayTitle({ title: '【演练】全镇 准备转移', drill: false })).toBe('【演练】全镇 准备转移');
    expect(displayTitle({ title: '【演练】', drill: true })).toBe('【演练】');
  });
});

describe('alarmForKey', () => {
  const a = (key: string, title: string, updatedAt: number) => ({ key, title, drill: false, updatedAt });
  it('finds the newest alarm with the key, undefined when none', () => {
    const list = [a('flood:mason', '梅森站 准备转移', 1), a('drill:all', '【演练】全镇', 5), a('flood:mason', '梅森站 立即转移', 9)];
    expect(alarmForKey(list, 'flood:mason')?.title).toBe('梅森站 立即转移');
    expect(alarmForKey(list, 'drill:all')?.title).toBe('【演练】全镇');
    expect(alarmForKey(list, 'flood:llano')).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Causes, level steps and actors: what an operator reads, never a rule id or a UTC ISO time.

import { afterEach, beforeEach } from 'vitest';
import { actorText, causeLine, levelSteps, localiseTimes, triggerOf, type CauseContext } from './alarm-text.js';
import { setTimeZone } from './format.js';
import { setLang } from './i18n.js';

const ctx: CauseContext = {
  sensorName: (id) => ({ dam: '坝前水位', tail: '坝下水位' })[id] ?? id,
  thresholds: (siteId) => (siteId === 'dam' ? { prepareM: 11.5, evacuateM: 12 } : undefined),
};
/** 2026-07-01 08:42 in Asia/Shanghai (00:42 UTC). */
const T0 = Date.UTC(2026, 6, 1, 0, 42);
const RAW = /level\.|rate_of_rise|rain\.h|fault\.|\d{4}-\d\d-\d\dT|\bZ\b|samples|规则/;

function english(on: boolean): void {
  (globalThis as { document?: unknown }).document = { documentElement: {}, title: '' };
  setLang(on ? 'en' : 'zh-CN');
}

describe('causeLine', () => {
  beforeEach(() => {
    setTimeZone('Asia/Shanghai');
    english(false);
  });
  afterEach(() => english(false));

  it('says which gauge crossed which level, with its reading and the threshold it crossed', () => {
    const up = causeLine({ type: 'escalated', cause: { rule: 'level.evacuate', sensorId: 'dam', readingTs: T0, value: 12.34, detail: `2 samples at or above 12.00 m since ${new Date(T0).toISOString()}` } }, 'dam', ctx);
    expect(up).toEqual({ text: '坝前水位 12.34 米 超过立即转移水位 12.00 米' });
    // Without the threshold in the detail: the site's current one; exactly at it: 达到.
    expect(causeLine({ type: 'raised', cause: { rule: 'level.prepare', sensorId: 'dam', value: 11.5 } }, 'dam', ctx)?.text).toBe('坝前水位 11.50 米 达到准备转移水位 11.50 米');
    expect(causeLine({ type: 'raised', cause: { rule: 'level.prepare', sensorId: 'x', value: 3 } }, 'nowhere', ctx)?.text).toBe('x 3.00 米 达到准备转移水位');
  });

  it('says a level ended by the water falling back below its release level', () => {
    const down = causeLine({ type: 'deescalated', cause: { rule: 'level.evacuate', sensorId: 'dam', value: 11.7, detail: '2 samples below 11.80 m since 2026-07-01T01:10:00.000Z' } }, 'dam', ctx);
    expect(down?.text).toBe('坝前水位 11.70 米 回落到 11.80 米 以下（立即转移水位减回差）');
    expect(down?.raw).toBeUndefined();
  });

  it('says rate of rise, rainfall, faults, manual, county and button causes in words', () => {
    const rise = causeLine({ type: 'raised', cause: { rule: 'rate_of_rise', sensorId: 'dam', value: 10.2, detail: 'rise 0.52 m per 30 min (Theil–Sen over 31 samples)' } }, 'dam', ctx);
    expect(rise?.text).toBe('坝前水位 10.20 米，30 分钟上涨 0.52 米');
    expect(causeLine({ type: 'raised', cause: { rule: 'rain.h3', sensorId: 'rg1', value: 52.5, detail: '52.5 mm in 3 h' } }, 'dam', ctx)?.text).toBe('rg1 3 小时降雨 52.5 毫米');
    expect(causeLine({ type: 'raised', cause: { rule: 'fault.comm_lost', sensorId: 'dam', readingTs: T0, detail: 'no good reading for 120 s' } }, 'dam', ctx)?.text).toBe('坝前水位 通信中断，2 分钟没有有效读数');
    expect(causeLine({ type: 'raised', cause: { rule: 'fault.out_of_range', sensorId: 'dam', value: 55, detail: 'outside 0..30 m' } }, 'dam', ctx)?.text).toBe('坝前水位 读数 55.00 米 超出合理范围（0.00 米 至 30.00 米）');
    expect(causeLine({ type: 'raised', cause: { rule: 'fault.jump', sensorId: 'dam', value: 14, detail: 'jumped 3.10 m from 10.90 m' } }, 'dam', ctx)?.text).toBe('坝前水位 读数从 10.90 米 突变 3.10 米');
    const stuck = causeLine({ type: 'raised', cause: { rule: 'fault.stuck', sensorId: 'dam', value: 9, detail: `unchanged since ${new Date(T0).toISOString()} while tail moved` } }, 'dam', ctx);
    expect(stuck?.text).toBe('坝前水位 读数自 07/01 08:42 起没有变化，而 坝下水位 在变化');
    expect(causeLine({ type: 'cleared', cause: { rule: 'fault.comm_lost', sensorId: 'dam', value: 9.5 } }, 'dam', ctx)?.text).toBe('坝前水位 恢复正常（9.50 米）');
    expect(causeLine({ type: 'raised', cause: { rule: 'manual' } }, undefined, ctx)?.text).toBe('人工发出');
    expect(causeLine({ type: 'raised', cause: { rule: 'county', detail: `county alert C-2026-7 issued ${new Date(T0).toISOString()}` } }, undefined, ctx)?.text).toBe('县级平台预警 C-2026-7，发布于 07/01 08:42');
    expect(causeLine({ type: 'raised', cause: { rule: 'button', detail: 'input 3 pressed' } }, undefined, ctx)?.text).toBe('现场警报按钮被按下（输入 3）');
    expect(causeLine({ type: 'cleared', cause: { rule: 'operator' } }, undefined, ctx)?.text).toBe('值班人员解除');
    expect(causeLine({ type: 'acknowledged', cause: {} }, undefined, ctx)).toBeUndefined();
  });

  it('never shows a rule id or a UTC ISO time; an unknown cause keeps the daemon\'s text, with local times, as raw', () => {
    const odd = causeLine({ type: 'raised', cause: { rule: 'future.rule', detail: `something at ${new Date(T0).toISOString()}` } }, undefined, ctx);
    expect(odd).toEqual({ text: '其他原因', raw: 'something at 2026/07/01 08:42:00' });
    const output = causeLine({ type: 'raised', cause: { detail: 'I/O board lost: line lost' } }, undefined, ctx);
    expect(output).toEqual({ text: '输出设备故障', raw: 'I/O board lost: line lost' });
    for (const line of [odd, output]) expect(line?.text).not.toMatch(RAW);
    expect(localiseTimes('a 2026-07-01T00:42:00Z b 2026-07-01T00:43:05.123Z')).toBe('a 2026/07/01 08:42:00 b 2026/07/01 08:43:05');
  });

  it('in English: the same facts, ASCII punctuation, metres as m', () => {
    english(true);
    const up = causeLine({ type: 'escalated', cause: { rule: 'level.evacuate', sensorId: 'dam', value: 12.34, detail: '2 samples at or above 12.00 m since 2026-07-01T00:40:00.000Z' } }, 'dam', ctx);
    expect(up?.text).toBe('坝前水位 at 12.34 m, above the Evacuate level of 12.00 m');
    expect(up?.text).not.toMatch(/[：；（]/);
  });
});

describe('levelSteps and triggerOf', () => {
  beforeEach(() => {
    setTimeZone('Asia/Shanghai');
    english(false);
  });
  afterEach(() => english(false));
  const trs = [
    { type: 'raised' as const, ts: T0, level: 'prepare' as const, cause: { rule: 'level.prepare' } },
    { type: 'escalated' as const, ts: T0 + 28 * 60_000, level: 'evacuate' as const, cause: { rule: 'level.evacuate' } },
    { type: 'acknowledged' as const, ts: T0 + 30 * 60_000, level: 'evacuate' as const, cause: {} },
    { type: 'deescalated' as const, ts: T0 + 90 * 60_000, level: 'prepare' as const, cause: { rule: 'level.evacuate' } },
    { type: 'cleared' as const, ts: T0 + 168 * 60_000, level: 'prepare' as const, cause: { rule: 'level.prepare' } },
  ];

  it('lists raise, escalation, de-escalation and clear with local times: HH:mm today, MM/DD HH:mm another day', () => {
    expect(levelSteps({ raisedAt: T0 }, trs.slice(0, 2), T0 + 3_600_000)).toEqual(['08:42 准备转移', '09:10 升级为立即转移']);
    expect(levelSteps({ raisedAt: T0 }, trs, T0 + 3_600_000)).toEqual(['08:42 准备转移', '09:10 升级为立即转移', '10:12 降为准备转移', '11:30 解除']);
    expect(levelSteps({ raisedAt: T0 }, trs.slice(0, 2), T0 + 2 * 86_400_000)).toEqual(['07/01 08:42 准备转移', '07/01 09:10 升级为立即转移']);
    // Not loaded yet: the raise time only.
    expect(levelSteps({ raisedAt: T0 }, undefined, T0)).toEqual(['08:42 发出']);
  });

  it('in English always with the date, so "Raised YYYY-MM-DD HH:mm" reads the same anywhere', () => {
    english(true);
    expect(levelSteps({ raisedAt: T0 }, trs.slice(0, 2), T0 + 60_000)).toEqual(['Raised 2026-07-01 08:42: Prepare to evacuate', '2026-07-01 09:10 escalated to Evacuate now']);
  });

  it('a flapping alarm lists the raise and the last steps only', () => {
    const flap = [trs[0]!];
    for (let i = 1; i <= 8; i++) flap.push({ type: i % 2 === 1 ? 'escalated' : 'deescalated', ts: T0 + i * 60_000, level: i % 2 === 1 ? 'evacuate' : 'prepare', cause: {} } as never);
    const steps = levelSteps({ raisedAt: T0 }, flap, T0);
    expect(steps).toHaveLength(5);
    expect(steps[0]).toBe('08:42 准备转移');
    expect(steps[1]).toBe('…');
  });

  it('the trigger is the last raise or escalation', () => {
    expect(triggerOf(trs)?.type).toBe('escalated');
    expect(triggerOf(trs.slice(0, 1))?.type).toBe('raised');
    expect(triggerOf([])).toBeUndefined();
  });
});

describe('actorText', () => {
  beforeEach(() => english(false));
  afterEach(() => english(false));
  it('names the account, and on whose behalf when given', () => {
    expect(actorText({ account: 'op1', by: '县长' })).toBe('op1（代表 县长）');
    expect(actorText({ account: 'op1' })).toBe('op1');
    expect(actorText({ account: 'op1', by: 'op1' })).toBe('op1');
    expect(actorText({ by: '李值班' })).toBe('李值班');
    expect(actorText({})).toBeUndefined();
    expect(actorText({ account: 'token:county-hub' })).toBe('接口令牌 county-hub');
    expect(actorText({ by: 'button:3' })).toBe('现场警报按钮（输入 3）');
    english(true);
    expect(actorText({ account: 'op1', by: '县长' })).toBe('op1 (for 县长)');
  });
});
