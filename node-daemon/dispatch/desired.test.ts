import { describe, expect, it } from 'vitest';
import type { AlarmKind, AlarmLevel, AlarmState, AlarmTransition } from '../alarms/types.js';
import { desiredOutputs, type DesiredContext, type DispatchAlarm } from './desired.js';
import { dispatchPlanSchema } from './plan-schema.js';

const plans = dispatchPlanSchema.parse({});
// 2024-07-01 10:05 in Asia/Shanghai
const T0 = Date.UTC(2024, 6, 1, 2, 5, 0);
const ctx: DesiredContext = { timeZone: 'Asia/Shanghai', siteNames: { qingshui: '清水河', baishi: '白石' } };

let nextId = 1;
function alarm(over: Partial<DispatchAlarm> & { kind?: AlarmKind; level?: AlarmLevel | null; state?: AlarmState } = {}): DispatchAlarm {
  const id = nextId++;
  return {
    id,
    key: `flood:qingshui`,
    kind: 'flood',
    siteId: 'qingshui',
    level: 'evacuate',
    drill: false,
    state: 'active',
    title: '清水河站 立即转移',
    raisedAt: T0,
    updatedAt: T0,
    ...over,
  };
}

const transition = (type: AlarmTransition['type'], ts: number, level: AlarmLevel | null, value?: number): AlarmTransition => ({
  id: nextId++,
  alarmId: 0,
  ts,
  type,
  level,
  cause: value === undefined ? {} : { value, sensorId: 'river' },
});

describe('desiredOutputs: which alarms drive outputs', () => {
  const cases: { name: string; alarms: DispatchAlarm[]; relays: string[]; led: string | null; programmes: string[] }[] = [
    { name: 'nothing active', alarms: [], relays: [], led: null, programmes: [] },
    {
      name: 'evacuate active: all evacuate relays, siren programme, LED text',
      alarms: [alarm()],
      relays: ['amplifier', 'siren', 'strobe'],
      led: '清水河 立即转移！10:05',
      programmes: ['flood:qingshui/evacuate'],
    },
    {
      name: 'prepare active',
      alarms: [alarm({ level: 'prepare' })],
      relays: ['amplifier', 'strobe'],
      led: '清水河 准备转移 10:05',
      programmes: ['flood:qingshui/prepare'],
    },
    {
      name: 'acknowledged evacuate with silenceOnAck: strobe and LED stay, no sound, no siren',
      alarms: [alarm({ state: 'acknowledged' })],
      relays: ['strobe'],
      led: '清水河 立即转移！10:05',
      programmes: [],
    },
    {
      name: 'sensor faults and output faults drive nothing',
      alarms: [
        alarm({ key: 'fault:comm_lost:river', kind: 'fault', level: null }),
        alarm({ key: 'output_fault:led-1', kind: 'output_fault', level: null }),
      ],
      relays: [],
      led: null,
      programmes: [],
    },
    {
      name: 'a cleared alarm drives nothing',
      alarms: [alarm({ state: 'cleared', clearedAt: T0 + 1 })],
      relays: [],
      led: null,
      programmes: [],
    },
    {
      name: 'a county alarm without a level drives nothing; manual and county with a level do',
      alarms: [
        alarm({ key: 'county:x', kind: 'county', level: null }),
        alarm({ key: 'manual:baishi', kind: 'manual', siteId: 'baishi', level: 'prepare' }),
        alarm({ key: 'county:y', kind: 'county', siteId: 'baishi', level: 'prepare', raisedAt: T0 + 60_000 }),
      ],
      relays: ['amplifier', 'strobe'],
      led: '白石 准备转移 10:05　白石 准备转移 10:06',
      programmes: ['manual:baishi/prepare', 'county:y/prepare'],
    },
    {
      name: 'the highest level wins the relays; the LED lists the most urgent first',
      alarms: [alarm({ key: 'flood:baishi', siteId: 'baishi', level: 'prepare' }), alarm({ raisedAt: T0 + 60_000 })],
      relays: ['amplifier', 'siren', 'strobe'],
      led: '清水河 立即转移！10:06　白石 准备转移 10:05',
      programmes: ['flood:qingshui/evacuate', 'flood:baishi/prepare'],
    },
    {
      name: 'an acknowledged evacuate and a sounding prepare: strobe from evacuate, amplifier from the prepare, no siren',
      alarms: [alarm({ state: 'acknowledged' }), alarm({ key: 'flood:baishi', siteId: 'baishi', level: 'prepare' })],
      relays: ['amplifier', 'strobe'],
      led: '清水河 立即转移！10:05　白石 准备转移 10:05',
      programmes: ['flood:baishi/prepare'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = desiredOutputs(c.alarms, plans, T0, ctx);
      expect(d.relays).toEqual(c.relays);
      expect(d.ledText).toBe(c.led);
      expect(d.programmes.map((p) => `${p.key}/${p.cls}`)).toEqual(c.programmes);
    });
  }
});

describe('desiredOutputs: texts and programmes', () => {
  it('marks a drill 【演练】 in the spoken message and on the LED', () => {
    const d = desiredOutputs([alarm({ key: 'manual:qingshui:drill', kind: 'manual', drill: true })], plans, T0, ctx);
    expect(d.ledText).toBe('【演练】清水河 立即转移！10:05');
    expect(d.programmes[0]?.message.startsWith('【演练】紧急通知：清水河')).toBe(true);
    expect(d.programmes[0]).toMatchObject({ drill: true, sirenPattern: 'evacuate', repeat: 3, intervalS: 20, oneShot: false });
  });

  it('speaks the manual template for a drill or county alarm (no reading to quote), for 全镇 when it names no site', () => {
    const drill = alarm({ key: 'manual:all', kind: 'manual', drill: true, siteId: undefined });
    const d = desiredOutputs([drill], plans, T0, ctx);
    expect(d.programmes[0]?.message).toBe('【演练】紧急通知：全镇发布立即转移指令（10:05），请沿河群众立即转移！');
    expect(d.ledText).toBe('【演练】全镇 立即转移！10:05');
    const county = alarm({ key: 'county:42', kind: 'county', level: 'prepare' });
    expect(desiredOutputs([county], plans, T0, ctx).programmes[0]?.message).toBe('注意：清水河发布准备转移预警（10:05），请沿河群众做好转移准备。');
    const own = dispatchPlanSchema.parse({ evacuate: { message: 'm', manualMessage: '{site}：请立即撤离', ledText: 'l' } });
    expect(desiredOutputs([drill], own, T0, ctx).programmes[0]?.message).toBe('【演练】全镇：请立即撤离');
  });

  it('takes time, value and sensor from the transition that set the level, not from the acknowledgement', () => {
    const a = alarm({
      state: 'active',
      transitions: [transition('raised', T0, 'prepare', 2.5), transition('escalated', T0 + 5 * 60_000, 'evacuate', 3.456)],
    });
    const d = desiredOutputs([a], plans, T0 + 20 * 60_000, ctx);
    expect(d.ledText).toBe('清水河 立即转移！10:10');
    expect(d.programmes[0]?.message).toBe('紧急通知：清水河水位已达立即转移水位（3.46米，10:10），请沿河群众立即转移！');
    const acked = { ...a, state: 'acknowledged' as const, transitions: [...(a.transitions ?? []), transition('acknowledged', T0 + 15 * 60_000, 'evacuate')] };
    expect(desiredOutputs([acked], plans, T0 + 20 * 60_000, ctx).ledText).toBe('清水河 立即转移！10:10');
  });

  it('without history the value reads — and the time is the raise', () => {
    const d = desiredOutputs([alarm({ level: 'prepare' })], plans, T0, ctx);
    expect(d.programmes[0]?.message).toBe('注意：清水河水位已达准备转移水位（—米，10:05），请沿河群众做好转移准备。');
  });

  it('changes the programme signature on escalation, keeps it across an unrelated re-derive', () => {
    const prep = desiredOutputs([alarm({ level: 'prepare' })], plans, T0, ctx).programmes[0]!;
    const again = desiredOutputs([alarm({ level: 'prepare' })], plans, T0 + 60_000, ctx).programmes[0]!;
    const evac = desiredOutputs([alarm({ level: 'evacuate' })], plans, T0, ctx).programmes[0]!;
    expect(again.signature).toBe(prep.signature);
    expect(evac.signature).not.toBe(prep.signature);
  });

  it('keeps sounding an acknowledged alarm whose plan does not silence on ack', () => {
    const loud = dispatchPlanSchema.parse({ evacuate: { relays: ['siren', 'strobe'], message: 'm', ledText: 'l', silenceOnAck: false } });
    const d = desiredOutputs([alarm({ state: 'acknowledged' })], loud, T0, ctx);
    expect(d.relays).toEqual(['siren', 'strobe']);
    expect(d.programmes).toHaveLength(1);
    expect(d.driving).toEqual([{ key: 'flood:qingshui', level: 'evacuate', silenced: false }]);
  });

  it('treats the relays named as sound relays as sound, the rest as visual', () => {
    const d = desiredOutputs([alarm({ state: 'acknowledged' })], plans, T0, { ...ctx, soundRelays: ['siren'] });
    expect(d.relays).toEqual(['amplifier', 'strobe']);
  });

  it('a shelved alarm drives nothing until the shelve ends', () => {
    const a = alarm({ shelvedUntil: T0 + 60_000 });
    expect(desiredOutputs([a], plans, T0, ctx).relays).toEqual([]);
    expect(desiredOutputs([a], plans, T0 + 60_000, ctx).relays).toEqual(['amplifier', 'siren', 'strobe']);
  });

  it('an all-clear plays once (below any alarm) and shows on the LED while nothing else does', () => {
    const cleared = alarm({ state: 'cleared', clearedAt: T0 + 30 * 60_000 });
    const allClears = [{ alarm: cleared, clearedAt: T0 + 30 * 60_000, showUntil: T0 + 40 * 60_000 }];
    const d = desiredOutputs([], plans, T0 + 31 * 60_000, { ...ctx, allClears });
    expect(d.relays).toEqual([]);
    expect(d.ledText).toBe('清水河 警报解除 10:35');
    expect(d.programmes).toEqual([
      expect.objectContaining({ key: 'allclear:flood:qingshui', cls: 'county', sirenPattern: 'allClear', message: '清水河警报解除。', repeat: 1, oneShot: true, level: null }),
    ]);
    // another site still sounding: its text wins the LED, the all-clear waits below it in the queue
    const other = alarm({ key: 'flood:baishi', siteId: 'baishi', level: 'prepare' });
    const both = desiredOutputs([other], plans, T0 + 31 * 60_000, { ...ctx, allClears });
    expect(both.ledText).toBe('白石 准备转移 10:05');
    expect(both.programmes.map((p) => p.key)).toEqual(['flood:baishi', 'allclear:flood:qingshui']);
    // after the display time the LED is blank
    expect(desiredOutputs([], plans, T0 + 40 * 60_000, { ...ctx, allClears }).ledText).toBeNull();
    // the same key sounding again replaces its all-clear
    const again = desiredOutputs([alarm()], plans, T0 + 32 * 60_000, { ...ctx, allClears });
    expect(again.programmes.map((p) => p.key)).toEqual(['flood:qingshui']);
  });

  it('marks a drill all-clear too', () => {
    const cleared = alarm({ kind: 'flood', drill: true, state: 'cleared' });
    const d = desiredOutputs([], plans, T0, { ...ctx, allClears: [{ alarm: cleared, clearedAt: T0, showUntil: T0 + 1 }] });
    expect(d.ledText).toBe('【演练】清水河 警报解除 10:05');
    expect(d.programmes[0]?.message).toBe('【演练】清水河警报解除。');
  });

  it('names the sensor of the level-setting reading in {sensor}', () => {
    const custom = dispatchPlanSchema.parse({ evacuate: { relays: [], message: '{sensor} {value}', ledText: '{sensor}' } });
    const a = alarm({ transitions: [transition('raised', T0, 'evacuate', 3.2)] });
    expect(desiredOutputs([a], custom, T0, { ...ctx, sensorNames: { river: '清水河水位计' } }).ledText).toBe('清水河水位计');
    expect(desiredOutputs([a], custom, T0, ctx).programmes[0]?.message).toBe('river 3.20');
  });

  it('falls back to the site id when the site has no name', () => {
    const d = desiredOutputs([alarm({ siteId: 'xiaoxi' })], plans, T0, ctx);
    expect(d.ledText).toBe('xiaoxi 立即转移！10:05');
  });
});
