import { afterEach, describe, expect, it } from 'vitest';
import type { SmsDelivery } from './api.js';
import { setLang } from './i18n.js';
import { SMS_REPORT_WAIT_MS, smsLines, smsUnsettled } from './sms-view.js';

function english(on: boolean): void {
  (globalThis as { document?: unknown }).document = { documentElement: {}, title: '' };
  setLang(on ? 'en' : 'zh-CN');
}
afterEach(() => english(false));

const row = (over: Partial<SmsDelivery>): SmsDelivery => ({
  id: 1, alarmId: 3, transitionId: 7, personId: 'zhang', name: '张村长', phone: '+8613800138001', event: 'evacuate', drill: false,
  text: '【防汛预警】清水河站立即转移', state: 'delivered', attempts: 1, createdAt: 0, updatedAt: 0, ...over,
});

describe('SMS in the alarm history', () => {
  it('shows each recipient of a transition with 已发送 / 已送达 / 失败, the error on hover', () => {
    english(false);
    const alarm = { sms: [row({}), row({ id: 2, name: '李主任', state: 'failed', errorCode: 'cms_error', error: 'congestion' }), row({ id: 3, transitionId: 8, state: 'sent' })] };
    const lines = smsLines(alarm, 7);
    expect(lines.map((l) => [l.who, l.state, l.tone])).toEqual([['张村长', '已送达', 'ok'], ['李主任', '失败', 'bad']]);
    expect(lines[1]!.title).toContain('cms_error congestion');
    expect(smsLines(alarm, 8).map((l) => l.state)).toEqual(['已发送']);
    expect(smsLines({}, 7)).toEqual([]);
    english(true);
    expect(smsLines({ sms: [row({ state: 'suppressed', reason: 'daily cap: 200 of 200' })] }, 7)[0]).toMatchObject({ state: 'not sent (limit)', title: expect.stringContaining('daily cap') });
  });

  it('is unsettled while an SMS is queued or waits for its delivery report, not once every one is final or the wait is over', () => {
    const now = 1_000_000_000;
    expect(smsUnsettled({ sms: [row({}), row({ id: 2, state: 'queued' })] }, now)).toBe(true);
    expect(smsUnsettled({ sms: [row({ state: 'sent', updatedAt: now - 5_000 })] }, now)).toBe(true);
    expect(smsUnsettled({ sms: [row({ state: 'sent', updatedAt: now - SMS_REPORT_WAIT_MS })] }, now)).toBe(false);
    expect(smsUnsettled({ sms: [row({}), row({ id: 2, state: 'failed' }), row({ id: 3, state: 'suppressed' })] }, now)).toBe(false);
    expect(smsUnsettled({}, now)).toBe(false);
  });
});
