import { describe, expect, it } from 'vitest';
import { alarmSiteSchema } from '../alarms/rules/schema.js';
import { normalisePhone, smsSchema } from './config-schema.js';
import { admit, isPermanent, isTransportFailure, nextAttemptAt, recipientsFor, renderSms, sitesOf, smsEventOf, startOfLocalDay } from './sms-plan.js';

const site = alarmSiteSchema.parse({
  id: 'qsh',
  name: '清水河站',
  sensors: ['s1'],
  prepare: { levelM: 3.5 },
  evacuate: { levelM: 4.2 },
  notify: [{ group: 'leaders' }, { group: 'duty', levels: ['fault'] }],
});
const other = alarmSiteSchema.parse({ id: 'bsh', sensors: ['s2'], prepare: { levelM: 1 }, evacuate: { levelM: 2 }, notify: [{ group: 'duty' }] });
const sms = smsSchema.parse({
  transport: { modem: { path: '/dev/ttyUSB2' } },
  people: [
    { id: 'zhang', name: '张村长', phone: '138 0013 8000', roles: ['village-head'] },
    { id: 'li', name: '李主任', phone: '+8613900139000', roles: ['duty-officer'] },
    { id: 'wang', name: '王书记', phone: '0086-13800138000', roles: ['village-head'] },
  ],
  groups: [
    { id: 'leaders', roles: ['village-head'], people: ['li'] },
    { id: 'duty', roles: ['duty-officer'] },
  ],
});

describe('sms planning (pure)', () => {
  it('normalises phone numbers to E.164 and refuses others', () => {
    expect(normalisePhone('13800138000')).toBe('+8613800138000');
    expect(normalisePhone('0086 138-0013-8000')).toBe('+8613800138000');
    expect(normalisePhone('+85291234567')).toBe('+85291234567');
    expect(normalisePhone('12345')).toBeUndefined();
    expect(normalisePhone('23800138000')).toBeUndefined();
    expect(smsSchema.safeParse({ transport: { modem: { path: '/dev/x' } }, people: [{ id: 'a', name: 'a', phone: '110' }] }).success).toBe(false);
  });

  it('tells which transitions are worth an SMS', () => {
    expect(smsEventOf({ kind: 'flood', level: 'prepare' }, { type: 'raised', level: 'prepare' })).toBe('prepare');
    expect(smsEventOf({ kind: 'flood', level: 'evacuate' }, { type: 'escalated', level: 'evacuate' })).toBe('evacuate');
    expect(smsEventOf({ kind: 'flood', level: 'prepare' }, { type: 'cleared', level: 'prepare' })).toBe('all_clear');
    expect(smsEventOf({ kind: 'flood', level: 'prepare' }, { type: 'acknowledged', level: 'prepare' })).toBeNull();
    expect(smsEventOf({ kind: 'fault', level: null }, { type: 'raised', level: null })).toBe('fault');
    expect(smsEventOf({ kind: 'fault', level: null }, { type: 'cleared', level: null })).toBeNull();
    expect(smsEventOf({ kind: 'output_fault', level: null }, { type: 'raised', level: null })).toBeNull();
  });

  it('finds the recipients of the site\'s groups by id and role, once per number, only for the levels asked', () => {
    const { recipients } = recipientsFor('evacuate', sitesOf({ kind: 'flood', siteId: 'qsh' }, [site, other]), sms);
    // zhang and wang share a number (two spellings of it): one SMS.
    expect(recipients.map((r) => r.personId)).toEqual(['zhang', 'li']);
    expect(recipients[0]!.phone).toBe('+8613800138000');
    // duty only wants faults of qsh.
    expect(recipientsFor('fault', [site], sms).recipients.map((r) => r.personId)).toEqual(['zhang', 'li']);
    expect(recipientsFor('prepare', [other], sms).recipients.map((r) => r.personId)).toEqual(['li']);
    expect(sitesOf({ kind: 'fault', sensorId: 's2' }, [site, other]).map((s) => s.id)).toEqual(['bsh']);
    expect(sitesOf({ kind: 'manual' }, [site, other])).toHaveLength(2);
    expect(recipientsFor('prepare', [alarmSiteSchema.parse({ ...other, notify: [{ group: 'nope' }] })], sms).unknownGroups).toEqual(['nope']);
  });

  it('renders the water level, threshold and local time, and marks a drill', () => {
    const ctx = {
      event: 'evacuate' as const,
      alarm: { kind: 'flood' as const, level: 'evacuate' as const, drill: false, title: '清水河站 立即转移' },
      transition: { ts: Date.UTC(2026, 6, 1, 12, 5), level: 'evacuate' as const, cause: { value: 4.314 } },
      site,
      siteName: '清水河站',
      timeZone: 'Asia/Shanghai',
    };
    expect(renderSms(sms.templates, ctx)).toBe('【防汛预警】清水河站水位4.31米，已达立即转移水位4.20米（20:05），请立即组织沿河群众转移！');
    expect(renderSms(sms.templates, { ...ctx, alarm: { ...ctx.alarm, kind: 'manual', drill: true } })).toBe('【演练】【防汛预警】清水河站发布立即转移指令（20:05），请立即组织沿河群众转移！');
    expect(renderSms(sms.templates, { ...ctx, event: 'all_clear' })).toBe('【防汛预警】清水河站警报解除（20:05）。');
    const fellBack = { ...ctx, event: 'prepare' as const, transition: { ...ctx.transition, type: 'deescalated' as const, level: 'prepare' as const, cause: { value: 3.954 } } };
    expect(renderSms(sms.templates, fellBack)).toBe('【防汛预警】清水河站水位3.95米，已回落至立即转移水位以下（20:05），预警降为准备转移，已转移群众暂勿返回。');
    expect(renderSms(sms.templates, { ...fellBack, alarm: { ...ctx.alarm, kind: 'manual', drill: true } })).toBe('【演练】【防汛预警】清水河站发布准备转移指令（20:05），预警降为准备转移，已转移群众暂勿返回。');
    expect(renderSms(sms.templates, { ...fellBack, transition: { ...fellBack.transition, type: 'raised' as const } })).toContain('请组织沿河群众做好转移准备');
  });

  it('admits within the per-number rate limit and the daily cap, and says why not', () => {
    const limits = { perNumberPerHour: 2, dailyCap: 10 };
    expect(admit({ numberLastHour: 1, today: 9 }, limits)).toEqual({ admit: true });
    expect(admit({ numberLastHour: 2, today: 3 }, limits)).toMatchObject({ admit: false, reason: expect.stringContaining('rate limit') });
    expect(admit({ numberLastHour: 0, today: 10 }, limits)).toMatchObject({ admit: false, reason: expect.stringContaining('daily cap') });
  });

  it('counts the day from local midnight', () => {
    // 2026-07-01 01:30 in Shanghai is 2026-06-30 17:30 UTC; the day began at 16:00 UTC.
    expect(startOfLocalDay(Date.UTC(2026, 5, 30, 17, 30, 12, 345), 'Asia/Shanghai')).toBe(Date.UTC(2026, 5, 30, 16, 0));
  });

  it('retries transient failures with doubling backoff up to the cap, never permanent ones', () => {
    const policy = { attempts: 4, initialMs: 1_000, maxMs: 3_000 };
    const congestion = { code: 'cms_error', kind: 'network' };
    expect(nextAttemptAt(0, 1, congestion, policy)).toBe(1_000);
    expect(nextAttemptAt(0, 2, congestion, policy)).toBe(2_000);
    expect(nextAttemptAt(0, 3, congestion, policy)).toBe(3_000);
    expect(nextAttemptAt(0, 4, congestion, policy)).toBeNull();
    expect(nextAttemptAt(0, 1, { code: 'timeout', kind: 'modem' }, policy)).toBe(1_000);
    const badNumber = { code: 'cms_error', kind: 'destination' };
    expect(isPermanent(badNumber)).toBe(true);
    expect(nextAttemptAt(0, 1, badNumber, policy)).toBeNull();
    expect(nextAttemptAt(0, 1, { code: 'invalid_input', kind: 'destination' }, policy)).toBeNull();
    expect(isTransportFailure(badNumber)).toBe(false);
    expect(isTransportFailure({ code: 'no_sim', kind: 'sim' })).toBe(true);
  });
});
