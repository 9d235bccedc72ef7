import { describe, expect, it } from 'vitest';
import { parseXmltv, preferredText } from '../../broadcast/recording/schedule/xmltv.js';
import { configSchema } from '../../node-daemon/config/schema.js';
import { DATAGRAM_BYTES, DatagramCutter, DEMO_CHANNELS, demoGuideXml, demoProgrammes, demoRecordingConfig, xmltvTime } from '../../node-daemon/sim/demo-satellite.js';

const NOW = Date.UTC(2026, 11, 7, 1, 0, 30); // Monday 09:00:30 Beijing time

describe('the demo satellite guide', () => {
  it('writes an XMLTV guide the schedule reads: the first programme a minute on, a conflict on the one receiver later', () => {
    const programmes = demoProgrammes(NOW, { firstAfterS: 60, firstLengthS: 45 });
    const guide = parseXmltv(demoGuideXml(programmes));
    const byStart = [...guide.programmes].sort((a, b) => a.start - b.start);
    expect(byStart.map((p) => preferredText(p.titles))).toEqual(['今日农产品价格', '玉米病虫害防治', '全省防汛视频会议', '乡村大舞台']);
    const first = byStart[0]!;
    expect(first.start).toBe(NOW + 60_000);
    expect(first.stop - first.start).toBe(45_000);
    // The training (farm channel) and the meeting (province channel) overlap: one receiver cannot record both.
    const [, training, meeting] = byStart;
    expect(meeting!.start).toBeLessThan(training!.stop);
    expect(meeting!.channel).toBe(DEMO_CHANNELS.province.xmltvId);
  });

  it('keeps the seconds of each time, in Beijing time', () => {
    expect(xmltvTime(NOW)).toBe('20261207090030 +0800');
  });

  it('gives a recording section the daemon\'s config schema takes, with its channels on one receiver', () => {
    const config = configSchema.parse({ recording: demoRecordingConfig({ farm: 5000, province: 5001 }, '/tmp/guide.xml') });
    expect(config.recording?.channels.map((c) => c.id)).toEqual([DEMO_CHANNELS.farm.id, DEMO_CHANNELS.province.id]);
    expect(Object.values(config.recording?.receivers ?? {})).toEqual([[DEMO_CHANNELS.farm.id, DEMO_CHANNELS.province.id]]);
  });
});

describe('DatagramCutter', () => {
  it('sends whole datagrams of 7 TS packets and keeps the rest for the next chunk', () => {
    const cutter = new DatagramCutter();
    const bytes = Buffer.alloc(DATAGRAM_BYTES * 2 + 100, 0x47);
    expect(cutter.push(bytes.subarray(0, DATAGRAM_BYTES + 50)).map((d) => d.length)).toEqual([DATAGRAM_BYTES]);
    expect(cutter.push(bytes.subarray(DATAGRAM_BYTES + 50)).map((d) => d.length)).toEqual([DATAGRAM_BYTES]);
    expect(cutter.push(Buffer.alloc(DATAGRAM_BYTES - 100, 0x47)).map((d) => d.length)).toEqual([DATAGRAM_BYTES]);
  });
});
