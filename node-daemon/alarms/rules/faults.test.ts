import { describe, expect, it } from 'vitest';
import type { Reading } from '../../core/types.js';
import type { FaultEvent } from './events.js';
import { initialFaultState, isFaulted, stepFaults, type FaultState } from './faults.js';
import { faultRulesSchema } from './schema.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 6, 1, 0, 0);
const cfg = faultRulesSchema.parse({ commLostMs: 10 * MIN, stuckAfterMs: 60 * MIN, stuckToleranceM: 0.005, jumpM: 1, jumpClearSamples: 3, minM: 0, maxM: 20 });

const good = (sensorId: string, ts: number, value: number): Reading => ({ sensorId, ts, value, quality: 'good' });

describe('sensor faults', () => {
  it('raises comm_lost on a tick once no good reading came for commLostMs, and clears on the next good one', () => {
    let s = stepFaults(cfg, initialFaultState('s1', T0), { kind: 'reading', reading: good('s1', T0, 2) }, T0).state;
    s = stepFaults(cfg, s, { kind: 'reading', reading: { sensorId: 's1', ts: T0 + 5 * MIN, value: null, quality: 'comm_fail' } }, T0 + 5 * MIN).state;
    expect(stepFaults(cfg, s, { kind: 'tick' }, T0 + 10 * MIN).events).toEqual([]);
    const lost = stepFaults(cfg, s, { kind: 'tick' }, T0 + 10 * MIN + 1);
    expect(lost.events).toMatchObject([{ type: 'fault_raise', key: 'fault:comm_lost:s1', fault: 'comm_lost', cause: { readingTs: T0 } }]);
    const back = stepFaults(cfg, lost.state, { kind: 'reading', reading: good('s1', T0 + 30 * MIN, 2.01) }, T0 + 30 * MIN);
    expect(back.events.map((e) => e.type)).toEqual(['fault_clear']);
    expect(back.usable).toEqual({ sensorId: 's1', ts: T0 + 30 * MIN, value: 2.01 });
  });

  it('a sensor never heard from is comm_lost after commLostMs from start', () => {
    expect(stepFaults(cfg, initialFaultState('s1', T0), { kind: 'tick' }, T0 + 11 * MIN).events).toMatchObject([{ fault: 'comm_lost' }]);
  });

  function twoSensors(a: (i: number) => number, b: (i: number) => number, n: number) {
    let sa: FaultState = initialFaultState('a', T0);
    let sb: FaultState = initialFaultState('b', T0);
    const events: FaultEvent[] = [];
    for (let i = 0; i < n; i++) {
      const ts = T0 + i * 5 * MIN;
      const ra = stepFaults(cfg, sa, { kind: 'reading', reading: good('a', ts, a(i)) }, ts, [sb]);
      sa = ra.state;
      const rb = stepFaults(cfg, sb, { kind: 'reading', reading: good('b', ts, b(i)) }, ts, [sa]);
      sb = rb.state;
      events.push(...ra.events, ...rb.events);
    }
    return { sa, sb, events };
  }

  it('raises stuck when a value stays put while the neighbour moves', () => {
    const { events, sa } = twoSensors(() => 3.21, (i) => 3 + i * 0.01, 20);
    expect(events).toMatchObject([{ type: 'fault_raise', fault: 'stuck', sensorId: 'a', ts: T0 + 60 * MIN }]);
    expect(isFaulted(sa)).toBe(true);
  });

  it('does not call a calm river stuck when the neighbour is calm too', () => {
    expect(twoSensors(() => 3.21, () => 3.1, 40).events).toEqual([]);
  });

  it('stuck clears when the value moves again', () => {
    const { events } = twoSensors((i) => (i < 20 ? 3.21 : 3.3), (i) => 3 + i * 0.01, 22);
    expect(events.map((e) => `${e.type}:${e.fault}`)).toEqual(['fault_raise:stuck', 'fault_clear:stuck']);
  });

  function series(values: number[]) {
    let s = initialFaultState('s1', T0);
    const events: Array<FaultEvent & { i: number }> = [];
    const usable: boolean[] = [];
    values.forEach((v, i) => {
      const ts = T0 + i * 5 * MIN;
      const r = stepFaults(cfg, s, { kind: 'reading', reading: good('s1', ts, v) }, ts);
      s = r.state;
      events.push(...r.events.map((e) => ({ ...e, i })));
      usable.push(r.usable !== null);
    });
    return { events, usable };
  }

  it('a spike is a jump fault and its samples are excluded until readings are consistent again', () => {
    const { events, usable } = series([2, 2, 6, 2, 2, 2, 2, 2]);
    expect(events.map((e) => [e.type, e.fault, e.i])).toEqual([
      ['fault_raise', 'jump', 2],
      ['fault_clear', 'jump', 6],
    ]);
    expect(usable).toEqual([true, true, false, false, false, false, true, true]);
  });

  it('a real step is accepted after jumpClearSamples consistent samples', () => {
    const { events } = series([2, 2, 4, 4.1, 4.2, 4.3]);
    expect(events.map((e) => [e.type, e.i])).toEqual([['fault_raise', 2], ['fault_clear', 5]]);
  });

  it('flags out-of-range values and readings the driver marked out_of_range', () => {
    const { events, usable } = series([2, 25, 2]);
    expect(events.map((e) => [e.type, e.fault])).toEqual([['fault_raise', 'out_of_range'], ['fault_clear', 'out_of_range']]);
    expect(usable).toEqual([true, false, true]);
    const r = stepFaults(cfg, initialFaultState('s1', T0), { kind: 'reading', reading: { sensorId: 's1', ts: T0, value: null, quality: 'out_of_range', detail: '4-20 mA loop below 3.8 mA' } }, T0);
    expect(r.events).toMatchObject([{ fault: 'out_of_range', cause: { detail: '4-20 mA loop below 3.8 mA' } }]);
    expect(r.usable).toBeNull();
  });

  it('does not compare across a silence longer than commLostMs (no jump after a gap)', () => {
    let s = stepFaults(cfg, initialFaultState('s1', T0), { kind: 'reading', reading: good('s1', T0, 12) }, T0).state;
    const r = stepFaults(cfg, s, { kind: 'reading', reading: good('s1', T0 + 41 * 60 * MIN, 2.7) }, T0 + 41 * 60 * MIN);
    s = r.state;
    expect(r.events.filter((e) => e.fault === 'jump')).toEqual([]);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});
