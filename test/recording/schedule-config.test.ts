// The schedule's keys of the `recording` config section: a good schedule loads with its defaults; each mistake is
// named by its exact key and says why (the CLI prints these and exits 2).
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../node-daemon/config/load.js';

const CHANNELS = `
  channels:
    - { id: cctv17, name: CCTV-17, source: { kind: udp, url: "udp://239.1.1.17:1234" }, xmltvId: CCTV17.cn }
    - { id: cctv13, name: CCTV-13, source: { kind: udp, url: "udp://239.1.1.13:1234" } }
`;

const problems = (yaml: string): string[] => {
  const r = parseConfigText(yaml);
  return r.ok ? [] : r.problems.filter((p) => p.severity === 'error').map((p) => `${p.path}: ${p.message}`);
};

describe('recording schedule config', () => {
  it('loads rules, weekly entries, receivers and the guide, with the padding defaults', () => {
    const r = parseConfigText(`
recording:${CHANNELS}
  xmltv: { url: "http://tvh.local:9981/xmltv" }
  rules:
    - { channel: cctv17, title: "致富经|农技", days: [mon, tue] }
    - { channel: cctv13, window: { from: "19:00", to: "19:30" } }
  weekly:
    - { channel: cctv17, title: 周一例会, days: [mon], start: "09:00", end: "11:00" }
  receivers:
    dish: [cctv17, cctv13]
`);
    expect(r.ok, JSON.stringify(r.ok ? [] : r.problems)).toBe(true);
    if (!r.ok) return;
    expect(r.config.recording).toMatchObject({
      xmltv: { url: 'http://tvh.local:9981/xmltv', refreshMinutes: 60 },
      paddingBeforeS: 60,
      paddingAfterS: 300,
      receivers: { dish: ['cctv17', 'cctv13'] },
    });
    expect(r.config.recording?.rules).toHaveLength(2);
  });

  it('names the exact key of each mistake, and why', () => {
    const found = problems(`
recording:${CHANNELS}
  xmltv: { file: /srv/guide.xml, url: "http://tvh/xmltv" }
  rules:
    - { channel: cctv17, title: "致富经(" }
    - { channel: cctv17 }
    - { channel: cctv7, category: 农业 }
  weekly:
    - { channel: cctv17, title: 例会, days: [monday], start: "9:00", end: "11:00" }
    - { channel: cctv13, title: 例会, days: [mon], start: "09:00", end: "09:00" }
  paddingAfterS: -5
  padingBeforeS: 10
`);
    const has = (prefix: string, text: string): void => {
      expect(found.some((p) => p.startsWith(prefix) && p.includes(text)), `${prefix} … ${text} in\n${found.join('\n')}`).toBe(true);
    };
    has('recording.xmltv:', 'exactly one of file and url');
    has('recording.rules[0].title:', 'not a regular expression');
    has('recording.rules[1]:', 'would record every programme');
    has('recording.weekly[0].days[0]:', 'mon');
    has('recording.weekly[0].start:', 'HH:MM');
    has('recording.weekly[1].end:', 'end equals start');
    has('recording.paddingAfterS:', '');
    has('recording.padingBeforeS:', 'paddingBeforeS');
  });

  it('names a channel the rules, weekly entries or receivers refer to that recording.channels lacks', () => {
    const found = problems(`
recording:${CHANNELS}
  rules:
    - { channel: cctv7, category: 农业 }
  weekly:
    - { channel: cctv31, title: 例会, days: [mon], start: "09:00", end: "11:00" }
  receivers:
    dish: [cctv17, cctv13]
    other: [cctv13, village]
`);
    expect(found).toEqual([
      'recording.rules[0].channel: no channel cctv7 in recording.channels; did you mean cctv17?',
      'recording.weekly[0].channel: no channel cctv31 in recording.channels; did you mean cctv13?',
      'recording.receivers.other[0]: channel cctv13 is on receiver dish already: a channel comes through one receiver',
      'recording.receivers.other[1]: no channel village in recording.channels',
    ]);
  });
});
