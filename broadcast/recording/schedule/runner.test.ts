import { describe, expect, it } from 'vitest';
import type { RecordingGap, RecordingJob } from '../types.js';
import { planSchedule } from './plan.js';
import type { ClockTrust, JobRecorder, RunnerTimers } from './ports.js';
import { ScheduleRunner, type RunnerEvent } from './runner.js';
import type { PlanSettings, ScheduleEntry } from './schedule-types.js';

const MIN = 60_000;
const bj = (day: number, hour: number, minute = 0): number => Date.UTC(2025, 11, day, hour - 8, minute);

/** Virtual time: a wall clock that can be stepped (a clock corrected by NTP) and a monotonic one that never is. */
class VirtualTime implements RunnerTimers {
  private mono = 0;
  private wallOffset: number;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  constructor(wall: number) {
    this.wallOffset = wall;
  }
  now(): number {
    return this.wallOffset + this.mono;
  }
  monotonic(): number {
    return this.mono;
  }
  at(at: number, fn: () => void): () => void {
    const t = { at, fn, live: true };
    this.timers.push(t);
    return () => void (t.live = false);
  }
  /** Lets `ms` pass, firing each timer when the wall clock reaches it, in order. */
  advance(ms: number): void {
    const end = this.mono + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.at <= this.wallOffset + end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.mono = Math.max(this.mono, due.at - this.wallOffset);
      due.live = false;
      due.fn();
    }
    this.mono = end;
    this.timers = this.timers.filter((t) => t.live);
  }
  /** The wall clock is set to `wall` (monotonic time does not move). */
  stepWallTo(wall: number): void {
    this.wallOffset = wall - this.mono;
  }
}

class SettableTrust implements ClockTrust {
  private readonly listeners = new Set<(t: boolean) => void>();
  constructor(private value: boolean) {}
  trusted(): boolean {
    return this.value;
  }
  onChange(listener: (t: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(value: boolean): void {
    this.value = value;
    for (const l of this.listeners) l(value);
  }
}

/** What the recorder was asked, and when (virtual wall time). */
class CallLog implements JobRecorder {
  readonly calls: { at: number; action: 'start' | 'stop'; id: string; gap?: RecordingGap }[] = [];
  constructor(private readonly time: VirtualTime) {}
  startJob(job: RecordingJob, gap?: RecordingGap): void {
    this.calls.push({ at: this.time.now(), action: 'start', id: job.id, ...(gap === undefined ? {} : { gap }) });
  }
  stopJob(jobId: string): void {
    this.calls.push({ at: this.time.now(), action: 'stop', id: jobId });
  }
}

const SETTINGS: PlanSettings = {
  timeZone: 'Asia/Shanghai',
  channels: [
    { id: 'cctv17', name: 'CCTV-17', sourceKey: 'receiver:dish' },
    { id: 'cctv13', name: 'CCTV-13', sourceKey: 'receiver:dish' },
  ],
  rules: [],
  paddingBeforeMs: 0,
  paddingAfterMs: 0,
};

function rig(opts: { wall: number; trusted?: boolean; entries: ScheduleEntry[] }) {
  const time = new VirtualTime(opts.wall);
  const trust = new SettableTrust(opts.trusted ?? true);
  const recorder = new CallLog(time);
  const events: RunnerEvent[] = [];
  const entries = [...opts.entries];
  const runner = new ScheduleRunner({
    timers: time,
    recorder,
    clock: trust,
    plan: (now, running) => planSchedule({ now, settings: SETTINGS, programmes: [], entries, running }),
    onEvent: (e) => events.push(e),
  });
  return { time, trust, recorder, events, entries, runner };
}

const once = (id: string, channelId: string, startAt: number, endAt: number): ScheduleEntry => ({ kind: 'once', id, channelId, title: id, startAt, endAt });

describe('ScheduleRunner on virtual time', () => {
  it('starts each job at its start and stops it at its end', async () => {
    const r = rig({ wall: bj(8, 8), entries: [once('a', 'cctv17', bj(8, 9), bj(8, 10)), once('b', 'cctv17', bj(8, 11), bj(8, 11, 30))] });
    await r.runner.start();
    r.time.advance(4 * 60 * MIN);
    expect(r.recorder.calls).toEqual([
      { at: bj(8, 9), action: 'start', id: 'manual:a' },
      { at: bj(8, 10), action: 'stop', id: 'manual:a' },
      { at: bj(8, 11), action: 'start', id: 'manual:b' },
      { at: bj(8, 11, 30), action: 'stop', id: 'manual:b' },
    ]);
  });

  it('re-plans when told: a new entry is started, a removed one stopped, and no job runs twice', async () => {
    const r = rig({ wall: bj(8, 8), entries: [once('a', 'cctv17', bj(8, 9), bj(8, 10))] });
    await r.runner.start();
    r.time.advance(65 * MIN); // 09:05, a is recording
    r.entries.push(once('c', 'cctv13', bj(8, 10, 30), bj(8, 11)));
    r.runner.refresh();
    r.runner.refresh();
    r.time.advance(55 * MIN); // 10:00
    r.entries.splice(r.entries.findIndex((e) => e.id === 'c'), 1, once('d', 'cctv13', bj(8, 10, 10), bj(8, 12)));
    r.runner.refresh();
    r.time.advance(20 * MIN); // 10:20
    r.entries.splice(r.entries.findIndex((e) => e.id === 'd'), 1);
    r.runner.refresh();
    r.time.advance(3 * 60 * MIN);
    expect(r.recorder.calls.map((c) => [c.at, c.action, c.id])).toEqual([
      [bj(8, 9), 'start', 'manual:a'],
      [bj(8, 10), 'stop', 'manual:a'],
      [bj(8, 10, 10), 'start', 'manual:d'],
      [bj(8, 10, 20), 'stop', 'manual:d'],
    ]);
    expect(r.events.filter((e) => e.type === 'job_stopped')).toEqual([
      { type: 'job_stopped', jobId: 'manual:a', reason: 'ended' },
      { type: 'job_stopped', jobId: 'manual:d', reason: 'removed' },
    ]);
  });

  it('moves the stop of a running job when a merge makes it longer', async () => {
    const r = rig({ wall: bj(8, 8), entries: [once('a', 'cctv17', bj(8, 9), bj(8, 10))] });
    await r.runner.start();
    r.time.advance(70 * MIN); // 09:10
    r.entries.push({ kind: 'now', id: 'n', channelId: 'cctv17', title: '现在', startAt: bj(8, 9, 10), endAt: bj(8, 10, 30) });
    r.runner.refresh();
    r.time.advance(2 * 60 * MIN);
    expect(r.recorder.calls.map((c) => [c.at, c.action, c.id])).toEqual([
      [bj(8, 9), 'start', 'manual:a'],
      [bj(8, 10, 30), 'stop', 'manual:a'],
    ]);
  });

  it('never starts the later of two jobs that need one receiver', async () => {
    const r = rig({ wall: bj(8, 8), entries: [once('a', 'cctv17', bj(8, 9), bj(8, 10)), once('b', 'cctv13', bj(8, 9, 30), bj(8, 10, 30))] });
    await r.runner.start();
    r.time.advance(3 * 60 * MIN);
    expect(r.recorder.calls.map((c) => [c.action, c.id])).toEqual([
      ['start', 'manual:a'],
      ['stop', 'manual:a'],
    ]);
    expect(r.runner.status().plan).toBeDefined();
    const planned = r.events.filter((e): e is Extract<RunnerEvent, { type: 'planned' }> => e.type === 'planned');
    expect(planned[0]!.plan.conflicts.map((c) => [c.kept.id, c.dropped.id])).toEqual([['manual:a', 'manual:b']]);
  });

  it('after a restart, starts a job whose window is still open, at once and with no gap of its own', async () => {
    const r = rig({ wall: bj(8, 9, 20), entries: [once('a', 'cctv17', bj(8, 9), bj(8, 10))] });
    await r.runner.start();
    r.time.advance(60 * MIN);
    expect(r.recorder.calls).toEqual([
      { at: bj(8, 9, 20), action: 'start', id: 'manual:a' },
      { at: bj(8, 10), action: 'stop', id: 'manual:a' },
    ]);
  });

  it('holds a job due while the clock is wrong and starts it once the clock is trusted, the gap recorded', async () => {
    // Booted at 08:55 Beijing time with the clock reading 2000-01-01 and not trusted; NTP sets it 10 minutes later.
    const r = rig({ wall: Date.UTC(2000, 0, 1), trusted: false, entries: [once('a', 'cctv17', bj(8, 9), bj(8, 10)), once('b', 'cctv17', bj(8, 9, 30), bj(8, 9, 40))] });
    await r.runner.start();
    r.time.advance(10 * MIN);
    expect(r.recorder.calls).toEqual([]);
    r.time.stepWallTo(bj(8, 9, 5));
    r.trust.set(true);
    r.time.advance(60 * MIN);
    expect(r.recorder.calls).toEqual([
      { at: bj(8, 9, 5), action: 'start', id: 'manual:a', gap: { from: bj(8, 9), to: bj(8, 9, 5), reason: 'clock_untrusted' } },
      { at: bj(8, 10), action: 'stop', id: 'manual:a' },
    ]);
    // b (same channel, inside a) was merged into a.
    expect(r.events.find((e) => e.type === 'clock' && e.trusted)).toEqual({ type: 'clock', trusted: true, spell: { from: bj(8, 8, 55), to: bj(8, 9, 5) } });
  });

  it('reports a job it holds for the clock while the (wrong) clock calls it due', async () => {
    const r = rig({ wall: bj(8, 9, 30), trusted: false, entries: [once('a', 'cctv17', bj(8, 9), bj(8, 10))] });
    await r.runner.start();
    expect(r.runner.status()).toMatchObject({ recording: [], waitingForClock: ['manual:a'], clockTrusted: false });
    r.time.advance(MIN);
    r.trust.set(true);
    expect(r.runner.status()).toMatchObject({ recording: ['manual:a'], waitingForClock: [], clockTrusted: true });
    // The clock was right after all: the gap is the minute it was held.
    expect(r.recorder.calls).toEqual([{ at: bj(8, 9, 31), action: 'start', id: 'manual:a', gap: { from: bj(8, 9, 30), to: bj(8, 9, 31), reason: 'clock_untrusted' } }]);
  });
});
