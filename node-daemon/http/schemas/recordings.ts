import { z } from 'zod';
import type { UNPLAYABLE_VIDEO_MESSAGE } from '../../../broadcast/recording/recording-types.js';
import { apiSchemas } from '../api-registry.js';

/**
 * Recordings of satellite and TV channels (`/api/v1/recordings…`, routes/recordings.ts) and the `recording` live
 * event. Times are UTC ms with an ISO copy. Free of Node.
 */

export const RECORD_NOW_MAX_MINUTES = 720;

export const recordingGapSchema = z
  .strictObject({
    from: z.int(),
    to: z.int(),
    reason: z.enum(['stall', 'ffmpeg_exit', 'restart', 'clock_untrusted', 'disk_full']).describe('stall: no data for recording.stallSeconds; ffmpeg_exit: ffmpeg ended early (whatever its exit code); restart: the daemon was down'),
    fromIso: z.string(),
    toIso: z.string(),
  })
  .register(apiSchemas, { id: 'RecordingGap' });

export const recordingLiveSchema = z
  .strictObject({
    bitrateKbit: z.number().nullable().describe('over the last seconds, from bytes on disk'),
    speed: z.number().nullable().describe('media seconds per second, as ffmpeg reports'),
    outTimeS: z.number().nullable().describe('media seconds written by the current ffmpeg run'),
    lastDataAt: z.int().nullable(),
    restarts: z.int().describe('ffmpeg runs started after the first'),
    ffmpegRunning: z.boolean(),
  })
  .register(apiSchemas, { id: 'RecordingLive' });

export const recordingStreamSchema = z.strictObject({
  index: z.int(),
  type: z.string(),
  codec: z.string(),
  width: z.int().optional(),
  height: z.int().optional(),
  sampleRate: z.number().optional(),
  channels: z.int().optional(),
});

export const recordingSchema = z
  .strictObject({
    id: z.string(),
    channelId: z.string(),
    channelName: z.string().nullable().describe('null when the channel is no longer configured'),
    title: z.string(),
    origin: z.enum(['xmltv', 'manual', 'weekly', 'now']),
    state: z.enum(['recording', 'finishing', 'finished', 'failed']).describe('finishing: the browser copy is being made'),
    plannedStart: z.int(),
    plannedEnd: z.int(),
    plannedStartIso: z.string(),
    plannedEndIso: z.string(),
    actualStart: z.int().nullable().describe('when the first data reached the disk'),
    actualEnd: z.int().nullable(),
    bytes: z.int().describe('of the MPEG-TS segments'),
    segments: z.int(),
    gaps: z.array(recordingGapSchema).describe('stretches without data, oldest first (an open one up to now)'),
    damagedPackets: z.int().describe('input packets ffmpeg reported damaged (continuity errors)'),
    pinned: z.boolean().describe('kept by the media quota'),
    durationS: z.number().nullable().describe('of the browser copy, from ffprobe'),
    streams: z.array(recordingStreamSchema).nullable(),
    media: z.string().nullable().describe('URL of the browser copy (MP4, faststart; Range requests), once made'),
    mediaBytes: z.int().nullable(),
    lastError: z.string().nullable(),
    live: recordingLiveSchema.nullable().describe('while recording'),
  })
  .register(apiSchemas, { id: 'Recording' });

export const recordingChannelSchema = z
  .strictObject({ id: z.string(), name: z.string(), kind: z.enum(['udp', 'http', 'rtsp', 'capture']), xmltvId: z.string().nullable() })
  .register(apiSchemas, { id: 'RecordingChannel' });

export const recordingListSchema = z
  .strictObject({
    recordings: z.array(recordingSchema).describe('newest planned start first'),
    channels: z.array(recordingChannelSchema).describe('the channels in recording.channels'),
  })
  .register(apiSchemas, { id: 'RecordingList' });

export const recordingSegmentSchema = z
  .strictObject({
    index: z.int().describe('the number in the file\'s name (seg-00001.ts: 1); segments play in this order'),
    name: z.string().describe('the file\'s name, `seg-NNNNN.ts`'),
    bytes: z.int(),
    url: z.string().describe('`GET` it to download the segment (MPEG-TS, `Content-Disposition: attachment`; Range requests)'),
  })
  .register(apiSchemas, { id: 'RecordingSegment' });

export const recordingSegmentListSchema = z
  .strictObject({
    id: z.string().describe('the recording\'s'),
    segments: z.array(recordingSegmentSchema).describe('the MPEG-TS segments on disk, in order; empty files (ffmpeg opens the next segment before it has data for it) are left out'),
    totalBytes: z.int(),
  })
  .register(apiSchemas, { id: 'RecordingSegmentList' });

export const recordNowBodySchema = z.strictObject({
  channelId: z.string().min(1).describe('an id of recording.channels'),
  minutes: z.int().min(1).max(RECORD_NOW_MAX_MINUTES).describe('how long to record from now'),
  title: z.string().trim().min(1).max(200).optional().describe('default: the channel\'s name and the local start time'),
});

export const pinBodySchema = z.strictObject({ pinned: z.boolean().describe('true: the media quota never evicts it') });

/** The `recording` live event (`GET /events`): a recording's state or progress changed, or it was deleted. */
export const recordingEventSchema = z
  .union([
    z.strictObject({ type: z.enum(['state', 'progress', 'gap']), recording: recordingSchema }),
    z.strictObject({ type: z.literal('deleted'), id: z.string() }),
  ])
  .register(apiSchemas, { id: 'RecordingEvent' });

export type RecordingView = z.output<typeof recordingSchema>;
export type RecordingListView = z.output<typeof recordingListSchema>;
export type RecordingEventView = z.output<typeof recordingEventSchema>;
export type RecordingSegmentListView = z.output<typeof recordingSegmentListSchema>;
/**
 * The stable start of a recording's `lastError` when browsers cannot play its video, so it has no browser copy (`… this
 * video codec (mpeg2video): no browser copy was made; download the original segments`): the page then offers the segments.
 */
export type UnplayableVideoMessage = typeof UNPLAYABLE_VIDEO_MESSAGE;
