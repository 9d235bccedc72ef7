/**
 * A recording's county-sync record (docs/sync.md, kind `recording`): which changes of the recordings table the county
 * hears of, and the metadata it then gets (never media). The recording store writes it to change_log in the same
 * transaction as the change (recording-store.ts); the outbox sends it as written, in the health lane. Pure.
 *
 * The county hears of: a recording started (state `recording`), a change of state to anything but the passing
 * `finishing` (finished, failed; a recording resumed after a restart stays `recording` and is not told again), a pin
 * or unpin, and a deletion (state `deleted`, with the metadata the box had last). Progress ticks (bytes, segments,
 * gaps while recording) are not told: the finished record carries their final values.
 */
import type { RecordingInfo, RecordingState } from '../../broadcast/recording/recording-types.js';
import type { JobOrigin, RecordingGap } from '../../broadcast/recording/types.js';
import { MAX_RECORDING_GAPS } from '../sync/protocol/records-schema.js';

/** The states a record names: the recorder's, and `deleted` for a recording whose row is gone. */
export type RecordingRecordState = RecordingState | 'deleted';

/** A gap as the record gives it (RecordingGap's fields, nothing else). */
export type RecordingRecordGap = { readonly from: number; readonly to: number; readonly reason: RecordingGap['reason'] };

/** The `recording` payload as the box builds it (narrower than the wire's: protocol/records-schema.ts). */
export type RecordingRecordPayload = {
  readonly id: string;
  readonly channelId: string;
  /** The channel's name in the box's config when the change was made; null when it is no longer configured. */
  readonly channelName: string | null;
  readonly title: string;
  readonly origin: JobOrigin;
  readonly state: RecordingRecordState;
  readonly plannedStart: number;
  readonly plannedEnd: number;
  readonly actualStart: number | null;
  readonly actualEnd: number | null;
  /** Seconds of the browser copy (ffprobe); null until it is made. */
  readonly durationS: number | null;
  /** Bytes of the MPEG-TS segments on disk. */
  readonly bytes: number;
  readonly segments: number;
  /** The first MAX_RECORDING_GAPS gaps (the hub takes no more). */
  readonly gaps: readonly RecordingRecordGap[];
  readonly pinned: boolean;
  readonly lastError: string | null;
};

/**
 * The state the county is told of for a change of one recording's row (`before` undefined: inserted; `after`
 * undefined: deleted), or undefined when the change is not one it hears of.
 */
export function recordingChangeToLog(before: RecordingInfo | undefined, after: RecordingInfo | undefined): RecordingRecordState | undefined {
  if (after === undefined) return before === undefined ? undefined : 'deleted';
  if (before === undefined) return after.state;
  if (after.state !== before.state && after.state !== 'finishing') return after.state;
  if (after.pinned !== before.pinned) return after.state;
  return undefined;
}

/** The payload of a recording as stored (`r`), told as `state`. */
export function recordingPayload(r: RecordingInfo, channelName: string | undefined, state: RecordingRecordState = r.state): RecordingRecordPayload {
  return {
    id: r.id,
    channelId: r.channelId,
    channelName: channelName ?? null,
    title: r.title,
    origin: r.origin,
    state,
    plannedStart: r.plannedStart,
    plannedEnd: r.plannedEnd,
    actualStart: r.actualStart,
    actualEnd: r.actualEnd,
    durationS: r.durationS,
    bytes: r.bytes,
    segments: r.segments,
    gaps: r.gaps.slice(0, MAX_RECORDING_GAPS).map((g) => ({ from: g.from, to: g.to, reason: g.reason })),
    pinned: r.pinned,
    lastError: r.lastError,
  };
}
