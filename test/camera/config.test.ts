// The `cameras` config section through the real loader: defaults, exactly one source, unique ids, and a camera whose
// site is not an alarm site refused with the exact key and a suggestion (fenghuo exits 2 on any of these).
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../node-daemon/config/load.js';

const yaml = (cameras: string): string =>
  ['alarms:', '  sites:', '    - { id: qingshui, sensors: [river], prepare: { levelM: 5 }, evacuate: { levelM: 8 } }', 'buses: [{ id: b, type: tcp, host: 127.0.0.1, port: 502 }]', 'sensors: [{ id: river, bus: b, slave: 1, profile: submersible-level }]', 'cameras:', cameras, ''].join('\n');

describe('cameras config', () => {
  it('takes a camera with its defaults', () => {
    const r = parseConfigText(yaml('  - { id: bridge, site: qingshui, source: { rtsp: "rtsp://cam/1" } }'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.cameras).toEqual([
      { id: 'bridge', site: 'qingshui', source: { rtsp: 'rtsp://cam/1' }, intervalMin: 30, timeoutS: 15, onAlarm: true, afterDelayS: 60, keepDays: 14, keepAlarmDays: 365, faultAfterFailures: 3 },
    ]);
  });

  it('defaults to no cameras', () => {
    const r = parseConfigText('site: { name: x }\n');
    expect(r.ok && r.config.cameras).toEqual([]);
  });

  const problems = (cameras: string) => {
    const r = parseConfigText(yaml(cameras));
    expect(r.ok).toBe(false);
    return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
  };

  it('refuses a site that is not an alarm site, naming the key and the nearest id', () => {
    expect(problems('  - { id: bridge, site: qingshiu, source: { rtsp: "rtsp://cam/1" } }')).toEqual([expect.stringMatching(/^cameras\[0\]\.site: "qingshiu" is not the id of any alarm site; did you mean "qingshui"\?/)]);
  });

  it('refuses no source, both sources, a bad URL and a duplicate id', () => {
    expect(problems('  - { id: a, site: qingshui, source: {} }')).toEqual([expect.stringMatching(/^cameras\[0\]\.source: .*give rtsp or snapshotUrl/)]);
    expect(problems('  - { id: a, site: qingshui, source: { rtsp: "rtsp://c/1", snapshotUrl: "http://c/s.jpg" } }')).toEqual([expect.stringMatching(/not both/)]);
    expect(problems('  - { id: a, site: qingshui, source: { snapshotUrl: "ftp://c/s.jpg" } }')).toEqual([expect.stringMatching(/^cameras\[0\]\.source\.snapshotUrl: /)]);
    expect(problems('  - { id: a, site: qingshui, source: { rtsp: "rtsp://c/1" } }\n  - { id: a, site: qingshui, source: { rtsp: "rtsp://c/2" } }')).toEqual([expect.stringMatching(/^cameras\[1\]\.id: .*used twice/)]);
  });
});
