// The recorder on an HTTP channel, as a TVHeadend channel URL serves one (`/stream/channel/…`): against ffmpeg's own
// HTTP server the recording has its planned length, plays, and its browser copy is made — the same recorder path as
// the UDP receiver (recorder.test.ts), through the http input options of our argument builder. Against a relay that
// makes network faults on purpose (satellite.ts, startHttpRelay): a connection reset mid-stream, and a server that
// stays connected but stops sending mid-body.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listSegments } from '../../broadcast/recording/segment-dir.js';
import type { Channel } from '../../broadcast/recording/types.js';
import { waitUntil } from '../daemon/daemon-harness.js';
import { freeTcpPort } from '../helpers/pymodbus.js';
import { recorderRig } from './rig.js';
import { haveFfmpeg, largestStep, probe, startHttpChannel, startHttpRelay, videoPts } from './satellite.js';

const ffmpegThere = haveFfmpeg();
if (!ffmpegThere) console.warn('test/recording/http-source.test.ts: skipped, ffmpeg/ffprobe not installed (apt-get install ffmpeg)');

describe.skipIf(!ffmpegThere)('recorder on an HTTP channel (ffmpeg serving MPEG-TS over HTTP)', () => {
  const rig = recorderRig('fenghuo-rec-http-');

  it('records the planned length from an HTTP channel URL, and the browser copy plays', async () => {
    const port = await freeTcpPort();
    rig.track(startHttpChannel(port));
    const channel: Channel = { id: 'tvh', name: 'TVHeadend 频道 1', source: { kind: 'http', url: `http://127.0.0.1:${port}/stream/channel/1` } };
    const recorder = rig.recorder(channel);
    // The server needs a moment to listen; an early refusal is a restart with backoff, which the gaps would show.
    await new Promise((r) => setTimeout(r, 1_000));
    recorder.start({ id: 'http-1', channelId: 'tvh', title: '农技讲座', startAt: Date.now(), endAt: Date.now() + 10_000, origin: 'manual' });
    const done = await rig.settled(recorder, 'http-1', 40_000);
    expect(done.state).toBe('finished');
    expect(done.segments).toBeGreaterThanOrEqual(3);
    expect(done.durationS).toBeGreaterThan(7.5);
    expect(done.durationS).toBeLessThan(11.5);
    expect(done.browserPath).not.toBeNull();
    const copy = await probe(done.browserPath ?? '');
    expect(copy.streams.map((st) => st.codec_name)).toEqual(expect.arrayContaining(['h264', 'aac']));
  }, 60_000);

  /** The video seconds in the segments of `dir` written after `after` (ms), each segment probed on its own. */
  async function secondsWrittenAfter(dir: string, after: number): Promise<number> {
    let seconds = 0;
    for (const s of listSegments(dir)) if (s.bytes > 0 && s.mtimeMs > after) seconds += (await probe(join(dir, s.name))).durationS;
    return seconds;
  }

  it('a connection reset mid-stream: ffmpeg reconnects by itself, no gap, and the recording covers the time after the reset', async () => {
    const relay = rig.track(await startHttpRelay());
    const channel: Channel = { id: 'tvh-reset', name: 'TVHeadend 频道 2', source: { kind: 'http', url: relay.url } };
    const recorder = rig.recorder(channel);
    recorder.start(rig.job('http-reset', channel.id, 16));
    const dir = recorder.dirOf('http-reset');
    await waitUntil(() => listSegments(dir).filter((s) => s.bytes > 0).length >= 2, 20_000, 'two segments with data');
    const resetAt = Date.now();
    const sentBefore = relay.bytesSent;
    relay.reset(); // TCP RST on the open connection; the relay accepts new ones at once
    const done = await rig.settled(recorder, 'http-reset', 40_000);
    expect(done.state).toBe('finished');
    // The reset reached ffmpeg and it came back for more: a second request, and bytes sent on it.
    expect(relay.requests).toBe(2);
    expect(relay.bytesSent).toBeGreaterThan(sentBefore);
    // Its http reconnect options (ffmpeg-args.ts) carried it over: the same ffmpeg ran to the end (without them it
    // exits 0 at "Connection reset by peer" and the recorder would restart it), so there was nothing to record as a gap.
    expect(rig.eventsOf('recording.ffmpeg_exit', 'http-reset')).toEqual([]);
    expect(done.gaps).toEqual([]);
    // The time after the reset is in the recording: the segments written after it hold most of the ~9 s left of the
    // window, and the picture has no hole longer than a few frames across the reconnect.
    const windowLeftS = (done.plannedEnd - resetAt) / 1_000;
    expect(await secondsWrittenAfter(dir, resetAt + 500)).toBeGreaterThan(windowLeftS - 4);
    expect(largestStep(await videoPts(done.browserPath!))).toBeLessThan(1);
  }, 60_000);

  it('a server that stays connected but stops sending mid-body: the stall is found, one gap, recording resumes when bytes flow', async () => {
    const relay = rig.track(await startHttpRelay());
    const channel: Channel = { id: 'tvh-stall', name: 'TVHeadend 频道 3', source: { kind: 'http', url: relay.url } };
    const stallSeconds = 3;
    // A restarted ffmpeg probes ~5 s of the stream before its first write: start-up 6 s, so a slow probe is not a stall.
    const recorder = rig.recorder(channel, { stallSeconds, startupSeconds: 6 });
    recorder.start(rig.job('http-stall', channel.id, 25));
    const dir = recorder.dirOf('http-stall');
    await waitUntil(() => listSegments(dir).filter((s) => s.bytes > 0).length >= 2, 20_000, 'two segments with data');
    const pausedAt = Date.now();
    relay.pause();
    expect(relay.open).toBe(1); // connected, silent

    const stall = await waitUntil(() => rig.eventsOf('recording.stalled', 'http-stall')[0], 12_000, 'the stall to be detected');
    const detectedAfterMs = Date.parse(String(stall.time)) - pausedAt;
    // stallSeconds + the 1 s tick + the muxer's last buffered write, with room for a loaded machine.
    expect(detectedAfterMs).toBeGreaterThan(stallSeconds * 1_000 - 1_000);
    expect(detectedAfterMs).toBeLessThan(stallSeconds * 1_000 + 3_000);
    const exit = await waitUntil(() => rig.eventsOf('recording.ffmpeg_exit', 'http-stall')[0], 6_000, 'the stalled ffmpeg to be ended');
    expect(exit.reason).toBe('stall');

    // Bytes flow again (to the restarted ffmpeg's connection): the gap closes and the recording goes on.
    await new Promise((r) => setTimeout(r, 1_000));
    const resumedAt = Date.now();
    relay.resume();
    const gap = await waitUntil(() => recorder.get('http-stall')?.gaps[0], 20_000, 'data again after the stall');
    expect(gap.reason).toBe('stall');
    expect(gap.from).toBeGreaterThan(pausedAt - 1_500);
    expect(gap.from).toBeLessThanOrEqual(pausedAt + 500);
    expect(gap.to).toBeGreaterThan(resumedAt);
    const done = await rig.settled(recorder, 'http-stall', 40_000);
    expect(done.state).toBe('finished');
    expect(done.gaps).toHaveLength(1);
    expect(await secondsWrittenAfter(dir, gap.to - 1_000)).toBeGreaterThan(2);
  }, 60_000);
});
