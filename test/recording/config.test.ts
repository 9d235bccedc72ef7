// The `recording` config section: good channels load with the defaults; each mistake is named by its exact key.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../node-daemon/config/load.js';

const problems = (yaml: string): string[] => {
  const r = parseConfigText(yaml);
  return r.ok ? [] : r.problems.filter((p) => p.severity === 'error').map((p) => `${p.path}: ${p.message}`);
};

describe('recording config', () => {
  it('loads channels of every source kind with the defaults', () => {
    const r = parseConfigText(`
recording:
  channels:
    - { id: cctv17, name: CCTV-17 农业农村, source: { kind: udp, url: "udp://239.1.1.1:1234", localAddress: 192.168.1.20 }, xmltvId: CCTV17.cn }
    - { id: tvh, name: 省台, source: { kind: http, url: "http://tvh:9981/stream/channel/abc?profile=pass" } }
    - { id: cam, name: 会场, source: { kind: rtsp, url: "rtsp://10.0.0.5/live", transport: udp } }
    - { id: hdmi, name: 接收机, source: { kind: capture, video: /dev/video0, audio: "hw:1,0", videoSize: 720x576, framerate: 25 } }
`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.recording?.segmentSeconds).toBe(60);
    expect(r.config.recording?.stallSeconds).toBe(10);
    expect(r.config.recording?.channels.map((c) => c.source.kind)).toEqual(['udp', 'http', 'rtsp', 'capture']);
  });

  it('names the exact key of each mistake', () => {
    const found = problems(`
recording:
  segmentSecond: 30
  stallSeconds: 1
  channels:
    - { id: a, name: A, source: { kind: udp, url: "http://x" } }
    - { id: a, name: B, source: { kind: dvb, url: "x" } }
    - { id: c, name: C, source: { kind: capture, video: video0 } }
`);
    expect(found.some((p) => p.startsWith('recording.segmentSecond:') && p.includes('segmentSeconds'))).toBe(true);
    expect(found.some((p) => p.startsWith('recording.stallSeconds:'))).toBe(true);
    expect(found.some((p) => p.startsWith('recording.channels[0].source.url:') && p.includes('udp://'))).toBe(true);
    expect(found.some((p) => p.startsWith('recording.channels[1].source.kind:'))).toBe(true);
    expect(found.some((p) => p.startsWith('recording.channels[2].source.video:'))).toBe(true);
    expect(found, found.join('\n')).toHaveLength(5);
  });

  it('refuses a channel id used twice', () => {
    const found = problems(`
recording:
  channels:
    - { id: a, name: A, source: { kind: udp, url: "udp://@:5000" } }
    - { id: a, name: B, source: { kind: udp, url: "udp://@:5001" } }
`);
    expect(found).toEqual(['recording.channels[1].id: channel id a is used twice (also recording.channels[0])']);
  });
});
