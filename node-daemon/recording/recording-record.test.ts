import { describe, expect, it } from 'vitest';
import { newRecordingRow, type RecordingInfo } from '../../broadcast/recording/recording-types.js';
import { laneOfLogKind } from '../sync/outbox/lanes.js';
import { recordingPayloadSchema, syncRecordSchema } from '../sync/protocol/records-schema.js';
import { recordingChangeToLog, recordingPayload } from './recording-record.js';

const T = 1_765_000_000_000;

const started: RecordingInfo = newRecordingRow({ id: 'xmltv-cctv17-20251206T0800', channelId: 'cctv17', title: '致富经', origin: 'xmltv', startAt: T, endAt: T + 1_800_000 }, T);

const finished: RecordingInfo = {
  ...started,
  actualStart: T + 200,
  actualEnd: T + 1_800_000,
  state: 'finished',
  bytes: 123_456_789,
  segments: 30,
  gaps: [{ from: T + 60_000, to: T + 75_000, reason: 'stall' }],
  browserPath: '/data/recordings/x/browser.mp4',
  browserBytes: 99_000_000,
  durationS: 1_784.5,
  streams: [{ index: 0, type: 'video', codec: 'h264', width: 720, height: 576 }],
  damagedPackets: 3,
};

describe('which recordings changes the county hears of', () => {
  it('a start, a state change but not to finishing, a pin change and a deletion; not progress', () => {
    expect(recordingChangeToLog(undefined, started)).toBe('recording');
    expect(recordingChangeToLog(started, { ...started, bytes: 5_000, segments: 1, actualStart: T + 200 })).toBeUndefined();
    expect(recordingChangeToLog(started, { ...started, gaps: [{ from: T, to: T + 1, reason: 'stall' }] })).toBeUndefined();
    expect(recordingChangeToLog(started, { ...started, state: 'finishing' })).toBeUndefined();
    expect(recordingChangeToLog({ ...started, state: 'finishing' }, finished)).toBe('finished');
    expect(recordingChangeToLog(started, { ...started, state: 'failed' })).toBe('failed');
    expect(recordingChangeToLog(finished, { ...finished, lastError: 'copy failed' })).toBeUndefined();
    expect(recordingChangeToLog(finished, { ...finished, pinned: true })).toBe('finished');
    expect(recordingChangeToLog({ ...finished, pinned: true }, finished)).toBe('finished');
    expect(recordingChangeToLog(finished, undefined)).toBe('deleted');
    expect(recordingChangeToLog(undefined, undefined)).toBeUndefined();
  });
});

describe('the recording payload', () => {
  it('is the metadata, never the media paths or streams, and the hub\'s schema takes it', () => {
    const p = recordingPayload(finished, 'CCTV-17 农业农村');
    expect(p).toEqual({
      id: finished.id,
      channelId: 'cctv17',
      channelName: 'CCTV-17 农业农村',
      title: '致富经',
      origin: 'xmltv',
      state: 'finished',
      plannedStart: T,
      plannedEnd: T + 1_800_000,
      actualStart: T + 200,
      actualEnd: T + 1_800_000,
      durationS: 1_784.5,
      bytes: 123_456_789,
      segments: 30,
      gaps: [{ from: T + 60_000, to: T + 75_000, reason: 'stall' }],
      pinned: false,
      lastError: null,
    });
    expect(JSON.stringify(p)).not.toContain('browser.mp4');
    expect(recordingPayloadSchema.safeParse(p).success).toBe(true);
    expect(syncRecordSchema.safeParse({ seq: 7, kind: 'recording', ts: T, payload: p }).success).toBe(true);
  });

  it('names a deleted recording by its last metadata, and a channel no longer configured as null', () => {
    const p = recordingPayload(finished, undefined, 'deleted');
    expect(p.state).toBe('deleted');
    expect(p.channelName).toBeNull();
    expect(p.bytes).toBe(123_456_789);
    expect(syncRecordSchema.safeParse({ seq: 8, kind: 'recording', ts: T, payload: p }).success).toBe(true);
  });

  it('the hub refuses one without an id or with a negative size', () => {
    const p = recordingPayload(finished, 'x');
    expect(recordingPayloadSchema.safeParse({ ...p, id: '' }).success).toBe(false);
    expect(recordingPayloadSchema.safeParse({ ...p, bytes: -1 }).success).toBe(false);
  });

  it('travels in the health lane', () => {
    expect(laneOfLogKind('recording')).toBe('health');
  });
});
