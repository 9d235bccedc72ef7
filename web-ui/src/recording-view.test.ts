import { describe, expect, it } from 'vitest';
import type { Recording } from './api.js';
import { applyRecordingEvent, copyNote, done, entryBody, gapSeconds, inProgress, offersSegments, unplayableCodec, zonedIso, zonedToday, type EntryForm } from './recording-view.js';

function rec(id: string, plannedStart: number, patch: Partial<Recording> = {}): Recording {
  return {
    id, channelId: 'cctv17', channelName: 'CCTV-17', title: id, origin: 'xmltv', state: 'recording', plannedStart, plannedEnd: plannedStart + 60_000,
    plannedStartIso: '', plannedEndIso: '', actualStart: plannedStart, actualEnd: null, bytes: 0, segments: 0, gaps: [], damagedPackets: 0, pinned: false,
    durationS: null, streams: null, media: null, mediaBytes: null, lastError: null, live: null, ...patch,
  };
}

describe('applyRecordingEvent: the list kept by the live `recording` events', () => {
  it('replaces a recording\'s row with its newer state, adds a new one in start order, removes a deleted one', () => {
    const list = [rec('b', 2_000), rec('a', 1_000)];
    const progressed = applyRecordingEvent(list, { type: 'progress', recording: rec('a', 1_000, { bytes: 500, segments: 2 }) });
    expect(progressed.map((r) => [r.id, r.bytes])).toEqual([['b', 0], ['a', 500]]);
    const added = applyRecordingEvent(progressed, { type: 'state', recording: rec('c', 3_000) });
    expect(added.map((r) => r.id)).toEqual(['c', 'b', 'a']);
    expect(applyRecordingEvent(added, { type: 'deleted', id: 'b' }).map((r) => r.id)).toEqual(['c', 'a']);
  });

  it('sorts recordings in progress from finished and failed ones', () => {
    const list = [rec('a', 1, { state: 'finishing' }), rec('b', 2, { state: 'finished' }), rec('c', 3, { state: 'failed' }), rec('d', 4)];
    expect(inProgress(list).map((r) => r.id)).toEqual(['a', 'd']);
    expect(done(list).map((r) => r.id)).toEqual(['b', 'c']);
  });

  it('adds up the gaps in seconds', () => {
    const gap = (from: number, to: number) => ({ from, to, reason: 'stall' as const, fromIso: '', toIso: '' });
    expect(gapSeconds({ gaps: [gap(0, 12_000), gap(20_000, 23_500)] })).toBe(15.5);
  });
});

describe('a finished recording without a browser copy: why, and its original segments', () => {
  // As broadcast/recording/browser-copy.ts BrowserCopyUnplayableError words it (its start is typed by the contract).
  const unplayable = (codec: string): string => `browsers cannot play this video codec (${codec}): no browser copy was made; download the original segments`;

  it('reads the codec out of the daemon\'s unplayable-video message, and nothing out of other errors', () => {
    expect(unplayableCodec(unplayable('mpeg2video'))).toBe('mpeg2video');
    expect(unplayableCodec(unplayable('hevc'))).toBe('hevc');
    expect(unplayableCodec('browsers cannot play this video codec')).toBe('?');
    expect(unplayableCodec('ffmpeg could not make the browser copy: Invalid data found when processing input')).toBeUndefined();
    expect(unplayableCodec('ffprobe could not read seg-00001.ts: browsers cannot play this video codec (x)')).toBeUndefined();
    expect(unplayableCodec(null)).toBeUndefined();
  });

  it('says the unplayable codec in the UI\'s words, keeps any other error as the daemon gave it', () => {
    expect(copyNote(rec('a', 1, { state: 'finished', lastError: unplayable('mpeg2video') }))).toEqual({ kind: 'unplayable', codec: 'mpeg2video' });
    const other = 'ffmpeg could not make the browser copy: No space left on device';
    expect(copyNote(rec('b', 1, { state: 'finished', lastError: other }))).toEqual({ kind: 'error', message: other });
    expect(copyNote(rec('c', 1, { state: 'finished' }))).toEqual({ kind: 'none' });
  });

  it('offers the segments of a finished recording with no browser copy only', () => {
    expect(offersSegments(rec('a', 1, { state: 'finished', lastError: unplayable('hevc') }))).toBe(true);
    expect(offersSegments(rec('b', 1, { state: 'finished', lastError: 'ffmpeg could not make the browser copy: killed' }))).toBe(true);
    expect(offersSegments(rec('c', 1, { state: 'finished', media: '/api/v1/recordings/c/media' }))).toBe(false);
    expect(offersSegments(rec('d', 1, { state: 'failed', lastError: 'no data' }))).toBe(false);
    expect(offersSegments(rec('e', 1, { state: 'finishing' }))).toBe(false);
  });
});

describe('entryBody: a one-off or weekly entry from the form, in the box\'s zone', () => {
  const form: EntryForm = { kind: 'once', channel: 'cctv17', title: ' 农技讲堂 ', date: '2026-12-07', start: '09:00', end: '11:00', days: [] };

  it('sends a one-off entry with the zone\'s offset, and an end before the start on the next day', () => {
    expect(entryBody(form, 'Asia/Shanghai')).toEqual({ ok: true, body: { kind: 'once', channel: 'cctv17', title: '农技讲堂', start: '2026-12-07T09:00:00+08:00', end: '2026-12-07T11:00:00+08:00' } });
    const overnight = entryBody({ ...form, start: '23:30', end: '00:30' }, 'Asia/Shanghai');
    expect(overnight.ok && overnight.body.kind === 'once' ? overnight.body.end : '').toBe('2026-12-08T00:30:00+08:00');
  });

  it('sends weekly days in week order', () => {
    expect(entryBody({ ...form, kind: 'weekly', days: ['fri', 'mon'] }, 'Asia/Shanghai')).toEqual({ ok: true, body: { kind: 'weekly', channel: 'cctv17', title: '农技讲堂', days: ['mon', 'fri'], start: '09:00', end: '11:00' } });
  });

  it('names what is missing instead of sending', () => {
    expect(entryBody({ ...form, title: '  ' }, 'Asia/Shanghai')).toEqual({ ok: false, problem: 'title' });
    expect(entryBody({ ...form, channel: '' }, 'Asia/Shanghai')).toEqual({ ok: false, problem: 'channel' });
    expect(entryBody({ ...form, start: '9' }, 'Asia/Shanghai')).toEqual({ ok: false, problem: 'time' });
    expect(entryBody({ ...form, end: '09:00' }, 'Asia/Shanghai')).toEqual({ ok: false, problem: 'same' });
    expect(entryBody({ ...form, kind: 'weekly' }, 'Asia/Shanghai')).toEqual({ ok: false, problem: 'days' });
    expect(entryBody({ ...form, date: '' }, 'Asia/Shanghai')).toEqual({ ok: false, problem: 'date' });
  });

  it('takes a zone with summer time at the offset of that day', () => {
    expect(zonedIso('2026-07-01', '09:00', 'Europe/Berlin')).toBe('2026-07-01T09:00:00+02:00');
    expect(zonedIso('2026-12-01', '09:00', 'Europe/Berlin')).toBe('2026-12-01T09:00:00+01:00');
    expect(zonedIso('2026-12-01', '09:00', 'America/Chicago')).toBe('2026-12-01T09:00:00-06:00');
  });

  it('knows today in the box\'s zone (23:30 UTC is the next day in Beijing)', () => {
    expect(zonedToday('Asia/Shanghai', Date.UTC(2026, 11, 6, 23, 30))).toBe('2026-12-07');
  });
});
