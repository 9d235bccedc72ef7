import { describe, expect, it } from 'vitest';
import { planSchedule, type PlanInput } from './plan.js';
import type { PlanSettings, ScheduleChannel, ScheduleEntry } from './schedule-types.js';
import { parseXmltv } from './xmltv.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** 2025-12-08 is a Monday. Beijing time is UTC+8, so 09:00 there is 01:00 UTC. */
const bj = (day: number, hour: number, minute = 0): number => Date.UTC(2025, 11, day, hour - 8, minute);

// Two channels through one single-input receiver, a third on its own.
const CHANNELS: ScheduleChannel[] = [
  { id: 'cctv17', name: 'CCTV-17 农业农村', xmltvId: 'cctv17.cn', sourceKey: 'receiver:dish-a' },
  { id: 'cctv13', name: 'CCTV-13 新闻', xmltvId: 'cctv13.cn', sourceKey: 'receiver:dish-a' },
  { id: 'prov', name: '省台', sourceKey: 'channel:prov' },
];

const SETTINGS: PlanSettings = { timeZone: 'Asia/Shanghai', channels: CHANNELS, rules: [], paddingBeforeMs: 2 * MIN, paddingAfterMs: 5 * MIN };

function programme(channel: string, start: string, stop: string, title: string, category?: string): string {
  return `<programme start="${start} +0800" stop="${stop} +0800" channel="${channel}"><title lang="zh">${title}</title>${category === undefined ? '' : `<category lang="zh">${category}</category>`}</programme>`;
}

const GUIDE = parseXmltv(
  `<tv>
${programme('cctv17.cn', '20251208090000', '20251208100000', '致富经', '农业')}
${programme('cctv17.cn', '20251208100000', '20251208110000', '农技讲堂', '农业')}
${programme('cctv17.cn', '20251208120000', '20251208123000', '天气', '天气')}
${programme('cctv13.cn', '20251208093000', '20251208103000', '新闻直播间', '新闻')}
${programme('cctv13.cn', '20251208190000', '20251208193000', '新闻联播', '新闻')}
${programme('prov', '20251208190000', '20251208193000', '防汛动员会', '会议')}
</tv>`,
).programmes;

const plan = (over: Partial<Omit<PlanInput, 'settings'>> & { settings?: Partial<PlanSettings> } = {}) =>
  planSchedule({ now: bj(8, 6), programmes: GUIDE, entries: [], ...over, settings: { ...SETTINGS, ...over.settings } });

describe('planSchedule: guide rules', () => {
  it('records the programmes a rule picks, padded, with ids made of channel and programme start', () => {
    const p = plan({ settings: { rules: [{ channel: 'prov', category: '会议' }] } });
    expect(p.jobs).toEqual([
      { id: `xmltv:prov:${bj(8, 19)}`, channelId: 'prov', title: '防汛动员会', startAt: bj(8, 18, 58), endAt: bj(8, 19, 35), origin: 'xmltv', parts: [`xmltv:prov:${bj(8, 19)}`] },
    ]);
    expect(p.conflicts).toEqual([]);
  });

  it('picks by title pattern, by window of the day, and takes a programme picked by two rules once', () => {
    const p = plan({
      settings: {
        rules: [
          { channel: 'cctv17', title: '^天气$' },
          { channel: 'cctv17', window: { from: '12:00', to: '13:00' } },
        ],
      },
    });
    expect(p.jobs.map((j) => [j.id, j.title, j.parts])).toEqual([[`xmltv:cctv17:${bj(8, 12)}`, '天气', [`xmltv:cctv17:${bj(8, 12)}`]]]);
  });

  it('merges programmes of one channel that overlap once padded into one job keeping the first id', () => {
    const p = plan({ settings: { rules: [{ channel: 'cctv17', category: '农业' }] } });
    expect(p.jobs).toHaveLength(1);
    expect(p.jobs[0]).toMatchObject({
      id: `xmltv:cctv17:${bj(8, 9)}`,
      title: '致富经 / 农技讲堂',
      startAt: bj(8, 8, 58),
      endAt: bj(8, 11, 5),
      parts: [`xmltv:cctv17:${bj(8, 9)}`, `xmltv:cctv17:${bj(8, 10)}`],
    });
    // Without padding the two only touch: two jobs.
    expect(plan({ settings: { rules: [{ channel: 'cctv17', category: '农业' }], paddingBeforeMs: 0, paddingAfterMs: 0 } }).jobs.map((j) => [j.startAt, j.endAt])).toEqual([
      [bj(8, 9), bj(8, 10)],
      [bj(8, 10), bj(8, 11)],
    ]);
  });

  it('gives the same ids on every re-plan, whatever the clock, the padding or the order of the rules', () => {
    const rules = [
      { channel: 'cctv13', category: '新闻' },
      { channel: 'prov', title: '防汛' },
    ];
    const a = plan({ settings: { rules } });
    const b = plan({ now: bj(8, 9, 45), settings: { rules: [...rules].reverse(), paddingBeforeMs: 10 * MIN } });
    expect(b.jobs.map((j) => j.id)).toEqual(a.jobs.map((j) => j.id));
  });

  it('drops jobs whose padded end has passed and keeps one that is running', () => {
    const p = plan({ now: bj(8, 10, 32), settings: { rules: [{ channel: 'cctv13', category: '新闻' }] } });
    // 新闻直播间 ends 10:30 + 5 min padding: still on at 10:32.
    expect(p.jobs.map((j) => j.title)).toEqual(['新闻直播间', '新闻联播']);
    expect(plan({ now: bj(8, 10, 35), settings: { rules: [{ channel: 'cctv13', category: '新闻' }] } }).jobs.map((j) => j.title)).toEqual(['新闻联播']);
  });
});

describe('planSchedule: conflicts', () => {
  it('reports two overlapping programmes on different channels of one receiver; the later one is not started', () => {
    const p = plan({ settings: { rules: [{ channel: 'cctv17', title: '致富经' }, { channel: 'cctv13', title: '新闻直播间' }] } });
    const kept = `xmltv:cctv17:${bj(8, 9)}`;
    const dropped = `xmltv:cctv13:${bj(8, 9, 30)}`;
    expect(p.jobs.map((j) => j.id)).toEqual([kept]);
    expect(p.conflicts).toHaveLength(1);
    expect(p.conflicts[0]).toMatchObject({ id: `${kept}~${dropped}`, sourceKey: 'receiver:dish-a', kept: { id: kept }, dropped: { id: dropped }, from: bj(8, 9, 28), to: bj(8, 10, 5) });
  });

  it('keeps the dropped job dropped, and reported, after the one that kept the input is over', () => {
    const rules = [{ channel: 'cctv17', title: '致富经' }, { channel: 'cctv13', title: '新闻直播间' }];
    const p = plan({ now: bj(8, 10, 10), settings: { rules } });
    expect(p.jobs).toEqual([]);
    expect(p.conflicts.map((c) => [c.kept.id, c.dropped.id])).toEqual([[`xmltv:cctv17:${bj(8, 9)}`, `xmltv:cctv13:${bj(8, 9, 30)}`]]);
    expect(plan({ now: bj(8, 10, 40), settings: { rules } }).conflicts).toEqual([]);
  });

  it('lets a job that is recording keep its input against an earlier one added later', () => {
    const manual: ScheduleEntry = { kind: 'once', id: 'm1', channelId: 'cctv13', title: '临时会议', startAt: bj(8, 8, 30), endAt: bj(8, 9, 40) };
    const running = new Set([`xmltv:cctv17:${bj(8, 9)}`]);
    const p = plan({ now: bj(8, 9, 10), entries: [manual], running, settings: { rules: [{ channel: 'cctv17', title: '致富经' }] } });
    expect(p.jobs.map((j) => j.id)).toEqual([`xmltv:cctv17:${bj(8, 9)}`]);
    expect(p.conflicts.map((c) => [c.kept.id, c.dropped.id])).toEqual([[`xmltv:cctv17:${bj(8, 9)}`, 'manual:m1']]);
  });

  it('never calls channels with inputs of their own a conflict, nor one channel twice', () => {
    const entries: ScheduleEntry[] = [
      { kind: 'once', id: 'a', channelId: 'prov', title: '会议甲', startAt: bj(8, 19), endAt: bj(8, 20) },
      { kind: 'now', id: 'b', channelId: 'prov', title: '现在录', startAt: bj(8, 19, 10), endAt: bj(8, 19, 40) },
    ];
    const p = plan({ entries, settings: { rules: [{ channel: 'cctv13', title: '新闻联播' }] } });
    expect(p.conflicts).toEqual([]);
    expect(p.jobs.map((j) => [j.id, j.title, j.parts])).toEqual([
      ['manual:a', '会议甲 / 现在录', ['manual:a', 'now:b']],
      [`xmltv:cctv13:${bj(8, 19)}`, '新闻联播', [`xmltv:cctv13:${bj(8, 19)}`]],
    ]);
  });
});

describe('planSchedule: entries', () => {
  const weekly: ScheduleEntry = { kind: 'weekly', id: 'w1', channelId: 'prov', title: '周一例会', days: ['mon'], start: '07:00', end: '09:00' };

  it('places a weekly entry in Beijing time, across the UTC day boundary (Monday 07:00 there is Sunday 23:00 UTC)', () => {
    const p = plan({ now: Date.UTC(2025, 11, 7, 12), entries: [weekly], settings: { paddingBeforeMs: 0, paddingAfterMs: 0, horizonMs: 14 * 24 * HOUR } });
    expect(p.jobs.map((j) => [j.id, new Date(j.startAt).toISOString(), new Date(j.endAt).toISOString()])).toEqual([
      ['weekly:w1:2025-12-08', '2025-12-07T23:00:00.000Z', '2025-12-08T01:00:00.000Z'],
      ['weekly:w1:2025-12-15', '2025-12-14T23:00:00.000Z', '2025-12-15T01:00:00.000Z'],
    ]);
  });

  it('runs a weekly entry whose end is before its start into the next day, padded', () => {
    const late: ScheduleEntry = { ...weekly, id: 'w2', days: ['sun'], start: '23:30', end: '00:30' };
    const p = plan({ now: bj(8, 6), entries: [late] });
    expect(p.jobs.map((j) => [j.id, j.startAt, j.endAt])).toEqual([['weekly:w2:2025-12-14', bj(14, 23, 28), bj(15, 0, 35)]]);
  });

  it('keeps an occurrence that began yesterday and is still on, and skips one the operator cancelled', () => {
    const late: ScheduleEntry = { ...weekly, id: 'w3', days: ['sun'], start: '23:00', end: '07:00' };
    const p = plan({ now: bj(8, 6), entries: [late], skips: new Set(['weekly:w3:2025-12-14']) });
    expect(p.jobs.map((j) => j.id)).toEqual(['weekly:w3:2025-12-07']);
  });

  it('does not pad "record now": it starts now and runs the minutes asked for', () => {
    const now: ScheduleEntry = { kind: 'now', id: 'n1', channelId: 'prov', title: '立即录制', startAt: bj(8, 6), endAt: bj(8, 6, 30) };
    expect(plan({ entries: [now] }).jobs.map((j) => [j.id, j.startAt, j.endAt, j.origin])).toEqual([['now:n1', bj(8, 6), bj(8, 6, 30), 'now']]);
  });

  it('ignores wishes for a channel it does not know', () => {
    expect(plan({ entries: [{ ...weekly, channelId: 'gone', days: ['mon'] }] }).jobs).toEqual([]);
  });
});
