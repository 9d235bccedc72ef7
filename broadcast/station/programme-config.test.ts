import { describe, expect, it } from 'vitest';
import { isWavFile, stationSchema, unknownProgrammeSpeakers } from './programme-config.js';
import { nextDue } from './programme-schedule.js';

const paths = (input: unknown): string[] => {
  const r = stationSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('station.programmes config', () => {
  it('takes a daily bulletin from a file and a typed notice, with defaults', () => {
    const c = stationSchema.parse({
      programmes: [
        { id: 'price', title: '每日农产品价格', cron: '0 7 * * *', file: 'bulletins/price.wav' },
        { id: 'weather', title: '天气', cron: '30 18 * * 1-5', text: '今天夜间有小雨。', speakers: ['spk-1'], timeZone: 'Asia/Shanghai' },
      ],
    });
    expect(c.programmes.map((p) => p.id)).toEqual(['price', 'weather']);
    expect(stationSchema.parse({})).toEqual({ programmes: [] });
  });

  it('names the exact key of each mistake', () => {
    expect(paths({ programmes: [{ id: 'a', title: 't', cron: '0 7 * * *' }] })).toEqual(['programmes.0.text: give file or text: what the programme plays']);
    expect(paths({ programmes: [{ id: 'a', title: 't', cron: '0 7 * * *', file: 'x.wav', text: 'y' }] })).toEqual(['programmes.0.file: give file or text, not both']);
    expect(paths({ programmes: [{ id: 'a', title: 't', cron: '0 25 * * *', text: 'y' }] })[0]).toMatch(/^programmes\.0\.cron: not a cron expression croner reads: .*hour/);
    expect(paths({ programmes: [{ id: 'a', title: 't', cron: 'daily at 7', text: 'y' }] })[0]).toMatch(/^programmes\.0\.cron: /);
    expect(paths({ programmes: [{ id: 'a', title: 't', cron: '0 7 * * *', file: '../../etc/x.wav' }] })).toEqual(['programmes.0.file: a path inside the content folder (relative, without "..")']);
    expect(paths({ programmes: [{ id: 'a', title: 't', cron: '0 7 * * *', file: 'price.wma' }] })).toEqual(['programmes.0.file: an audio file (.wav .mp3 .m4a .aac .ogg .opus .flac)']);
    expect(paths({ programmes: [{ id: 'a', title: 't', cron: '0 7 * * *', file: 'price.mp3.txt' }] })).toEqual(['programmes.0.file: an audio file (.wav .mp3 .m4a .aac .ogg .opus .flac)']);
    expect(paths({ programmes: [{ id: 'a', title: 't', cron: '0 7 * * *', file: '/srv/price.mp3' }] })).toEqual(['programmes.0.file: a path inside the content folder (relative, without "..")']);
    expect(paths({ programmes: [{ id: 'a', title: 't', cron: '0 7 * * *', file: 'a\\..\\..\\price.mp3' }] })).toEqual(['programmes.0.file: a path inside the content folder (relative, without "..")']);
    expect(paths({ programmes: [{ id: 'a', title: 't', cron: '0 7 * * *', text: 'y', timeZone: 'Beijing' }] })).toEqual(['programmes.0.timeZone: an IANA time zone such as Asia/Shanghai']);
    expect(paths({ programmes: [{ id: 'a', title: 't', cron: '0 7 * * *', text: 'y', speaker: ['s'] }] })[0]).toMatch(/^programmes\.0: .*speaker/);
    expect(
      paths({
        programmes: [
          { id: 'a', title: 't', cron: '0 7 * * *', text: 'y' },
          { id: 'a', title: 'u', cron: '0 8 * * *', text: 'z' },
        ],
      }),
    ).toEqual(['programmes.1.id: programme id a is used twice (also station.programmes[0])']);
    expect(paths({ contentDir: 'content' })).toEqual(['contentDir: an absolute path']);
  });

  it('takes the audio files the library and the county hand over: WAV as it is, MP3, M4A/AAC, OGG/Opus and FLAC converted', () => {
    const files = ['price.wav', 'bulletins/price.mp3', 'county/通知.M4A', 'a.aac', 'b.ogg', 'c.opus', 'd.flac', 'e.WAV'];
    const c = stationSchema.parse({ programmes: files.map((file, i) => ({ id: `p${i}`, title: 't', cron: '0 7 * * *', file })) });
    expect(c.programmes.map((p) => p.file)).toEqual(files);
    expect(files.filter(isWavFile)).toEqual(['price.wav', 'e.WAV']);
  });

  it('a programme speaker must be one of outputs.speakers', () => {
    const station = stationSchema.parse({ programmes: [{ id: 'a', title: 't', cron: '0 7 * * *', text: 'y', speakers: ['spk-1', 'spk-9'] }] });
    expect(unknownProgrammeSpeakers(station, ['spk-1'])).toEqual([
      { path: ['station', 'programmes', 0, 'speakers', 1], message: '"spk-9" is not a speaker of this box; expected one of spk-1 (outputs.speakers)' },
    ]);
    expect(unknownProgrammeSpeakers(station, ['spk-1', 'spk-9'])).toEqual([]);
  });

  it('reads the cron in the programme\'s zone: 07:00 Beijing time is 23:00 UTC the day before', () => {
    const at = Date.UTC(2026, 5, 1, 12, 0, 0); // 20:00 in Beijing
    expect(new Date(nextDue('0 7 * * *', 'Asia/Shanghai', at)!).toISOString()).toBe('2026-06-01T23:00:00.000Z');
    // exactly on a due time, the next is the one after
    expect(new Date(nextDue('0 7 * * *', 'Asia/Shanghai', Date.UTC(2026, 5, 1, 23, 0, 0))!).toISOString()).toBe('2026-06-02T23:00:00.000Z');
  });
});
