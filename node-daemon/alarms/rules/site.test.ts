import { describe, expect, it } from 'vitest';
import type { RuleEvent } from './events.js';
import { alarmSiteSchema, type AlarmSiteConfig } from './schema.js';
import { initialSiteState, stepSite, type SiteInput, type SiteState } from './site.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 6, 1, 0, 0);

function site(over: Record<string, unknown> = {}): AlarmSiteConfig {
  return alarmSiteSchema.parse({
    id: 'qingshui',
    sensors: ['a', 'b'],
    prepare: { levelM: 3, debounce: { samples: 2 } },
    evacuate: { levelM: 4, debounce: { samples: 2 } },
    faults: { commLostMs: 20 * MIN, jumpM: 2 },
    ...over,
  });
}

/** Drives a site on a virtual clock: every 5 minutes each listed sensor reads its value, then a tick. */
class Harness {
  state: SiteState;
  now = T0;
  readonly events: RuleEvent[] = [];
  constructor(readonly cfg: AlarmSiteConfig) {
    this.state = initialSiteState(cfg, T0);
  }
  send(input: SiteInput): void {
    const step = stepSite(this.cfg, this.state, input, this.now);
    this.state = step.state;
    this.events.push(...step.events);
  }
  round(values: Record<string, number | null>): void {
    this.now += 5 * MIN;
    for (const [sensorId, value] of Object.entries(values)) {
      this.send({ kind: 'reading', reading: value === null ? { sensorId, ts: this.now, value, quality: 'comm_fail' } : { sensorId, ts: this.now, value, quality: 'good' } });
    }
    this.send({ kind: 'tick' });
  }
  rounds(n: number, values: (i: number) => Record<string, number | null>): void {
    for (let i = 0; i < n; i++) this.round(values(i));
  }
  flood(): string[] {
    return this.events.flatMap((e) => ('to' in e ? [`${e.type}:${e.to ?? '-'}`] : []));
  }
}

/** A tiny wobble so a live sensor is never "stuck". */
const live = (i: number, v: number) => v + (i % 2) * 0.01;

describe('site combiner', () => {
  it('raises, escalates, de-escalates and clears the site flood alarm with causes', () => {
    const h = new Harness(site({ sensors: ['a'] }));
    const levels = [2, 3.1, 3.2, 4.1, 4.2, 4.3, 3.5, 3.4, 2.5, 2.4, 2.3];
    h.rounds(levels.length, (i) => ({ a: live(i, levels[i]!) }));
    expect(h.flood()).toEqual(['raise:prepare', 'escalate:evacuate', 'deescalate:prepare', 'clear:-']);
    const raise = h.events.find((e) => e.type === 'raise')!;
    expect(raise).toMatchObject({ key: 'flood:qingshui', siteId: 'qingshui', cause: { rule: 'level.prepare', sensorId: 'a', readingTs: T0 + 3 * 5 * MIN } });
  });

  it('any: one sensor at evacuate is enough', () => {
    const h = new Harness(site({ evacuateRequires: 'any' }));
    h.rounds(4, (i) => ({ a: live(i, 4.5), b: live(i, 3.5) }));
    expect(h.state.level).toBe('evacuate');
  });

  it('all: both sensors must be at evacuate; one at prepare holds the site at prepare', () => {
    const h = new Harness(site({ evacuateRequires: 'all' }));
    h.rounds(4, (i) => ({ a: live(i, 4.5), b: live(i, 3.5) }));
    expect(h.flood()).toEqual(['raise:prepare']);
    h.rounds(3, (i) => ({ a: live(i, 4.5), b: live(i, 4.2) }));
    expect(h.flood()).toEqual(['raise:prepare', 'escalate:evacuate']);
  });

  it('all: a sensor in fault does not block evacuation by the healthy one', () => {
    const h = new Harness(site({ evacuateRequires: 'all' }));
    h.rounds(3, (i) => ({ a: live(i, 2.6), b: live(i, 2.6) }));
    h.rounds(6, (i) => ({ a: live(i, 4.5), b: null }));
    expect(h.events.map((e) => `${e.type}:${e.key}`)).toEqual(['raise:flood:qingshui', 'fault_raise:fault:comm_lost:b', 'escalate:flood:qingshui']);
  });

  it('a faulty sensor neither raises nor clears: a jumping sensor is excluded, the alarm it held stays', () => {
    const h = new Harness(site({ sensors: ['a'] }));
    h.rounds(3, (i) => ({ a: live(i, 3.5) }));
    expect(h.state.level).toBe('prepare');
    // A sudden 3 m drop (the sensor fell off its mount) must not clear the alarm, nor the junk that follows.
    h.rounds(1, () => ({ a: 0.4 }));
    h.rounds(1, () => ({ a: 3.4 }));
    h.rounds(1, () => ({ a: 0.4 }));
    expect(h.events.map((e) => e.type)).toEqual(['raise', 'fault_raise']);
    expect(h.state.level).toBe('prepare');
    // And a stuck sensor's readings of a high value must not escalate.
    const s = new Harness(site());
    s.rounds(30, (i) => ({ a: 2.5, b: live(i, 2.0 + i * 0.01) }));
    expect(s.events.map((e) => `${e.type}:${e.key}`)).toEqual(['fault_raise:fault:stuck:a']);
    expect(s.state.sensors['a']!.prepare.active).toBe(false);
  });

  it('latching: evacuate stays until acknowledged, then falls to what the water says', () => {
    const h = new Harness(site({ sensors: ['a'], evacuate: { levelM: 4, debounce: { samples: 2 }, latch: true } }));
    h.rounds(3, (i) => ({ a: live(i, 4.5) }));
    h.rounds(10, (i) => ({ a: live(i, 3.2) }));
    expect(h.state.level).toBe('evacuate');
    expect(h.flood()).toEqual(['raise:evacuate']);
    h.send({ kind: 'ack', by: 'zhang' });
    expect(h.flood()).toEqual(['raise:evacuate', 'deescalate:prepare']);
    expect(h.events[h.events.length - 1]!.cause).toEqual({ rule: 'ack', detail: 'acknowledged by zhang' });
    h.rounds(3, (i) => ({ a: live(i, 2) }));
    expect(h.flood()).toEqual(['raise:evacuate', 'deescalate:prepare', 'clear:-']);
  });

  it('rain alone can raise the site, and its state survives a JSON round trip mid-event', () => {
    const cfg = site({ sensors: ['a'], rainfall: { gauge: { id: 'rain-1', input: 'tips', mmPerTip: 0.5 }, h1: { prepareMm: 30, evacuateMm: 40 } } });
    const h = new Harness(cfg);
    for (let i = 0; i < 8; i++) {
      h.now += 5 * MIN;
      h.send({ kind: 'rain_tips', gaugeId: 'rain-1', ts: h.now, tips: 10 });
      h.send({ kind: 'reading', reading: { sensorId: 'a', ts: h.now, value: live(i, 1), quality: 'good' } });
      h.state = JSON.parse(JSON.stringify(h.state)) as SiteState;
    }
    expect(h.flood()).toEqual(['raise:prepare', 'escalate:evacuate']);
    expect(h.events.find((e) => e.type === 'raise')!.cause).toMatchObject({ rule: 'rain.h1', sensorId: 'rain-1', value: 30 });
  });

  it('rate of rise raises the configured level before any threshold is reached', () => {
    const h = new Harness(site({ sensors: ['a'], rateOfRise: { riseM: 0.5, windowMs: 30 * MIN, raises: 'prepare' } }));
    h.rounds(8, (i) => ({ a: live(i, 1) }));
    h.rounds(6, (i) => ({ a: 1 + 0.15 * (i + 1) }));
    expect(h.flood()).toEqual(['raise:prepare']);
    expect(h.events.find((e) => e.type === 'raise')!.cause.rule).toBe('rate_of_rise');
  });

  it('ignores readings of sensors that are not the site\'s', () => {
    const h = new Harness(site());
    const before = h.state;
    h.send({ kind: 'reading', reading: { sensorId: 'zz', ts: T0, value: 9, quality: 'good' } });
    expect(h.state).toBe(before);
  });
});
