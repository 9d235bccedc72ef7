// The recording schedule behind the real HTTP app (hono, createApp) on a real SQLite file and a real guide file, at a
// fixed clock (Monday 2025-12-08 06:00 Beijing time): the guide's overlapping programmes on one receiver are reported
// as a conflict; entries are added and deleted through the API; a guide file replaced by a malformed one is reported
// with its line while the old schedule stays, also across a restart.
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClockTrust, JobRecorder } from '../../broadcast/recording/schedule/ports.js';
import type { RecordingGap, RecordingJob } from '../../broadcast/recording/types.js';
import { parseConfigText } from '../../node-daemon/config/load.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import type { RecordingSchedule, ScheduleAdded } from '../../node-daemon/http/contract.js';
import { createApp, type HealthSource } from '../../node-daemon/http/app.js';
import { RecordingScheduleModule } from '../../node-daemon/recording-schedule/schedule-module.js';
import { openDatabase, type Db } from '../../node-daemon/storage/database.js';
import { SqliteReadingsReader } from '../../node-daemon/storage/readings-reader.js';
import { tempDir, waitUntil } from '../daemon/daemon-harness.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const bj = (hour: number, minute = 0): number => Date.UTC(2025, 11, 8, hour - 8, minute);
const NOW = bj(6);
const WEEK = 7 * 24 * 3_600_000;
const MALFORMED_LINE = readFileSync(join(FIXTURES, 'guide-malformed.xml'), 'utf8').split('\n').findIndex((l) => l.includes('</titel>')) + 1;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const trusted: ClockTrust = { trusted: () => true, onChange: () => () => undefined };

/** What the schedule asked of the recorder (the recorder itself, ffmpeg, is tested in recorder.test.ts). */
class RecorderCalls implements JobRecorder {
  readonly started: string[] = [];
  startJob(job: RecordingJob, _gap?: RecordingGap): void {
    this.started.push(job.id);
  }
  stopJob(): void {}
}

function configFor(guideFile: string) {
  const r = parseConfigText(`
recording:
  channels:
    - { id: cctv17, name: CCTV-17 农业农村, source: { kind: udp, url: "udp://239.1.1.17:1234" }, xmltvId: CCTV17.cn }
    - { id: cctv13, name: CCTV-13 新闻, source: { kind: udp, url: "udp://239.1.1.13:1234" }, xmltvId: CCTV13.cn }
    - { id: prov, name: 省台公共频道, source: { kind: http, url: "http://tvh:9981/stream/channel/prov" }, xmltvId: prov.cn }
  receivers:
    dish: [cctv17, cctv13]
  xmltv: { file: "${guideFile}", refreshMinutes: 60 }
  rules:
    - { channel: cctv17, category: 农业 }
    - { channel: cctv13, title: "^新闻直播间$" }
    - { channel: prov, category: 会议 }
  weekly:
    - { channel: prov, title: 周一例会, days: [mon], start: "07:00", end: "08:00" }
  paddingBeforeS: 60
  paddingAfterS: 300
`);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config;
}

async function boot(db: Db, guideFile: string) {
  const config = configFor(guideFile);
  const recorder = new RecorderCalls();
  const schedule = new RecordingScheduleModule({
    db,
    log: silentLogger(),
    clock: () => NOW,
    timeZone: config.site.timezone,
    config: config.recording,
    channels: config.recording!.channels,
    recorder,
    clockTrust: trusted,
  });
  await schedule.start();
  const health: HealthSource = { snapshot: () => { throw new Error('not asked here'); }, sensor: () => undefined };
  const app = createApp({ sensors: [], health, readings: new SqliteReadingsReader(db), log: silentLogger(), clock: () => NOW, recordingSchedule: schedule });
  const api = async <T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> => {
    const res = await app.request(`/api/v1${path}`, { ...init, headers: { 'content-type': 'application/json' } });
    return { status: res.status, body: (await res.json()) as T };
  };
  return { schedule, recorder, api, stop: () => schedule.stop() };
}

const summary = (s: RecordingSchedule) => s.jobs.map((j) => [j.id, j.title, j.startAt, j.endAt]);

describe('the recording schedule through the HTTP API', () => {
  it('plans from the guide, reports the overlap on one receiver as a conflict, and takes entries', async () => {
    const tmp = tempDir('fenghuo-sched-api-');
    cleanups.push(() => tmp.cleanup());
    const guideFile = join(tmp.dir, 'guide.xml');
    copyFileSync(join(FIXTURES, 'guide-good.xml'), guideFile);
    const { db } = openDatabase({ dataDir: tmp.dir, log: silentLogger() });
    cleanups.push(() => void db.close());
    const box = await boot(db, guideFile);
    cleanups.push(box.stop);
    await waitUntil(async () => (await box.api<RecordingSchedule>('/recordings/schedule')).body.guide.state === 'ok', 10_000, 'the guide read');

    const { status, body } = await box.api<RecordingSchedule>('/recordings/schedule');
    expect(status).toBe(200);
    expect(body.guide).toMatchObject({ configured: true, source: `file:${guideFile}`, state: 'ok', programmes: 5 });
    expect(summary(body)).toEqual([
      ['weekly:cfg-prov-mon-0700-0800:2025-12-08', '周一例会', bj(6, 59), bj(8, 5)],
      [`xmltv:cctv17:${bj(9)}`, '致富经', bj(8, 59), bj(10, 5)],
      [`xmltv:prov:${bj(14)}`, '全省防汛视频会议', bj(13, 59), bj(15, 35)],
      // Jobs are planned 8 days ahead: next Monday's meeting too.
      ['weekly:cfg-prov-mon-0700-0800:2025-12-15', '周一例会', bj(6, 59) + WEEK, bj(8, 5) + WEEK],
    ]);
    expect(body.jobs.every((j) => j.state === 'scheduled')).toBe(true);
    expect(body.conflicts).toHaveLength(1);
    expect(body.conflicts[0]).toMatchObject({
      sourceKey: 'receiver:dish',
      kept: { id: `xmltv:cctv17:${bj(9)}`, channelName: 'CCTV-17 农业农村', title: '致富经' },
      dropped: { id: `xmltv:cctv13:${bj(9, 30)}`, channelName: 'CCTV-13 新闻', title: '新闻直播间' },
      from: bj(9, 29),
      to: bj(10, 5),
    });
    expect(body.entries).toEqual([{ id: 'cfg-prov-mon-0700-0800', kind: 'weekly', channelId: 'prov', title: '周一例会', days: ['mon'], start: '07:00', end: '08:00', fromConfig: true }]);

    // A one-off on the other channel of the receiver, earlier than 致富经: it merges with 新闻直播间 (same channel,
    // overlapping), keeps the receiver, and 致富经 is dropped.
    const added = await box.api<ScheduleAdded>('/recordings/schedule', {
      method: 'POST',
      body: JSON.stringify({ kind: 'once', channel: 'cctv13', title: '县防汛会商', start: '2025-12-08T08:30:00+08:00', end: '2025-12-08T09:30:00+08:00' }),
    });
    expect(added.status).toBe(201);
    const id = added.body.entry.id;
    expect(added.body.jobs.map((j) => [j.id, j.title, j.startAt, j.endAt, j.parts])).toEqual([[`manual:${id}`, '县防汛会商 / 新闻直播间', bj(8, 29), bj(10, 35), [`manual:${id}`, `xmltv:cctv13:${bj(9, 30)}`]]]);
    expect(added.body.conflicts.map((c) => [c.kept.id, c.dropped.id])).toEqual([[`manual:${id}`, `xmltv:cctv17:${bj(9)}`]]);

    const unknown = await box.api<{ error: { param: string; message: string } }>('/recordings/schedule', { method: 'POST', body: JSON.stringify({ kind: 'now', channel: 'cctv71', minutes: 30 }) });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ param: 'channel', message: expect.stringContaining('did you mean cctv17?') });
    const badDay = await box.api<{ error: { param: string } }>('/recordings/schedule', { method: 'POST', body: JSON.stringify({ kind: 'weekly', channel: 'prov', title: 'x', days: ['monday'], start: '09:00', end: '10:00' }) });
    expect(badDay).toMatchObject({ status: 400, body: { error: { param: 'days.0' } } });

    // Record now: from now, no padding, recording at once.
    const now = await box.api<ScheduleAdded>('/recordings/schedule', { method: 'POST', body: JSON.stringify({ kind: 'now', channel: 'prov', minutes: 20 }) });
    expect(now.status).toBe(201);
    expect(now.body.jobs).toEqual([expect.objectContaining({ id: `now:${now.body.entry.id}`, title: '省台公共频道 立即录制', startAt: NOW, endAt: NOW + 20 * 60_000, state: 'recording' })]);
    expect(box.recorder.started).toEqual([`now:${now.body.entry.id}`]);

    // Deleting the one-off gives the receiver back to 致富经; cancelling one weekly occurrence drops it alone.
    expect(await box.api(`/recordings/schedule/${id}`, { method: 'DELETE' })).toEqual({ status: 200, body: { id, deleted: 'entry' } });
    const weeklyJob = 'weekly:cfg-prov-mon-0700-0800:2025-12-08';
    expect(await box.api(`/recordings/schedule/${encodeURIComponent(weeklyJob)}`, { method: 'DELETE' })).toEqual({ status: 200, body: { id: weeklyJob, deleted: 'job' } });
    expect((await box.api('/recordings/schedule/cfg-prov-mon-0700-0800', { method: 'DELETE' })).status).toBe(409);
    expect((await box.api('/recordings/schedule/nothing-here', { method: 'DELETE' })).status).toBe(404);
    const after = (await box.api<RecordingSchedule>('/recordings/schedule')).body;
    expect(after.jobs.map((j) => j.id)).toEqual([`now:${now.body.entry.id}`, `xmltv:cctv17:${bj(9)}`, `xmltv:prov:${bj(14)}`, 'weekly:cfg-prov-mon-0700-0800:2025-12-15']);
    expect(after.conflicts.map((c) => c.dropped.id)).toEqual([`xmltv:cctv13:${bj(9, 30)}`]);
  });

  it('keeps the old schedule when the guide file is replaced by a malformed one, and reports the line, across a restart too', async () => {
    const tmp = tempDir('fenghuo-sched-api-');
    cleanups.push(() => tmp.cleanup());
    const guideFile = join(tmp.dir, 'guide.xml');
    copyFileSync(join(FIXTURES, 'guide-good.xml'), guideFile);
    const { db } = openDatabase({ dataDir: tmp.dir, log: silentLogger() });
    cleanups.push(() => void db.close());
    const first = await boot(db, guideFile);
    await waitUntil(async () => (await first.api<RecordingSchedule>('/recordings/schedule')).body.guide.state === 'ok', 10_000, 'the guide read');
    const before = (await first.api<RecordingSchedule>('/recordings/schedule')).body;
    expect(summary(before)).toContainEqual([`xmltv:prov:${bj(14)}`, '全省防汛视频会议', bj(13, 59), bj(15, 35)]);

    // Replaced in place: the loader sees the change and reads the file again.
    copyFileSync(join(FIXTURES, 'guide-malformed.xml'), guideFile);
    const broken = await waitUntil(async () => {
      const s = (await first.api<RecordingSchedule>('/recordings/schedule')).body;
      return s.guide.state === 'error' ? s : undefined;
    }, 10_000, 'the malformed guide reported');
    expect(broken.guide.error).toMatchObject({ line: MALFORMED_LINE, message: expect.stringMatching(new RegExp(`^line ${MALFORMED_LINE}, column \\d+: a closing tag that does not match <title> opened on line ${MALFORMED_LINE}$`)) });
    expect(broken.guide).toMatchObject({ keptSource: `file:${guideFile}`, programmes: 5 });
    // The meeting the malformed file moved to 16:00 stays at 14:00: nothing of that file was taken.
    expect(summary(broken)).toEqual(summary(before));
    expect(broken.conflicts.map((c) => c.id)).toEqual(before.conflicts.map((c) => c.id));
    await first.stop();

    // A restart with the malformed file still there plans from the kept guide and reports the line again.
    const second = await boot(db, guideFile);
    cleanups.push(second.stop);
    const restarted = await waitUntil(async () => {
      const s = (await second.api<RecordingSchedule>('/recordings/schedule')).body;
      return s.guide.state === 'error' && s.guide.attemptedAt !== undefined && s.jobs.length > 0 ? s : undefined;
    }, 10_000, 'the restarted schedule');
    expect(summary(restarted)).toEqual(summary(before));
    expect(restarted.guide.error?.line).toBe(MALFORMED_LINE);

    // Mended: the error goes.
    copyFileSync(join(FIXTURES, 'guide-good.xml'), guideFile);
    await second.schedule.guide.refresh();
    const mended = (await second.api<RecordingSchedule>('/recordings/schedule')).body;
    expect(mended.guide.state).toBe('ok');
    expect(mended.guide.error).toBeUndefined();
  });
});
