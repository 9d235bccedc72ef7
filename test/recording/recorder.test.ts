// The recorder against real ffmpeg: a simulated satellite receiver sends MPEG-TS over UDP on loopback; recordings go
// through the real SQLite store. Shows: a clean recording has the planned duration and no hole in the picture, and
// its browser copy is an MP4 with its index first that ffprobe reads; an ffmpeg killed with SIGKILL leaves every
// segment playable, is restarted and the hole is a gap `ffmpeg_exit`; a receiver that stops sending is found stalled
// within stallSeconds plus a margin, ffmpeg is killed and restarted, and the recording goes on once data comes back.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Recorder } from '../../broadcast/recording/recorder.js';
import { listSegments } from '../../broadcast/recording/segment-dir.js';
import type { Channel, RecordingJob } from '../../broadcast/recording/types.js';
import { waitUntil, type LogLine } from '../daemon/daemon-harness.js';
import { recorderRig } from './rig.js';
import { freeUdpPort, haveFfmpeg, largestStep, probe, startSatellite, topLevelBoxes, videoPts } from './satellite.js';

const ffmpegThere = haveFfmpeg();
if (!ffmpegThere) console.warn('test/recording/recorder.test.ts: skipped, ffmpeg/ffprobe not installed (apt-get install ffmpeg)');

describe.skipIf(!ffmpegThere)('recorder on real ffmpeg', () => {
  const rig = recorderRig('fenghuo-rec-');

  async function setUp(opts: { stallSeconds?: number; segmentSeconds?: number } = {}): Promise<{ recorder: Recorder; channel: Channel; port: number }> {
    const port = await freeUdpPort();
    const channel: Channel = { id: 'sat', name: 'CCTV-17 农业农村', source: { kind: 'udp', url: `udp://127.0.0.1:${port}` } };
    const recorder = rig.recorder(channel, opts);
    return { recorder, channel, port };
  }

  const job = (id: string, seconds: number): RecordingJob => rig.job(id, 'sat', seconds);
  const eventsOf = (name: string, id: string): LogLine[] => rig.eventsOf(name, id);

  it('records the planned duration with no hole, and makes a faststart MP4 browser copy without re-encoding', async () => {
    const { recorder, port } = await setUp();
    rig.track(startSatellite(port));
    recorder.start(job('clean', 12));
    const done = await waitUntil(() => {
      const r = recorder.get('clean');
      return r !== undefined && (r.state === 'finished' || r.state === 'failed') ? r : undefined;
    }, 40_000, 'the recording to finish');
    expect(done.state).toBe('finished');
    expect(done.lastError).toBeNull();
    expect(done.gaps).toEqual([]);
    expect(done.segments).toBeGreaterThanOrEqual(4);
    // The window was 12 s; ffmpeg's first data comes after it opened the input, and the end cuts at `q`.
    expect(done.durationS).toBeGreaterThan(9.5);
    expect(done.durationS).toBeLessThan(13.5);
    expect(done.streams?.map((s) => `${s.type}:${s.codec}`).sort()).toEqual(['audio:aac', 'video:h264']);

    const mp4 = done.browserPath!;
    const boxes = topLevelBoxes(mp4);
    expect(boxes.indexOf('moov')).toBeGreaterThanOrEqual(0);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    const p = await probe(mp4);
    expect(p.formatName).toContain('mp4');
    expect(Math.abs(p.durationS - done.durationS!)).toBeLessThan(0.01);
    // Continuity: at 25 fps a frame is 0.04 s; no step in the picture longer than a few frames.
    expect(largestStep(await videoPts(mp4))).toBeLessThan(0.2);
    // The segments hold the same media the copy does (stream copy: nothing re-encoded, nothing dropped).
    const dir = recorder.dirOf('clean');
    let segTotal = 0;
    for (const s of listSegments(dir)) if (s.bytes > 0) segTotal += (await probe(join(dir, s.name))).durationS;
    expect(Math.abs(segTotal - done.durationS!)).toBeLessThan(0.5);
    expect(readFileSync(join(dir, 'segments.txt'), 'utf8')).toContain('seg-00001.ts');
  }, 60_000);

  it('after kill -9 of ffmpeg every segment plays, ffmpeg is restarted and the hole is a gap', async () => {
    const { recorder, port } = await setUp();
    rig.track(startSatellite(port));
    recorder.start(job('killed', 22));
    const dir = recorder.dirOf('killed');
    await waitUntil(() => listSegments(dir).filter((s) => s.bytes > 0).length >= 3, 20_000, 'three segments with data');
    const pid = Number(readFileSync(join(dir, 'ffmpeg.pid'), 'utf8'));
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const beforeKill = listSegments(dir).map((s) => s.name);

    // Every segment there at the kill plays on its own, the partial last one included.
    for (const name of beforeKill) {
      const seg = listSegments(dir).find((s) => s.name === name)!;
      if (seg.bytes === 0) continue;
      const p = await probe(join(dir, name));
      expect(p.durationS, name).toBeGreaterThan(0);
      expect(p.streams.map((s) => s.codec_type).sort(), name).toEqual(['audio', 'video']);
    }

    const exit = await waitUntil(() => eventsOf('recording.ffmpeg_exit', 'killed')[0], 5_000, 'the early exit to be noticed');
    expect(exit.signal).toBe('SIGKILL');
    expect(exit.reason).toBe('ffmpeg_exit');
    const gap = await waitUntil(() => recorder.get('killed')?.gaps[0], 15_000, 'the gap to close (data again)');
    expect(gap.reason).toBe('ffmpeg_exit');
    expect(gap.from).toBeLessThanOrEqual(killedAt + 100);
    expect(gap.from).toBeGreaterThan(killedAt - 2_000);
    // Restart after the 0.5 s backoff, plus the new ffmpeg's start-up: a few seconds.
    expect(gap.to - gap.from).toBeLessThan(10_000);
    // New segments were appended after the old ones; none overwritten.
    const after = listSegments(dir);
    expect(after.map((s) => s.name).slice(0, beforeKill.length)).toEqual(beforeKill);
    expect(after.length).toBeGreaterThan(beforeKill.length);

    const done = await waitUntil(() => (recorder.get('killed')?.state === 'finished' ? recorder.get('killed') : undefined), 40_000, 'the recording to finish');
    expect(done.gaps).toHaveLength(1);
    expect(done.durationS).toBeGreaterThan(10);
  }, 80_000);

  it('a receiver that stops sending is found stalled within stallSeconds + margin; recording goes on when it is back', async () => {
    const { recorder, port } = await setUp({ stallSeconds: 3 });
    const first = startSatellite(port);
    rig.track(first);
    recorder.start(job('stalled', 40));
    const dir = recorder.dirOf('stalled');
    await waitUntil(() => listSegments(dir).filter((s) => s.bytes > 0).length >= 2, 20_000, 'two segments with data');
    const stoppedAt = Date.now();
    await first.stop();

    const stall = await waitUntil(() => eventsOf('recording.stalled', 'stalled')[0], 10_000, 'the stall to be detected');
    const detectedAfterMs = Date.parse(String(stall.time)) - stoppedAt;
    // stallSeconds (3 s) + one 1 s tick + the muxer's last buffered write: within 5.5 s.
    expect(detectedAfterMs).toBeGreaterThan(2_000);
    expect(detectedAfterMs).toBeLessThan(5_500);
    const exit = await waitUntil(() => eventsOf('recording.ffmpeg_exit', 'stalled')[0], 5_000, 'the stalled ffmpeg to be ended');
    expect(exit.reason).toBe('stall');

    // The receiver comes back: a new ffmpeg picks it up and the gap closes.
    await new Promise((r) => setTimeout(r, 2_000));
    const backAt = Date.now();
    rig.track(startSatellite(port));
    const gap = await waitUntil(() => recorder.get('stalled')?.gaps[0], 20_000, 'data again after the stall');
    expect(gap.reason).toBe('stall');
    expect(gap.from).toBeGreaterThan(stoppedAt - 1_500);
    expect(gap.from).toBeLessThanOrEqual(stoppedAt + 500);
    expect(gap.to).toBeGreaterThan(backAt);
    await recorder.stop('stalled');
    const done = recorder.get('stalled')!;
    expect(done.state).toBe('finished');
    expect(done.gaps).toHaveLength(1);
    expect(done.actualEnd).not.toBeNull();
  }, 80_000);
});
