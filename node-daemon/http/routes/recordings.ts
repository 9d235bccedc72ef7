import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type Context } from 'hono';
import { SEGMENT_FILE } from '../../../broadcast/recording/ffmpeg-args.js';
import { RecorderError, type LiveProgress, type RecordingInfo } from '../../../broadcast/recording/recording-types.js';
import { listSegments } from '../../../broadcast/recording/segment-dir.js';
import type { Channel } from '../../../broadcast/recording/types.js';
import type { RecordNowRequest } from '../../recording/recordings-module.js';
import { recordingView } from '../../recording/recording-view.js';
import { API_PREFIX } from '../api-prefix.js';
import { errorBody } from '../errors.js';
import { errorResponse, jsonRequestBody, jsonResponse, type OperationDoc, type PathItemDoc } from '../openapi-doc.js';
import {
  pinBodySchema,
  recordingListSchema,
  recordingSchema,
  recordingSegmentListSchema,
  recordNowBodySchema,
  type RecordingListView,
  type RecordingSegmentListView,
} from '../schemas/recordings.js';
import { validateJsonBody } from '../validate-body.js';
import { requestUser } from './request-user.js';

/** What the recordings routes need (node-daemon/recording/recordings-module.ts is one). */
export interface RecordingsSource {
  list(): RecordingInfo[];
  get(id: string): RecordingInfo | undefined;
  live(id: string): LiveProgress | undefined;
  channels(): Channel[];
  channelName(id: string): string | undefined;
  recordNow(req: RecordNowRequest, account?: string): RecordingInfo;
  stopRecording(id: string): Promise<RecordingInfo>;
  setPinned(id: string, pinned: boolean): RecordingInfo;
  /** Also cancels the recording's job in the schedule, so a restart does not record it again. */
  delete(id: string, account?: string): Promise<boolean>;
  /** A recording's folder, where its MPEG-TS segments are (`seg-00001.ts` …). */
  dirOf(id: string): string;
}

const STATUS: Readonly<Record<RecorderError['code'], 400 | 404 | 409>> = {
  unknown_channel: 400,
  not_found: 404,
  over: 409,
  already_done: 409,
  channel_busy: 409,
};

function refused(c: Context, err: unknown): Response {
  if (!(err instanceof RecorderError)) throw err;
  const status = STATUS[err.code];
  const code = status === 400 ? 'bad_request' : status === 404 ? 'not_found' : 'conflict';
  return c.json(errorBody(code, err.message, err.code === 'unknown_channel' ? 'channelId' : undefined), status);
}

/** The URL of one segment of a recording (`GET /recordings/{id}/segments/{name}`). */
export function segmentUrl(id: string, name: string): string {
  return `${API_PREFIX}/recordings/${encodeURIComponent(id)}/segments/${encodeURIComponent(name)}`;
}

/** RFC 8187 `value-chars`: percent-encoded UTF-8, `'()*` too (encodeURIComponent leaves them). */
function rfc8187(s: string): string {
  return encodeURIComponent(s).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * `Content-Disposition` of a downloaded segment (RFC 6266): `attachment`, named `<title>-seg-00001.ts`. `filename` is
 * the plain-ASCII fallback (the title when it is plain ASCII, else the recording's id); `filename*` carries the title
 * as UTF-8 (a Chinese title), which every current browser prefers.
 */
export function segmentDisposition(title: string, id: string, name: string): string {
  const named = title.trim() === '' ? id : title.trim();
  // Printable ASCII, without what a quoted string or a file name cannot hold.
  const plain = (/^[ -~]*$/.test(named) ? named : id).replace(/["\\/:*?<>|]/g, '_');
  const full = Array.from(named, (ch) => (ch < ' ' || ch === '\u007f' || ch === '/' || ch === '\\' ? '_' : ch)).join('');
  return `attachment; filename="${plain}-${name}"; filename*=UTF-8''${rfc8187(`${full}-${name}`)}`;
}

/**
 * `/recordings…`: the list with live progress, one recording, record now (operator; through the schedule), stop, pin, delete, and the
 * browser copy with Range requests (a tablet seeks in a two-hour programme without fetching it all), and the original
 * MPEG-TS segments to download (a recording browsers cannot play: MPEG-2 or HEVC video, or a browser copy that failed).
 */
export function recordingsRoutes(source: RecordingsSource): Hono {
  const view = (r: RecordingInfo) => recordingView(r, source.live(r.id), source.channelName(r.channelId));
  return new Hono()
    .get('/recordings', (c) => {
      const body: RecordingListView = {
        recordings: source.list().map(view),
        channels: source.channels().map((ch) => ({ id: ch.id, name: ch.name, kind: ch.source.kind, xmltvId: ch.xmltvId ?? null })),
      };
      return c.json(body, 200);
    })
    .post('/recordings/now', async (c) => {
      const body = validateJsonBody(await c.req.text(), recordNowBodySchema);
      if (!body.ok) return c.json(body.error, 400);
      try {
        return c.json(view(source.recordNow(body.data, requestUser(c))), 201);
      } catch (err) {
        return refused(c, err);
      }
    })
    .get('/recordings/:id', (c) => {
      const r = source.get(c.req.param('id'));
      if (r === undefined) return c.json(errorBody('not_found', `no recording ${c.req.param('id')}`), 404);
      return c.json(view(r), 200);
    })
    .post('/recordings/:id/stop', async (c) => {
      try {
        return c.json(view(await source.stopRecording(c.req.param('id'))), 200);
      } catch (err) {
        return refused(c, err);
      }
    })
    .put('/recordings/:id/pin', async (c) => {
      const body = validateJsonBody(await c.req.text(), pinBodySchema);
      if (!body.ok) return c.json(body.error, 400);
      try {
        return c.json(view(source.setPinned(c.req.param('id'), body.data.pinned)), 200);
      } catch (err) {
        return refused(c, err);
      }
    })
    .delete('/recordings/:id', async (c) => {
      const id = c.req.param('id');
      if (!(await source.delete(id, requestUser(c)))) return c.json(errorBody('not_found', `no recording ${id}`), 404);
      return c.body(null, 204);
    })
    .get('/recordings/:id/media', async (c) => {
      const r = source.get(c.req.param('id'));
      if (r?.browserPath === null || r === undefined) {
        return c.json(errorBody('not_found', r === undefined ? `no recording ${c.req.param('id')}` : 'the browser copy is not made yet'), 404);
      }
      // @hono/node-server's file serving: streamed from disk, Range and 416 as RFC 9110 says.
      const served = await serveStatic({ path: r.browserPath })(c, async () => undefined);
      return served ?? c.json(errorBody('not_found', 'the browser copy is missing on disk'), 404);
    })
    .get('/recordings/:id/segments', (c) => {
      const id = c.req.param('id');
      if (source.get(id) === undefined) return c.json(errorBody('not_found', `no recording ${id}`), 404);
      const files = listSegments(source.dirOf(id)).filter((s) => s.bytes > 0);
      const body: RecordingSegmentListView = {
        id,
        segments: files.map((s) => ({ index: s.number, name: s.name, bytes: s.bytes, url: segmentUrl(id, s.name) })),
        totalBytes: files.reduce((sum, s) => sum + s.bytes, 0),
      };
      return c.json(body, 200);
    })
    .get('/recordings/:id/segments/:name', async (c) => {
      const id = c.req.param('id');
      const name = c.req.param('name');
      const r = source.get(id);
      if (r === undefined) return c.json(errorBody('not_found', `no recording ${id}`), 404);
      // Only a segment's own name (`seg-00001.ts`): never a path, so nothing beside or above the folder is reachable.
      if (!SEGMENT_FILE.test(name)) return c.json(errorBody('bad_request', 'name must be a segment file name, seg-NNNNN.ts', 'name'), 400);
      // The same file serving as /media: streamed from disk, Range and 416 as RFC 9110 says; `.ts` is video/mp2t.
      const served = await serveStatic({ path: join(source.dirOf(id), name) })(c, async () => undefined);
      if (served === undefined) return c.json(errorBody('not_found', `recording ${id} has no segment ${name} on disk`, 'name'), 404);
      served.headers.set('Content-Type', 'video/mp2t');
      served.headers.set('Content-Disposition', segmentDisposition(r.title, id, name));
      served.headers.set('Accept-Ranges', 'bytes');
      return served;
    });
}

type Doc = PathItemDoc & { readonly put?: OperationDoc; readonly delete?: OperationDoc };

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } } as const;
const noRecording = errorResponse('no such recording');

export const recordingsPaths: Readonly<Record<string, Doc>> = {
  '/recordings': {
    get: {
      operationId: 'listRecordings',
      summary: 'Recordings (录像), newest first, with live progress',
      description: 'Every recording with its state, bytes, segments and gaps; `live` (bitrate, speed, restarts) while it records. Progress also comes as the `recording` live event.',
      responses: { '200': jsonResponse('the recordings and the channels', recordingListSchema) },
    },
  },
  '/recordings/now': {
    post: {
      operationId: 'recordNow',
      summary: 'Record a channel from now for some minutes',
      description:
        'Adds a `now` entry to the recording schedule, as `POST /recordings/schedule` with `kind: "now"` does (no padding): it is checked for conflicts with the rest of the schedule and kept across restarts, and it starts at once. The recording\'s id is the job\'s (`now:<entry id>`); `DELETE /recordings/schedule/<entry id>` ends it like any scheduled job. Refused (nothing is kept) when it cannot start now.',
      requestBody: jsonRequestBody(recordNowBodySchema),
      responses: {
        '201': jsonResponse('the recording, started', recordingSchema),
        '400': errorResponse('a bad body, or an unknown channel (`param`: channelId)'),
        '409': errorResponse(
          'it cannot start now: its input is taken by a scheduled job (a conflict: a UDP port, a capture device or a receiver opens once), the channel is being recorded already, or the clock is not trusted yet; the message says which',
        ),
      },
    },
  },
  '/recordings/{id}': {
    get: {
      operationId: 'getRecording',
      summary: 'One recording',
      parameters: [idParam],
      responses: { '200': jsonResponse('the recording', recordingSchema), '404': noRecording },
    },
    delete: {
      operationId: 'deleteRecording',
      summary: 'Delete a recording (stopping it first): its segments, its browser copy and its row; its job in the recording schedule is cancelled too (as DELETE /recordings/schedule/{id} does), so it is not recorded again while its window is open',
      parameters: [idParam],
      responses: { '204': { description: 'deleted' }, '404': noRecording },
    },
  },
  '/recordings/{id}/stop': {
    post: {
      operationId: 'stopRecording',
      summary: 'End a recording now; the last segment closes and the browser copy is made',
      parameters: [idParam],
      responses: { '200': jsonResponse('the recording, finished', recordingSchema), '404': noRecording },
    },
  },
  '/recordings/{id}/pin': {
    put: {
      operationId: 'pinRecording',
      summary: 'Pin or unpin a recording: a pinned one is never evicted by the media quota',
      parameters: [idParam],
      requestBody: jsonRequestBody(pinBodySchema),
      responses: { '200': jsonResponse('the recording', recordingSchema), '400': errorResponse('a bad body'), '404': noRecording },
    },
  },
  '/recordings/{id}/media': {
    get: {
      operationId: 'getRecordingMedia',
      summary: 'The browser copy (MP4, faststart), with Range requests',
      parameters: [idParam],
      responses: {
        '200': { description: 'the MP4 (video/mp4)' },
        '206': { description: 'the requested byte range' },
        '404': errorResponse('no such recording, or its browser copy is not made yet'),
        '416': { description: 'the range is outside the file' },
      },
    },
  },
  '/recordings/{id}/segments': {
    get: {
      operationId: 'listRecordingSegments',
      summary: 'The recording\'s original MPEG-TS segments on disk, in order, to download',
      description:
        'For a recording without a browser copy (its video is in a codec browsers cannot play, MPEG-2 or HEVC, or the copy failed: `lastError` says which) ' +
        'the segments are the recording: each plays in VLC or any other player, and they join up in `index` order. A recording in progress lists what it has so far.',
      parameters: [idParam],
      responses: { '200': jsonResponse('the segments', recordingSegmentListSchema), '404': noRecording },
    },
  },
  '/recordings/{id}/segments/{name}': {
    get: {
      operationId: 'getRecordingSegment',
      summary: 'One original segment (MPEG-TS, video/mp2t), as a download, with Range requests',
      description:
        '`Content-Disposition: attachment`, named `<title>-seg-00001.ts` (`filename*` in UTF-8 for a Chinese title; `filename` an ASCII fallback with the id). ' +
        '200 with the whole file, or with `Range: bytes=N-M` 206 and `Content-Range` (416 past the end), so a broken download resumes.',
      parameters: [idParam, { name: 'name', in: 'path', required: true, schema: { type: 'string', pattern: SEGMENT_FILE.source } }],
      responses: {
        '200': { description: 'the segment (video/mp2t)' },
        '206': { description: 'the requested byte range' },
        '400': errorResponse('`name` is not a segment file name (`seg-NNNNN.ts`)'),
        '404': errorResponse('no such recording, or no such segment on disk'),
        '416': { description: 'the range is outside the file' },
      },
    },
  },
};
