/**
 * What the recorder keeps about a recording and what it tells the world, and the small ports it is handed (storage,
 * log). Pure types; the daemon implements the ports (node-daemon/recording/).
 */
import type { JobOrigin, RecordingGap, RecordingJob } from './types.js';

/**
 * `recording`: inside its window (ffmpeg running, or restarting after a failure); `finishing`: ended, the browser
 * copy being made; `finished`: done (the browser copy may have failed: `lastError`); `failed`: ended with no data.
 */
export type RecordingState = 'recording' | 'finishing' | 'finished' | 'failed';

export interface ProbedStream {
  readonly index: number;
  readonly type: string;
  readonly codec: string;
  readonly width?: number;
  readonly height?: number;
  readonly sampleRate?: number;
  readonly channels?: number;
}

/** A recording as stored (one row per job id). Times UTC ms. */
export interface RecordingInfo {
  readonly id: string;
  readonly channelId: string;
  readonly title: string;
  readonly origin: JobOrigin;
  readonly plannedStart: number;
  readonly plannedEnd: number;
  readonly actualStart: number | null;
  readonly actualEnd: number | null;
  readonly state: RecordingState;
  /** Bytes of the MPEG-TS segments on disk. */
  readonly bytes: number;
  readonly segments: number;
  readonly gaps: readonly RecordingGap[];
  /** Never evicted by the media quota while pinned. */
  readonly pinned: boolean;
  /** The browser copy (MP4, faststart), absolute path; null until made. */
  readonly browserPath: string | null;
  readonly browserBytes: number | null;
  /** Of the browser copy, from ffprobe. */
  readonly durationS: number | null;
  readonly streams: readonly ProbedStream[] | null;
  /** Input packets ffmpeg reported damaged (continuity errors); `-c copy` would hide them otherwise. */
  readonly damagedPackets: number;
  readonly lastError: string | null;
  readonly updatedAt: number;
}

/** The row of a recording that starts at `now`: the job's plan, nothing on disk yet. */
export function newRecordingRow(job: RecordingJob, now: number): RecordingInfo {
  return {
    id: job.id,
    channelId: job.channelId,
    title: job.title,
    origin: job.origin,
    plannedStart: job.startAt,
    plannedEnd: job.endAt,
    actualStart: null,
    actualEnd: null,
    state: 'recording',
    bytes: 0,
    segments: 0,
    gaps: [],
    pinned: false,
    browserPath: null,
    browserBytes: null,
    durationS: null,
    streams: null,
    damagedPackets: 0,
    lastError: null,
    updatedAt: now,
  };
}

/**
 * The stable start of a recording's `lastError` when its video is in a codec browsers do not decode, so no browser copy
 * was made (browser-copy.ts `BrowserCopyUnplayableError`: `… (mpeg2video): no browser copy was made; …`). Here, free
 * of Node, so the API contract can name it for the web UI.
 */
export const UNPLAYABLE_VIDEO_MESSAGE = 'browsers cannot play this video codec';

/** What only the running recorder knows, shown beside a recording in progress. */
export interface LiveProgress {
  /** Over the last few seconds, from bytes on disk. */
  readonly bitrateKbit: number | null;
  readonly speed: number | null;
  /** Media seconds written by the current ffmpeg run. */
  readonly outTimeS: number | null;
  readonly lastDataAt: number | null;
  /** ffmpeg runs started after the first (restarts). */
  readonly restarts: number;
  readonly ffmpegRunning: boolean;
}

export type RecordingEvent =
  | { readonly type: 'state'; readonly recording: RecordingInfo }
  | { readonly type: 'progress'; readonly recording: RecordingInfo; readonly live: LiveProgress }
  | { readonly type: 'gap'; readonly recording: RecordingInfo; readonly gap: RecordingGap }
  | { readonly type: 'deleted'; readonly id: string };

/** The recorder's storage port: one row per recording. */
export interface RecordingStore {
  get(id: string): RecordingInfo | undefined;
  /** Newest planned start first. */
  list(): RecordingInfo[];
  insert(r: RecordingInfo): void;
  update(id: string, patch: Partial<Omit<RecordingInfo, 'id'>>): void;
  remove(id: string): void;
}

/** pino's Logger fits this. */
export interface RecorderLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export type RecorderErrorCode = 'unknown_channel' | 'over' | 'already_done' | 'channel_busy' | 'not_found';

export class RecorderError extends Error {
  constructor(
    readonly code: RecorderErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RecorderError';
  }
}
