// The recorder on an RTSP channel against a real RTSP server: GStreamer's (gst-rtsp-server, run by rtsp-server.py),
// serving the simulated receiver's MPEG-TS as RTP/MP2T, as an IP camera or a receiver's RTSP output does. ffmpeg
// cannot be that server (its `-rtsp_flags listen` takes a publisher's ANNOUNCE/RECORD; it does not answer DESCRIBE and
// PLAY). Shows: with the server offering TCP interleaved only, the recorder's default transport records the planned
// length, every segment plays with its video and audio, no gap, no hole in the picture; a server killed mid-recording
// and back a few seconds later: ffmpeg's exit is noticed, the recorder retries with backoff until the server answers,
// the stretch is one recorded gap, and the recording goes on after it.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listSegments } from '../../broadcast/recording/segment-dir.js';
import type { Channel } from '../../broadcast/recording/types.js';
import { waitUntil } from '../daemon/daemon-harness.js';
import { freeTcpPort } from '../helpers/pymodbus.js';
import { recorderRig } from './rig.js';
import { freeUdpPort, haveFfmpeg, haveRtspServer, largestStep, probe, RTSP_SERVER_PACKAGES, startRtspServer, startSatellite, videoPts } from './satellite.js';

const ffmpegThere = haveFfmpeg();
const rtspServerThere = ffmpegThere && haveRtspServer();
if (!ffmpegThere) console.warn('test/recording/rtsp-source.test.ts: skipped, ffmpeg/ffprobe not installed (apt-get install ffmpeg)');
else if (!rtspServerThere) {
  console.warn(`test/recording/rtsp-source.test.ts: skipped, GStreamer's RTSP server is not installed (apt-get install ${RTSP_SERVER_PACKAGES})`);
}

describe.skipIf(!rtspServerThere)('recorder on an RTSP channel (GStreamer RTSP server)', () => {
  const rig = recorderRig('fenghuo-rec-rtsp-');

  async function setUp(opts: { tcpOnly?: boolean } = {}) {
    const feedPort = await freeUdpPort();
    const port = await freeTcpPort();
    const server = await startRtspServer(port, feedPort, opts);
    rig.track(startSatellite(feedPort));
    const channel: Channel = { id: 'cam', name: '乡镇会场 RTSP', source: { kind: 'rtsp', url: server.url } };
    return { server: rig.track(server), channel, port, feedPort, recorder: rig.recorder(channel) };
  }

  /** The video seconds in the segments of `dir`, and their streams, each segment probed on its own. */
  async function segmentMedia(dir: string, writtenAfter = 0): Promise<{ seconds: number; kinds: string[][] }> {
    let seconds = 0;
    const kinds: string[][] = [];
    for (const s of listSegments(dir)) {
      if (s.bytes === 0 || s.mtimeMs <= writtenAfter) continue;
      const p = await probe(join(dir, s.name));
      seconds += p.durationS;
      kinds.push(p.streams.map((st) => `${st.codec_type}:${st.codec_name}`).sort());
    }
    return { seconds, kinds };
  }

  it('records the planned length over RTSP with TCP interleaving (the default), and every segment plays', async () => {
    const { server, recorder } = await setUp({ tcpOnly: true });
    recorder.start(rig.job('rtsp-1', 'cam', 12));
    const done = await rig.settled(recorder, 'rtsp-1', 40_000);
    expect(done.state).toBe('finished');
    expect(done.lastError).toBeNull();
    expect(done.gaps).toEqual([]);
    expect(rig.eventsOf('recording.ffmpeg_exit', 'rtsp-1')).toEqual([]);
    // The server offered RTP over TCP only (a UDP SETUP is refused with 461), and saw one SETUP: the first one worked.
    expect(server.setups).toHaveLength(1);
    expect(server.setups[0]).toMatch(/^RTP\/AVP\/TCP;.*interleaved=/);
    expect(done.segments).toBeGreaterThanOrEqual(3);
    // The window was 12 s; ffmpeg's first data comes after it opened and probed the stream, the end cuts at `q`.
    expect(done.durationS).toBeGreaterThan(8);
    expect(done.durationS).toBeLessThan(13.5);
    expect(done.streams?.map((s) => `${s.type}:${s.codec}`).sort()).toEqual(['audio:aac', 'video:h264']);
    const segs = await segmentMedia(recorder.dirOf('rtsp-1'));
    for (const k of segs.kinds) expect(k).toEqual(['audio:aac', 'video:h264']);
    expect(Math.abs(segs.seconds - done.durationS!)).toBeLessThan(0.5);
    // No hole in the picture: 25 fps is 0.04 s a frame.
    expect(largestStep(await videoPts(done.browserPath!))).toBeLessThan(0.2);
  }, 60_000);

  it('an RTSP server killed mid-recording and back: the recorder retries, the outage is one gap, recording goes on', async () => {
    const { server, recorder, port, feedPort } = await setUp();
    recorder.start(rig.job('rtsp-kill', 'cam', 24));
    const dir = recorder.dirOf('rtsp-kill');
    await waitUntil(() => listSegments(dir).filter((s) => s.bytes > 0).length >= 2, 20_000, 'two segments with data');
    const killedAt = Date.now();
    await server.stop(); // SIGKILL: the TCP connection drops, nothing is said
    const exit = await waitUntil(() => rig.eventsOf('recording.ffmpeg_exit', 'rtsp-kill')[0], 8_000, 'the lost server to be noticed');
    expect(['ffmpeg_exit', 'stall']).toContain(exit.reason);

    await new Promise((r) => setTimeout(r, 2_000));
    const backAt = Date.now();
    rig.track(await startRtspServer(port, feedPort));
    const gap = await waitUntil(() => recorder.get('rtsp-kill')?.gaps[0], 20_000, 'data again after the server came back');
    expect(['ffmpeg_exit', 'stall']).toContain(gap.reason);
    expect(gap.from).toBeGreaterThan(killedAt - 1_500);
    expect(gap.from).toBeLessThanOrEqual(killedAt + 500);
    expect(gap.to).toBeGreaterThan(backAt);
    // Restarts while the server was away were refused, each one after the backoff.
    expect(rig.eventsOf('recording.ffmpeg_started', 'rtsp-kill').length).toBeGreaterThanOrEqual(2);

    const done = await rig.settled(recorder, 'rtsp-kill', 40_000);
    expect(done.state).toBe('finished');
    expect(done.gaps).toHaveLength(1);
    // The recording covers the time after the gap: segments written after it hold seconds of video and audio.
    const after = await segmentMedia(dir, gap.to - 1_000);
    expect(after.seconds).toBeGreaterThan(2);
    for (const k of after.kinds) expect(k).toEqual(['audio:aac', 'video:h264']);
  }, 80_000);
});
