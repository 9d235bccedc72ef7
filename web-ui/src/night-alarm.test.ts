// Issue 10 items 6 and 7, the pure parts: which 立即转移 alarms the red strip names, what the action dialogs and the
// manual alarm send (`by` only when someone is named), and what 停止鸣响 says it does.
import { describe, expect, it } from 'vitest';
import { ackedStateKey, ackSilences, ackText, actionBody, evacuateStrip, manualBody, stopEffects, stripStateKey } from './night-alarm.js';

type S = 'active' | 'acknowledged' | 'cleared';
const alarm = (id: number, level: 'prepare' | 'evacuate' | null, state: S, drill = false, raisedAt = id * 1000) => ({
  id,
  level,
  state,
  drill,
  raisedAt,
  title: `${drill ? '【演练】' : ''}站${id} ${level === 'evacuate' ? '立即转移' : '准备转移'}`,
});

describe('evacuateStrip', () => {
  it('is absent without an open 立即转移 alarm (准备转移, faults and cleared ones do not count)', () => {
    expect(evacuateStrip([])).toBeUndefined();
    expect(evacuateStrip([alarm(1, 'prepare', 'active'), alarm(2, null, 'active'), alarm(3, 'evacuate', 'cleared')])).toBeUndefined();
  });

  it('stays while the alarm is acknowledged, and then says the siren stopped', () => {
    expect(evacuateStrip([alarm(1, 'evacuate', 'active')])).toEqual({ drill: false, acknowledged: false, titles: ['站1 立即转移'], drillsToo: false });
    expect(evacuateStrip([alarm(1, 'evacuate', 'acknowledged')])).toMatchObject({ drill: false, acknowledged: true });
  });

  it('names real alarms before drills; with drills only it is a drill strip (the 【演练】 mark left to the chip)', () => {
    const both = [alarm(1, 'evacuate', 'active', true), alarm(2, 'evacuate', 'acknowledged')];
    expect(evacuateStrip(both)).toEqual({ drill: false, acknowledged: true, titles: ['站2 立即转移'], drillsToo: true });
    expect(evacuateStrip([alarm(1, 'evacuate', 'acknowledged', true)])).toEqual({ drill: true, acknowledged: true, titles: ['站1 立即转移'], drillsToo: false });
  });

  it('is acknowledged only when every one it names is acknowledged; oldest first', () => {
    const list = [alarm(5, 'evacuate', 'active'), alarm(2, 'evacuate', 'acknowledged')];
    expect(evacuateStrip(list)).toEqual({ drill: false, acknowledged: false, titles: ['站2 立即转移', '站5 立即转移'], drillsToo: false });
  });
});

describe('what the dialogs send', () => {
  it('actionBody: `by` and note only when filled (trimmed), minutes when given; never the account name', () => {
    expect(actionBody({ by: '', note: '' })).toEqual({});
    expect(actionBody({ by: '  ', note: ' 已通知 ' })).toEqual({ note: '已通知' });
    expect(actionBody({ by: ' 李镇长 ', note: '', minutes: 30 })).toEqual({ by: '李镇长', minutes: 30 });
  });

  it('manualBody: the choices as made, `by`, site and message only when given', () => {
    expect(manualBody({ kind: 'drill', level: 'evacuate', siteId: '', message: ' ', by: '' })).toEqual({ level: 'evacuate', drill: true });
    expect(manualBody({ kind: 'real', level: 'prepare', siteId: 'mason', message: '请转移', by: '县长' })).toEqual({ level: 'prepare', drill: false, siteId: 'mason', message: '请转移', by: '县长' });
  });

  it('manualBody: nothing to send until drill-or-real and the level are both chosen', () => {
    expect(manualBody({ kind: undefined, level: 'evacuate', siteId: '', message: '', by: '' })).toBeUndefined();
    expect(manualBody({ kind: 'real', level: undefined, siteId: '', message: '', by: '' })).toBeUndefined();
  });
});

describe('stopEffects', () => {
  it('a level alarm: siren and voice stop, LED and strobe stay, the alarm stays open (evacuation goes on / may sound again)', () => {
    expect(stopEffects('evacuate', true)).toEqual([
      ['stopSirenStopsHead', 'stopSirenStops'],
      ['stopSirenStaysHead', 'stopSirenStays'],
      ['stopSirenOpenHead', 'stopSirenOpenEvacuate'],
    ]);
    expect(stopEffects('prepare', true)[2]).toEqual(['stopSirenOpenHead', 'stopSirenOpenPrepare']);
  });
  it('a fault never sounded the siren: only the screens\' beep stops', () => {
    expect(stopEffects(null, undefined)).toEqual([
      ['stopSirenStopsHead', 'stopSirenFaultStops'],
      ['stopSirenOpenHead', 'stopSirenFaultOpen'],
    ]);
  });
});

describe('what acknowledging says it does follows the plan\'s silenceOnAck (GET /outputs)', () => {
  const outputs = { silenceOnAck: { prepare: true, evacuate: false } };
  it('ackSilences: per level from /outputs; unknown before the outputs are loaded; a fault only ever beeped', () => {
    expect(ackSilences(outputs, 'prepare')).toBe(true);
    expect(ackSilences(outputs, 'evacuate')).toBe(false);
    expect(ackSilences(undefined, 'evacuate')).toBeUndefined();
    expect(ackSilences(null, 'prepare')).toBeUndefined();
    expect(ackSilences(undefined, null)).toBe(true);
  });
  it('a level whose plan does not silence: recorded as seen, siren and voice continue, LED and strobe stay, the alarm stays open', () => {
    expect(stopEffects('evacuate', false)).toEqual([
      ['ackSeenRecordsHead', 'ackSeenRecords'],
      ['ackSeenContinuesHead', 'ackSeenContinues'],
      ['stopSirenStaysHead', 'stopSirenStays'],
      ['stopSirenOpenHead', 'stopSirenOpenEvacuate'],
    ]);
    expect(stopEffects('prepare', false)[3]).toEqual(['stopSirenOpenHead', 'ackSeenOpenPrepare']);
    expect(ackText('evacuate', false)).toEqual({ title: 'ackSeenTitle', submit: 'ackSeenSubmit' });
    expect(ackedStateKey(false)).toBe('ackedSounding');
    expect(stripStateKey({ acknowledged: true }, false)).toBe('ackedSounding');
  });
  it('the plan silences: 停止鸣响 as before', () => {
    expect(ackText('evacuate', true)).toEqual({ title: 'stopSirenTitle', submit: 'stopSirenSubmit' });
    expect(ackText(null, undefined)).toEqual({ title: 'stopBeepTitle', submit: 'stopBeepSubmit' });
    expect(ackedStateKey(true)).toBe('alarmState_acknowledged');
    expect(stripStateKey({ acknowledged: true }, true)).toBe('stripSilenced');
    expect(stripStateKey({ acknowledged: false }, true)).toBe('stripSounding');
    expect(stripStateKey({ acknowledged: false }, false)).toBe('stripSounding');
  });
  it('unknown: neither "stops" nor "continues"', () => {
    const keys = ([] as string[]).concat(...stopEffects('evacuate', undefined));
    expect(keys).toEqual(['ackSeenRecordsHead', 'ackSeenRecords', 'ackUnknownSoundHead', 'ackUnknownSound', 'stopSirenStaysHead', 'stopSirenStays', 'stopSirenOpenHead', 'stopSirenOpenEvacuate']);
    expect(keys).not.toContain('stopSirenStops');
    expect(keys).not.toContain('ackSeenContinues');
    expect(stopEffects('prepare', undefined)[3]).toEqual(['stopSirenOpenHead', 'ackSeenOpenPrepare']);
    expect(ackText('prepare', undefined)).toEqual({ title: 'ackSeenTitle', submit: 'ackSeenSubmit' });
    expect(ackedStateKey(undefined)).toBe('ackedSeen');
    expect(stripStateKey({ acknowledged: true }, undefined)).toBe('ackedSeen');
  });
});
