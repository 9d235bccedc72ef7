// The real daemon (dist/) with a satellite channel in its config: "record now" through the API (an entry of the
// schedule; a second one of the busy channel refused), progress on the SSE stream, kill -9 of the daemon
// mid-recording and a restart: the ffmpeg the dead daemon left is ended, the recording resumes into new segments and
// the restart is recorded as a gap; then stop, the browser copy served with Range, pin and delete through the API.
// And a recording deleted inside its window: its job is cancelled in the schedule, so a restart does not record it again.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerHeaders } from '../helpers/auth.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { getJson, startDaemon, tempDir, waitUntil, writeConfig, type DaemonProcess } from '../daemon/daemon-harness.js';
import type { Recording, RecordingList, RecordingSchedule } from '../../node-daemon/http/contract.js';
import { freeUdpPort, haveFfmpeg, probe, startSatellite, type SatelliteSource } from './satellite.js';

const ffmpegThere = haveFfmpeg();
if (!ffmpegThere) console.warn('test/recording/daemon-recording.test.ts: skipped, ffmpeg/ffprobe not installed (apt-get install ffmpeg)');

describe.skipIf(!ffmpegThere)('recordings in the daemon', () => {
  let tmp: { dir: string; cleanup(): void };
  let source: SatelliteSource | undefined;
  const daemons: DaemonProcess[] = [];

  beforeAll(async () => {
    await ensureDistBuilt();
    tmp = tempDir('fenghuo-rec-daemon-');
  }, 180_000);

  afterAll(async () => {
    for (const d of daemons) await d.kill9();
    // An ffmpeg a killed daemon left behind is ours: end it by the pid its recording folder names.
    const root = join(tmp.dir, 'data', 'recordings');
    for (const id of existsSync(root) ? readdirSync(root) : []) {
      const pidFile = join(root, id, 'ffmpeg.pid');
      if (!existsSync(pidFile)) continue;
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await source?.stop();
    tmp.cleanup();
  });

  const api = (d: DaemonProcess, path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${d.url}/api/v1${path}`, { ...init, headers: { ...bearerHeaders(), 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) }, signal: AbortSignal.timeout(30_000) });

  it('records now, resumes after kill -9 of the daemon with the gap recorded, serves the copy with Range, pins and deletes', async () => {
    const port = await freeUdpPort();
    source = startSatellite(port);
    const dataDir = join(tmp.dir, 'data');
    const configFile = writeConfig(
      tmp.dir,
      ['recording:', '  segmentSeconds: 2', '  stallSeconds: 4', '  channels:', `    - { id: sat, name: "CCTV-17 农业农村", source: { kind: udp, url: "udp://127.0.0.1:${port}" } }`, ''].join('\n'),
    );
    const first = await startDaemon({ configFile, dataDir });
    daemons.push(first);

    const unknown = await api(first, '/recordings/now', { method: 'POST', body: JSON.stringify({ channelId: 'nope', minutes: 5 }) });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { param: string } }).error.param).toBe('channelId');

    const events = new AbortController();
    const sse = await fetch(`${first.url}/api/v1/events`, { headers: bearerHeaders(), signal: events.signal });
    const created = await api(first, '/recordings/now', { method: 'POST', body: JSON.stringify({ channelId: 'sat', minutes: 5, title: '农技讲座' }) });
    expect(created.status).toBe(201);
    const rec = (await created.json()) as Recording;
    expect(rec).toMatchObject({ channelId: 'sat', channelName: 'CCTV-17 农业农村', state: 'recording', origin: 'now', title: '农技讲座' });
    expect(rec.plannedEnd - rec.plannedStart).toBe(5 * 60_000);
    // It goes through the schedule: a `now` entry (kept across restarts) whose job is this recording.
    const scheduleOf = (d: DaemonProcess): Promise<RecordingSchedule> => getJson<RecordingSchedule>(`${d.url}/api/v1/recordings/schedule`);
    const planned = await scheduleOf(first);
    expect(planned.entries.filter((e) => e.kind === 'now')).toEqual([expect.objectContaining({ channelId: 'sat', title: '农技讲座' })]);
    expect(planned.jobs).toContainEqual(expect.objectContaining({ id: rec.id, state: 'recording' }));
    // The channel's UDP port opens once: a second record now of it is refused, and nothing of it is kept.
    const busy = await api(first, '/recordings/now', { method: 'POST', body: JSON.stringify({ channelId: 'sat', minutes: 5 }) });
    expect(busy.status).toBe(409);
    expect((await scheduleOf(first)).entries.filter((e) => e.kind === 'now')).toHaveLength(1);

    // A `recording` event with progress arrives on the live stream.
    const reader = sse.body!.getReader();
    let text = '';
    const progress = await waitUntil(async () => {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
      const m = /event: recording\ndata: (.*)\n/g;
      for (const hit of text.matchAll(m)) {
        const e = JSON.parse(hit[1]!) as { type: string; recording?: Recording };
        if (e.type === 'progress' && (e.recording?.bytes ?? 0) > 0 && e.recording?.live?.bitrateKbit) return e.recording;
      }
      return undefined;
    }, 20_000, 'a recording progress event with bytes');
    events.abort();
    expect(progress.id).toBe(rec.id);
    expect(progress.live!.bitrateKbit!).toBeGreaterThan(200);

    await waitUntil(async () => (await getJson<Recording>(`${first.url}/api/v1/recordings/${rec.id}`)).segments >= 3, 20_000, 'three segments');
    const killedAt = Date.now();
    await first.kill9();
    const recDir = join(dataDir, 'recordings', rec.id);
    const segsBefore = readdirSync(recDir).filter((n) => n.endsWith('.ts')).sort();

    const second = await startDaemon({ configFile, dataDir });
    daemons.push(second);
    await waitUntil(() => second.events('recording.resumed').length > 0, 10_000, 'recording.resumed');
    // The dead daemon's ffmpeg went on writing; the new daemon ended it before starting its own.
    expect(second.events('recording.orphan_killed')).toHaveLength(1);
    const resumed = await waitUntil(async () => {
      const r = await getJson<Recording>(`${second.url}/api/v1/recordings/${rec.id}`);
      return r.gaps.length > 0 && r.live?.ffmpegRunning ? r : undefined;
    }, 20_000, 'the restart gap to close');
    expect((await scheduleOf(second)).jobs).toContainEqual(expect.objectContaining({ id: rec.id, state: 'recording' }));
    const gap = resumed.gaps[0]!;
    expect(gap.reason).toBe('restart');
    expect(gap.from).toBeGreaterThan(killedAt - 3_000);
    expect(gap.to).toBeGreaterThan(gap.from);
    expect(gap.to - gap.from).toBeLessThan(15_000);
    const segsAfter = readdirSync(recDir).filter((n) => n.endsWith('.ts')).sort();
    expect(segsAfter.slice(0, segsBefore.length)).toEqual(segsBefore);
    expect(segsAfter.length).toBeGreaterThan(segsBefore.length);

    const list = await getJson<RecordingList>(`${second.url}/api/v1/recordings`);
    expect(list.channels).toEqual([{ id: 'sat', name: 'CCTV-17 农业农村', kind: 'udp', xmltvId: null }]);
    expect(list.recordings.map((r) => r.id)).toEqual([rec.id]);

    const stopped = await api(second, `/recordings/${rec.id}/stop`, { method: 'POST' });
    expect(stopped.status).toBe(200);
    const finished = (await stopped.json()) as Recording;
    expect(finished.state).toBe('finished');
    expect(finished.gaps.map((g) => g.reason)).toEqual(['restart']);
    expect(finished.media).toBe(`/api/v1/recordings/${encodeURIComponent(rec.id)}/media`);
    expect(finished.durationS).toBeGreaterThan(5);

    const whole = await fetch(`${second.url}${finished.media}`, { headers: bearerHeaders() });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await whole.arrayBuffer());
    expect(bytes.length).toBe(finished.mediaBytes);
    const ranged = await fetch(`${second.url}${finished.media}`, { headers: { ...bearerHeaders(), range: 'bytes=1000-1999' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 1000-1999/${bytes.length}`);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(1000, 2000))).toBe(true);
    const beyond = await fetch(`${second.url}${finished.media}`, { headers: { ...bearerHeaders(), range: `bytes=${bytes.length + 10}-` } });
    expect(beyond.status).toBe(416);
    expect((await probe(join(recDir, 'recording.mp4'))).durationS).toBeCloseTo(finished.durationS!, 1);

    const pinned = await api(second, `/recordings/${rec.id}/pin`, { method: 'PUT', body: JSON.stringify({ pinned: true }) });
    expect(((await pinned.json()) as Recording).pinned).toBe(true);
    const bad = await api(second, `/recordings/${rec.id}/pin`, { method: 'PUT', body: JSON.stringify({ pinned: 'yes' }) });
    expect(bad.status).toBe(400);

    expect((await api(second, `/recordings/${rec.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(second, `/recordings/${rec.id}`)).status).toBe(404);
    expect(existsSync(recDir)).toBe(false);
    expect(await second.sigterm()).toBe(0);
  }, 150_000);

  it('a recording deleted while its window is open is not recorded again after a restart', async () => {
    const port = await freeUdpPort();
    const sat = startSatellite(port);
    try {
      const dir = join(tmp.dir, 'deleted');
      mkdirSync(dir, { recursive: true });
      const dataDir = join(dir, 'data');
      const configFile = writeConfig(
        dir,
        ['recording:', '  segmentSeconds: 2', '  stallSeconds: 4', '  channels:', `    - { id: sat, name: "CCTV-17", source: { kind: udp, url: "udp://127.0.0.1:${port}" } }`, ''].join('\n'),
      );
      const first = await startDaemon({ configFile, dataDir });
      daemons.push(first);
      const created = await api(first, '/recordings/now', { method: 'POST', body: JSON.stringify({ channelId: 'sat', minutes: 10 }) });
      expect(created.status).toBe(201);
      const rec = (await created.json()) as Recording;
      await waitUntil(async () => (await getJson<Recording>(`${first.url}/api/v1/recordings/${rec.id}`)).bytes > 0, 20_000, 'data on disk');
      const recDir = join(dataDir, 'recordings', rec.id);

      // Deleted inside its 10-minute window: the recording goes and its job in the schedule is cancelled.
      expect((await api(first, `/recordings/${rec.id}`, { method: 'DELETE' })).status).toBe(204);
      expect((await api(first, `/recordings/${rec.id}`)).status).toBe(404);
      expect(existsSync(recDir)).toBe(false);
      expect(first.events('recording.job_cancelled')).toEqual([expect.objectContaining({ id: rec.id })]);
      const after = await getJson<RecordingSchedule>(`${first.url}/api/v1/recordings/schedule`);
      expect(after.jobs.map((j) => j.id)).not.toContain(rec.id);
      // The runner does not start it again either.
      await new Promise((r) => setTimeout(r, 1_500));
      expect((await getJson<RecordingList>(`${first.url}/api/v1/recordings`)).recordings).toEqual([]);
      expect(first.events('recording.job_due').filter((e) => e['id'] === rec.id)).toHaveLength(1);
      expect(await first.sigterm()).toBe(0);

      // The next start plans from the same schedule (the `now` entry is still in its window): the job stays cancelled.
      const second = await startDaemon({ configFile, dataDir });
      daemons.push(second);
      const planned = await getJson<RecordingSchedule>(`${second.url}/api/v1/recordings/schedule`);
      expect(planned.entries.filter((e) => e.kind === 'now')).toHaveLength(1);
      expect(planned.jobs.map((j) => j.id)).not.toContain(rec.id);
      await new Promise((r) => setTimeout(r, 3_000));
      expect(second.events('recording.job_due')).toHaveLength(0);
      expect(second.events('recording.started')).toHaveLength(0);
      expect((await getJson<RecordingList>(`${second.url}/api/v1/recordings`)).recordings).toEqual([]);
      expect(existsSync(recDir)).toBe(false);
      expect(await second.sigterm()).toBe(0);
    } finally {
      await sat.stop();
    }
  }, 90_000);
});
