import { describe, expect, it } from 'vitest';
import { ApiError } from './api.js';
import type { StationView } from './api.js';
import { BUILTIN_PRESETS, broadcastError, checkPresets, loadPresets, playingOf, PRESETS_KEY, resetPresets, savePresets, scheduledOnAir, scheduledOnAirText } from './broadcast-text.js';

function memory(initial: Record<string, string> = {}): { data: Record<string, string>; getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem(k: string): void } {
  const data = { ...initial };
  return {
    data,
    getItem: (k) => (k in data ? data[k]! : null),
    setItem: (k, v) => {
      data[k] = v;
    },
    removeItem: (k) => {
      delete data[k];
    },
  };
}

/** The daemon's error bodies as the UI's fetch wrapper turns them into ApiErrors (param → problems[0].path). */
const refusal = (status: number, code: string, message: string, param?: string): ApiError =>
  new ApiError(status, code, message, param === undefined ? [] : [{ path: param, message }], undefined);

describe('presets', () => {
  it('a new device has the built-in Chinese presets', () => {
    const titles = loadPresets(memory()).map((p) => p.title);
    expect(titles).toEqual(['防汛值班通知', '转移演练通知', '解除通知']);
    expect(loadPresets(undefined)).toEqual(BUILTIN_PRESETS);
    for (const p of BUILTIN_PRESETS) expect(p.text.length).toBeLessThanOrEqual(500);
  });

  it('keeps an edited list in the browser and reads it back; unreadable data gives the built-in ones', () => {
    const store = memory();
    const edited = checkPresets([{ title: ' 停电通知 ', text: ' 今晚停电。 ' }, { title: '', text: '' }, BUILTIN_PRESETS[2]!]);
    expect(edited).toEqual({ ok: true, presets: [{ title: '停电通知', text: '今晚停电。' }, BUILTIN_PRESETS[2]] });
    expect(savePresets(store, edited.ok ? edited.presets : [])).toBe(true);
    expect(loadPresets(store).map((p) => p.title)).toEqual(['停电通知', '解除通知']);
    expect(loadPresets(memory({ [PRESETS_KEY]: '{not json' }))).toEqual(BUILTIN_PRESETS);
    expect(loadPresets(memory({ [PRESETS_KEY]: '[{"title":1}]' }))).toEqual([]);
    expect(resetPresets(store)).toEqual(BUILTIN_PRESETS);
    expect(store.data[PRESETS_KEY]).toBeUndefined();
  });

  it('refuses a row with a name but no text (or the reverse), and a text longer than the daemon takes', () => {
    expect(checkPresets([{ title: 'a', text: 'b' }, { title: '只有名称', text: ' ' }])).toEqual({ ok: false, problem: '第 2 条缺少名称或内容' });
    expect(checkPresets([{ title: '长', text: '长'.repeat(501) }])).toEqual({ ok: false, problem: '第 1 条内容太长：最多 500 字' });
  });

  it('a browser that refuses to store says so', () => {
    const refusing = { getItem: () => null, setItem: () => { throw new Error('QuotaExceededError'); }, removeItem: () => undefined };
    expect(savePresets(refusing, BUILTIN_PRESETS)).toBe(false);
  });
});

describe('playingOf', () => {
  it('an operator\'s announcement is 通知广播, an all-clear is 解除通知, an alarm has a level', () => {
    expect(playingOf({ alarmKey: 'announce:1782000000000-3', level: null })).toEqual({ kind: 'announcement' });
    expect(playingOf({ alarmKey: 'flood:mason', level: null })).toEqual({ kind: 'allClear', alarmKey: 'flood:mason' });
    expect(playingOf({ alarmKey: 'flood:mason', level: 'evacuate' })).toEqual({ kind: 'alarm', alarmKey: 'flood:mason' });
    expect(playingOf({ alarmKey: null, level: null })).toBeUndefined();
  });
});

describe('broadcastError: the daemon\'s refusals in Chinese', () => {
  it('known refusals in words, with no raw English', () => {
    const cases: [ApiError, 'speak' | 'led', string][] = [
      [refusal(400, 'bad_request', 'Too big: expected string to have <=500 characters', 'text'), 'speak', '内容太长：最多 500 字'],
      [refusal(400, 'bad_request', 'Too big: expected string to have <=200 characters', 'text'), 'led', '内容太长：最多 200 字'],
      [refusal(400, 'bad_request', 'text must not be empty', 'text'), 'speak', '请填写内容'],
      [refusal(400, 'bad_request', 'text is required: Invalid input: expected string, received undefined', 'text'), 'speak', '请填写内容'],
      [refusal(400, 'bad_request', '"s9" is not a speaker of this box; expected one of s1, s2', 'speakers[0]'), 'speak', '所选喇叭「s9」在本终端上不存在，请刷新页面后重新选择'],
      [refusal(400, 'bad_request', '"b9" is not a LED board of this box; expected one of b1', 'boards[0]'), 'led', '所选 LED 屏「b9」在本终端上不存在，请刷新页面后重新选择'],
      [refusal(409, 'conflict', 'this box has no speakers configured', 'speakers'), 'speak', '本终端没有配置喇叭'],
      [refusal(409, 'conflict', 'this box has no LED boards configured', 'boards'), 'led', '本终端没有配置 LED 屏'],
      [refusal(400, 'bad_request', 'Too big: expected number to be <=1440', 'minutes'), 'led', '显示时长须为 1 至 1440 分钟'],
      [refusal(0, 'network', 'Failed to fetch'), 'speak', '无法连接终端，没有发送'],
      [refusal(403, 'forbidden', 'operator role required'), 'speak', '没有权限'],
      [refusal(403, 'csrf', 'missing CSRF token'), 'speak', '登录已过期，请重新登录'],
    ];
    for (const [err, target, text] of cases) expect(broadcastError(err, target), err.message).toEqual({ text });
  });

  it('an unknown refusal: 播报失败 with the status, the daemon\'s text kept aside as raw', () => {
    expect(broadcastError(refusal(500, 'internal', 'internal error; the daemon log has the details'), 'speak')).toEqual({ text: '播报失败（500）', raw: 'internal error; the daemon log has the details' });
    expect(broadcastError(refusal(502, 'http_502', 'Bad Gateway'), 'led')).toEqual({ text: '发送到 LED 屏失败（502）', raw: 'Bad Gateway' });
  });
});

describe('scheduledOnAir: the scheduled programme a loudspeaker plays, from GET /station', () => {
  // An answer as GET /station gives it (typed by the contract): the village speaker plays the
  // 08:00 weather programme, the school one an alarm with the programme waiting behind it, the third nothing.
  const programme = (id: string, title: string) => ({ id, title, cron: '0 8 * * *', timeZone: 'Asia/Shanghai', speakers: null, source: { text: title }, next: null, last: null });
  const scheduled = (id: string, title: string | null) => ({ key: `scheduled:${id}`, kind: 'scheduled' as const, about: null, level: null, title });
  const station: StationView = {
    speakers: [
      { id: 'village', playing: scheduled('weather', '天气预报'), waiting: [] },
      { id: 'school', playing: { key: 'mason-1', kind: 'alarm', about: 'mason-1', level: 'evacuate', title: '立即转移' }, waiting: [scheduled('weather', '天气预报')] },
      { id: 'bridge', playing: null, waiting: [] },
      { id: 'market', playing: scheduled('news', null), waiting: [] },
    ],
    programmes: [programme('weather', '天气预报'), programme('news', '新闻联播')],
  };

  it('names the programme on the air, and only a scheduled one', () => {
    expect(scheduledOnAir(station, 'village')).toEqual({ id: 'weather', title: '天气预报' });
    expect(scheduledOnAir(station, 'school')).toBeUndefined();
    expect(scheduledOnAir(station, 'bridge')).toBeUndefined();
    expect(scheduledOnAir(station, 'nowhere')).toBeUndefined();
    expect(scheduledOnAir(null, 'village')).toBeUndefined();
  });

  it('takes the schedule\'s title when the queue entry has none', () => {
    expect(scheduledOnAir(station, 'market')).toEqual({ id: 'news', title: '新闻联播' });
  });

  it('labels it 正在播放：<title>（定时节目）', () => {
    expect(scheduledOnAirText(station, 'village')).toBe('正在播放：天气预报（定时节目）');
    expect(scheduledOnAirText(station, 'bridge')).toBeUndefined();
  });
});
