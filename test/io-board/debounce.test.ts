import { describe, expect, it } from 'vitest';
import { Debouncer, type Level, type Scheduler } from '../../drivers/io-board/debounce.js';

/** A hand-driven clock: timers fire only when `advance` passes them. */
function fakeScheduler(): Scheduler & { advance(ms: number): void } {
  let now = 1_000;
  let timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    after(ms, fn) {
      const t = { at: now + ms, fn };
      timers.push(t);
      return () => {
        timers = timers.filter((x) => x !== t);
      };
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const next = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        timers = timers.filter((t) => t !== next);
        now = next.at;
        next.fn();
      }
      now = end;
    },
  };
}

describe('Debouncer', () => {
  const run = (delay: number) => {
    const s = fakeScheduler();
    const seen: [Level, number, boolean][] = [];
    const d = new Debouncer(delay, s, (level, at, initial) => seen.push([level, at, initial]));
    return { s, d, seen };
  };

  it('takes the first sample as a baseline, then reports a level once it has held for the delay', () => {
    const { s, d, seen } = run(30);
    d.sample(1);
    expect(seen).toEqual([[1, 1_000, true]]);
    d.sample(0);
    s.advance(29);
    expect(d.level()).toBe(1);
    s.advance(1);
    expect(seen.at(-1)).toEqual([0, 1_030, false]);
    expect(d.level()).toBe(0);
  });

  it('drops bounces shorter than the delay and repeated samples', () => {
    const { s, d, seen } = run(30);
    d.sample(1);
    d.sample(0);
    s.advance(10);
    d.sample(1); // bounced back
    d.sample(1);
    s.advance(100);
    expect(seen).toHaveLength(1);
    d.sample(0);
    s.advance(20);
    d.sample(1);
    d.sample(0); // restarts the wait
    s.advance(20);
    expect(seen).toHaveLength(1);
    s.advance(10);
    expect(seen.at(-1)).toEqual([0, 1_160, false]);
  });

  it('reports at once with no delay and refuses a negative one', () => {
    const { d, seen } = run(0);
    d.sample(0);
    d.sample(1);
    expect(seen.map(([l, , i]) => [l, i])).toEqual([
      [0, true],
      [1, false],
    ]);
    expect(() => new Debouncer(-1, fakeScheduler(), () => undefined)).toThrow(RangeError);
  });
});
