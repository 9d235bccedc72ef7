import { describe, expect, it } from 'vitest';
import { PollSchedule, type ScheduledSensor } from './schedule.js';

const T0 = Date.UTC(2024, 6, 1);
const s = (id: string, intervalMs: number, critical = false): ScheduledSensor => ({ id, intervalMs, critical });

/** Runs every due poll to completion instantly at each wake-up, in virtual time; returns the poll log. */
function simulate(schedule: PollSchedule, untilMs: number, durationMs: (id: string) => number = () => 0): { id: string; at: number }[] {
  const log: { id: string; at: number }[] = [];
  const running = new Map<string, number>();
  let now = T0;
  while (now <= untilMs) {
    for (const [id, end] of running) {
      if (end <= now) {
        schedule.finished(id);
        running.delete(id);
      }
    }
    for (const id of schedule.due(now)) {
      schedule.started(id, now);
      log.push({ id, at: now });
      running.set(id, now + durationMs(id));
    }
    const candidates = [schedule.nextWakeUp(), ...running.values()].filter((t): t is number => t !== undefined && t > now);
    if (candidates.length === 0) break;
    now = Math.min(...candidates);
  }
  return log;
}

describe('PollSchedule', () => {
  it('makes every sensor due at start, critical first, then in config order', () => {
    const schedule = new PollSchedule([s('a', 1000), s('b', 1000, true), s('c', 500), s('d', 500, true)], T0);
    expect(schedule.due(T0)).toEqual(['b', 'd', 'a', 'c']);
    expect(schedule.due(T0 - 1)).toEqual([]);
    expect(schedule.nextWakeUp()).toBe(T0);
  });

  it('orders non-critical sensors by how overdue they are', () => {
    const schedule = new PollSchedule([s('slow', 1000), s('fast', 300), s('crit', 5000, true)], T0);
    for (const id of schedule.due(T0)) schedule.started(id, T0);
    for (const id of ['slow', 'fast', 'crit']) schedule.finished(id);
    // At T0+1000: fast was due at T0+300 (700 overdue), slow at T0+1000 (0 overdue); crit not due.
    expect(schedule.due(T0 + 1000)).toEqual(['fast', 'slow']);
    expect(schedule.due(T0 + 5000)).toEqual(['crit', 'fast', 'slow']);
  });

  it('polls each sensor at its own interval on a steady cadence', () => {
    const schedule = new PollSchedule([s('a', 1000), s('b', 2500)], T0);
    const log = simulate(schedule, T0 + 10_000, () => 40);
    expect(log.filter((p) => p.id === 'a').map((p) => p.at - T0)).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
    expect(log.filter((p) => p.id === 'b').map((p) => p.at - T0)).toEqual([0, 2500, 5000, 7500, 10_000]);
  });

  it('never starts a second poll of a sensor while one is in flight, and skips missed polls instead of bursting', () => {
    const schedule = new PollSchedule([s('dead', 1000), s('ok', 1000)], T0);
    // The dead device's polls take 2.5 s (timeouts and retries).
    const log = simulate(schedule, T0 + 10_000, (id) => (id === 'dead' ? 2500 : 10));
    const dead = log.filter((p) => p.id === 'dead').map((p) => p.at - T0);
    expect(dead).toEqual([0, 2500, 5000, 7500, 10_000]);
    expect(log.filter((p) => p.id === 'ok')).toHaveLength(11);
    expect(() => {
      const sch = new PollSchedule([s('x', 1000)], T0);
      sch.started('x', T0);
      sch.started('x', T0 + 5000);
    }).toThrow(/already has a poll in flight/);
  });

  it('keeps the cadence when a poll starts a little late', () => {
    const schedule = new PollSchedule([s('a', 1000)], T0);
    schedule.started('a', T0 + 30);
    schedule.finished('a');
    expect(schedule.nextDue('a')).toBe(T0 + 1000);
    schedule.started('a', T0 + 2300);
    schedule.finished('a');
    expect(schedule.nextDue('a')).toBe(T0 + 3300);
  });

  it('reports no wake-up while every sensor is in flight, and refuses bad input', () => {
    const schedule = new PollSchedule([s('a', 1000)], T0);
    schedule.started('a', T0);
    expect(schedule.isInFlight('a')).toBe(true);
    expect(schedule.nextWakeUp()).toBeUndefined();
    expect(schedule.due(T0 + 5000)).toEqual([]);
    schedule.finished('a');
    expect(schedule.nextWakeUp()).toBe(T0 + 1000);
    expect(() => new PollSchedule([s('a', 1000), s('a', 500)], T0)).toThrow(/scheduled twice/);
    expect(() => new PollSchedule([s('z', 0)], T0)).toThrow(/poll interval 0 ms/);
    expect(() => schedule.finished('nope')).toThrow(/not scheduled/);
  });
});
