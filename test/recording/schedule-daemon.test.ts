// The recording schedule in the real daemon (bin/fenghuo.js from dist/): an XMLTV guide file whose programmes overlap on
// one receiver shows as a conflict in GET /api/v1/recordings/schedule; the file replaced by a malformed one is reported
// with its line (API and log) while the old schedule stays, and so it is after a restart; an entry added through the
// API survives the restart. The guide's times are set from the wall clock, since the daemon runs on it.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordingSchedule, ScheduleAdded } from '../../node-daemon/http/contract.js';
import { bearerHeaders } from '../helpers/auth.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { startDaemon, tempDir, waitUntil, writeConfig, type DaemonProcess } from '../daemon/daemon-harness.js';

const HOUR = 3_600_000;

/** `20251208090000 +0800`: as TVHeadend writes it, in Beijing time. */
function xmltvTime(ms: number): string {
  const d = new Date(ms + 8 * HOUR).toISOString();
  return `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}${d.slice(11, 13)}${d.slice(14, 16)}00 +0800`;
}

function guide(base: number, broken: boolean): string {
  const p = (channel: string, start: number, stop: number, title: string, close = '</title>') =>
    `  <programme start="${xmltvTime(start)}" stop="${xmltvTime(stop)}" channel="${channel}">\n    <title lang="zh">${title}${close}\n  </programme>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<tv generator-info-name="TVHeadend-4.3">',
    p('CCTV17.cn', base, base + HOUR, '致富经'),
    p('CCTV13.cn', base + HOUR / 2, base + 2 * HOUR, '新闻直播间'),
    // Line 10 of the broken guide (its title line): a closing tag that does not match.
    p('CCTV17.cn', base + 3 * HOUR, base + 4 * HOUR, '农技讲堂', broken ? '</titel>' : '</title>'),
    '</tv>',
    '',
  ].join('\n');
}

/** A one-hour weekly slot on the weekday and hour of `at` in the site's zone (Asia/Shanghai, the default). */
function weeklySlotAt(at: number): { days: string[]; start: string; end: string } {
  const parts = (ms: number): Intl.DateTimeFormatPart[] =>
    new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', weekday: 'short', hour: '2-digit', hourCycle: 'h23' }).formatToParts(ms);
  const hourOf = (p: Intl.DateTimeFormatPart[]): number => Number(p.find((x) => x.type === 'hour')?.value);
  let p = parts(at);
  // An hour that ends before midnight, so that `end` is a time of the same day.
  if (hourOf(p) >= 23) p = parts(at + 2 * HOUR);
  const hour = hourOf(p);
  const hh = (h: number): string => `${String(h).padStart(2, '0')}:00`;
  return { days: [(p.find((x) => x.type === 'weekday')?.value ?? '').toLowerCase().slice(0, 3)], start: hh(hour), end: hh(hour + 1) };
}

describe('the recording schedule in the daemon', () => {
  let tmp: { dir: string; cleanup(): void };
  const daemons: DaemonProcess[] = [];

  beforeAll(async () => {
    await ensureDistBuilt();
    tmp = tempDir('fenghuo-sched-daemon-');
  }, 180_000);

  afterAll(async () => {
    for (const d of daemons) if (!d.exited()) await d.kill9();
    tmp.cleanup();
  });

  const api = async <T>(d: DaemonProcess, path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${d.url}/api/v1${path}`, { ...init, headers: { ...bearerHeaders(), 'content-type': 'application/json' }, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: (await res.json()) as T };
  };
  const schedule = async (d: DaemonProcess): Promise<RecordingSchedule> => (await api<RecordingSchedule>(d, '/recordings/schedule')).body;

  it('reports the conflict, keeps the old schedule for a malformed guide (line named), and across a restart', async () => {
    const base = Math.ceil(Date.now() / HOUR) * HOUR + 2 * HOUR;
    const guideFile = join(tmp.dir, 'guide.xml');
    const good = join(tmp.dir, 'good.xml');
    const broken = join(tmp.dir, 'broken.xml');
    writeFileSync(good, guide(base, false));
    writeFileSync(broken, guide(base, true));
    copyFileSync(good, guideFile);
    const configFile = writeConfig(
      tmp.dir,
      [
        'recording:',
        '  channels:',
        '    - { id: cctv17, name: CCTV-17 农业农村, source: { kind: udp, url: "udp://127.0.0.1:5917" }, xmltvId: CCTV17.cn }',
        '    - { id: cctv13, name: CCTV-13 新闻, source: { kind: udp, url: "udp://127.0.0.1:5913" }, xmltvId: CCTV13.cn }',
        '  receivers: { dish: [cctv17, cctv13] }',
        `  xmltv: { file: "${guideFile}", refreshMinutes: 60 }`,
        '  rules:',
        '    - { channel: cctv17, title: "致富经|农技" }',
        '    - { channel: cctv13, title: 新闻 }',
        '  paddingBeforeS: 0',
        '  paddingAfterS: 0',
        '',
      ].join('\n'),
    );
    const dataDir = join(tmp.dir, 'data');
    const first = await startDaemon({ configFile, dataDir });
    daemons.push(first);

    const before = await waitUntil(async () => {
      const s = await schedule(first);
      return s.guide.state === 'ok' ? s : undefined;
    }, 15_000, 'the guide read');
    expect(before.jobs.map((j) => [j.id, j.title, j.startAt, j.endAt, j.state])).toEqual([
      [`xmltv:cctv17:${base}`, '致富经', base, base + HOUR, 'scheduled'],
      [`xmltv:cctv17:${base + 3 * HOUR}`, '农技讲堂', base + 3 * HOUR, base + 4 * HOUR, 'scheduled'],
    ]);
    expect(before.conflicts.map((c) => [c.sourceKey, c.kept.title, c.dropped.title, c.from, c.to])).toEqual([['receiver:dish', '致富经', '新闻直播间', base + HOUR / 2, base + HOUR]]);
    expect(first.events('recording.conflict')).toEqual([expect.objectContaining({ kept: `xmltv:cctv17:${base}`, dropped: `xmltv:cctv13:${base + HOUR / 2}`, input: 'receiver:dish' })]);

    // A weekly meeting that never overlaps the guide's programmes (base … base + 4 h), whatever day and hour the test
    // runs: a fixed Monday 09:00 collided with 农技讲堂 when the test ran on a Sunday evening (UTC).
    const slot = weeklySlotAt(base + 6 * HOUR);
    const added = await api<ScheduleAdded>(first, '/recordings/schedule', { method: 'POST', body: JSON.stringify({ kind: 'weekly', channel: 'cctv17', title: '每周例会', ...slot }) });
    expect(added.status).toBe(201);

    copyFileSync(broken, guideFile);
    const reported = await waitUntil(async () => {
      const s = await schedule(first);
      return s.guide.state === 'error' ? s : undefined;
    }, 15_000, 'the malformed guide reported');
    expect(reported.guide.error).toMatchObject({ line: 10, message: expect.stringMatching(/^line 10, column \d+: a closing tag that does not match <title> opened on line 10$/) });
    expect(reported.jobs.filter((j) => j.origin === 'xmltv').map((j) => j.id)).toEqual(before.jobs.map((j) => j.id));
    expect(first.events('recording.guide_invalid').at(-1)).toMatchObject({ line: 10, source: `file:${guideFile}`, keptProgrammes: 3 });

    expect(await first.sigterm()).toBe(0);
    const second = await startDaemon({ configFile, dataDir });
    daemons.push(second);
    const again = await waitUntil(async () => {
      const s = await schedule(second);
      return s.guide.state === 'error' && second.events('recording.guide_invalid').length > 0 ? s : undefined;
    }, 15_000, 'the restarted schedule with the guide error');
    expect(again.jobs.filter((j) => j.origin === 'xmltv').map((j) => j.id)).toEqual(before.jobs.map((j) => j.id));
    expect(again.entries.map((e) => [e.id, e.title, e.account])).toEqual([[added.body.entry.id, '每周例会', 'token:test']]);
    expect(again.guide.error?.line).toBe(10);
  }, 90_000);
});
