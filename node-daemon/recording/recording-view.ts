/** A recording as the API and the live events show it (schemas/recordings.ts), from the recorder's row and live state. */
import type { LiveProgress, RecordingEvent, RecordingInfo } from '../../broadcast/recording/recording-types.js';
import { API_PREFIX } from '../http/api-prefix.js';
import type { RecordingEventView, RecordingView } from '../http/schemas/recordings.js';

const iso = (ms: number): string => new Date(ms).toISOString();

export function recordingView(r: RecordingInfo, live: LiveProgress | undefined, channelName: string | undefined): RecordingView {
  return {
    id: r.id,
    channelId: r.channelId,
    channelName: channelName ?? null,
    title: r.title,
    origin: r.origin,
    state: r.state,
    plannedStart: r.plannedStart,
    plannedEnd: r.plannedEnd,
    plannedStartIso: iso(r.plannedStart),
    plannedEndIso: iso(r.plannedEnd),
    actualStart: r.actualStart,
    actualEnd: r.actualEnd,
    bytes: r.bytes,
    segments: r.segments,
    gaps: r.gaps.map((g) => ({ ...g, fromIso: iso(g.from), toIso: iso(g.to) })),
    damagedPackets: r.damagedPackets,
    pinned: r.pinned,
    durationS: r.durationS,
    streams: r.streams === null ? null : r.streams.map((s) => ({ ...s })),
    media: r.browserPath === null ? null : `${API_PREFIX}/recordings/${encodeURIComponent(r.id)}/media`,
    mediaBytes: r.browserBytes,
    lastError: r.lastError,
    live: live === undefined ? null : { ...live },
  };
}

export function recordingEventView(e: RecordingEvent, channelName: (id: string) => string | undefined): RecordingEventView {
  if (e.type === 'deleted') return { type: 'deleted', id: e.id };
  return { type: e.type, recording: recordingView(e.recording, e.type === 'progress' ? e.live : undefined, channelName(e.recording.channelId)) };
}
