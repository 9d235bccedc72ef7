// The original segments of a recording over the real HTTP app (hono, createApp with the auth layer) on a real SQLite
// database and real MPEG-TS segment files in the recording's folder: a recording whose MPEG-2 video browsers cannot
// play (no browser copy, the reason in `lastError`) lists its segments and serves each as a download, whole and by
// Range; names that are not a segment's (a path, `..`, encoded slashes) are refused; an unknown recording is 404; and
// without sign-in the segments are refused exactly as the browser copy (/media) is.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserCopyUnplayableError } from '../../broadcast/recording/browser-copy.js';
import { SEGMENT_PATTERN, segmentFileName } from '../../broadcast/recording/ffmpeg-args.js';
import { newRecordingRow, UNPLAYABLE_VIDEO_MESSAGE } from '../../broadcast/recording/recording-types.js';
import { listSegments, nextSegmentNumber } from '../../broadcast/recording/segment-dir.js';
import { createAuth } from '../../node-daemon/auth/auth.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { createApp } from '../../node-daemon/http/app.js';
import type { Recording, RecordingSegmentList } from '../../node-daemon/http/contract.js';
import { SqliteRecordingStore } from '../../node-daemon/recording/recording-store.js';
import { RecordingsModule } from '../../node-daemon/recording/recordings-module.js';
import { openDatabase, type Db } from '../../node-daemon/storage/database.js';
import { SqliteReadingsReader } from '../../node-daemon/storage/readings-reader.js';
import { tempDir } from '../daemon/daemon-harness.js';
import { bearerHeaders, TEST_API_TOKEN, testApiTokens } from '../helpers/auth.js';

const NOW = Date.UTC(2025, 11, 8, 2, 0);
const ID = 'now:7';
const TITLE = '农技讲座 第3讲';
const ENGLISH_ID = 'xmltv:cctv17:1765155600000';
const ENGLISH_TITLE = 'Farm "News"';
const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;

/**
 * Segments as the recorder leaves them: MPEG-2 video in MPEG-TS, numbered from 1 by ffmpeg's segment muxer (with
 * ffmpeg), else TS packets of the right shape; then the empty file ffmpeg opens before it has data for it.
 */
function writeSegments(dir: string): void {
  mkdirSync(dir, { recursive: true });
  if (hasFfmpeg) {
    execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-t', '3', '-c:v', 'mpeg2video', '-g', '10', '-f', 'segment', '-segment_time', '1', '-segment_format', 'mpegts', '-segment_start_number', '1', join(dir, SEGMENT_PATTERN)]);
  } else {
    for (let n = 1; n <= 3; n++) {
      const packets = Buffer.alloc(188 * (40 + n * 7));
      for (let i = 0; i < packets.length; i++) packets[i] = i % 188 === 0 ? 0x47 : (i * 31 + n) & 0xff;
      writeFileSync(join(dir, `seg-0000${n}.ts`), packets);
    }
  }
  writeFileSync(join(dir, segmentFileName(nextSegmentNumber(listSegments(dir)))), '');
  // What else the folder holds: the concat list of a browser copy attempt, the pid file.
  writeFileSync(join(dir, 'segments.txt'), "file 'seg-00001.ts'\n");
  writeFileSync(join(dir, 'ffmpeg.pid'), '12345');
}

describe('GET /recordings/{id}/segments and /segments/{name}: the original segments to download', () => {
  let tmp: { dir: string; cleanup(): void };
  let db: Db;
  let recordings: RecordingsModule;
  let app: ReturnType<typeof createApp>;
  let segDir: string;

  beforeAll(() => {
    tmp = tempDir('fenghuo-segments-route-');
    const dataDir = join(tmp.dir, 'data');
    const log = silentLogger();
    ({ db } = openDatabase({ dataDir, log }));
    const clock = (): number => NOW;
    recordings = new RecordingsModule({ db, dataDir, config: undefined, clock, log, timeZone: 'Asia/Shanghai' });
    const auth = createAuth({ db, log, clock, apiTokens: testApiTokens('viewer') });
    app = createApp({ sensors: [], health: { snapshot: () => ({}) as never, sensor: () => undefined }, readings: new SqliteReadingsReader(db), log, clock, auth, recordings });

    // A recording of an MPEG-2 channel, finished without a browser copy, as the recorder leaves it.
    const store = new SqliteRecordingStore(db, { clock });
    const job = { id: ID, channelId: 'cctv17', title: TITLE, startAt: NOW - 3_600_000, endAt: NOW - 60_000, origin: 'now' as const };
    store.insert(newRecordingRow(job, NOW - 3_600_000));
    segDir = recordings.dirOf(ID);
    writeSegments(segDir);
    store.update(ID, { state: 'finished', actualStart: job.startAt, actualEnd: job.endAt, lastError: new BrowserCopyUnplayableError('mpeg2video').message });
    // One more, with an ASCII title and no segments left on disk.
    store.insert(newRecordingRow({ ...job, id: ENGLISH_ID, title: ENGLISH_TITLE }, NOW));
  });

  afterAll(() => {
    db?.close();
    tmp?.cleanup();
  });

  const get = (path: string, headers: Record<string, string> = bearerHeaders(`${TEST_API_TOKEN}-viewer`)): Promise<Response> => Promise.resolve(app.request(`/api/v1${path}`, { headers }));
  const segmentsOf = (id: string): string => `/recordings/${encodeURIComponent(id)}/segments`;

  it('shows the recording without a browser copy, the reason in lastError', async () => {
    const res = await get(`/recordings/${encodeURIComponent(ID)}`);
    expect(res.status).toBe(200);
    const r = (await res.json()) as Recording;
    expect(r).toMatchObject({ state: 'finished', media: null });
    expect(r.lastError?.startsWith(`${UNPLAYABLE_VIDEO_MESSAGE} (mpeg2video)`)).toBe(true);
  });

  it('lists the segment files on disk in order, with their sizes and download URLs; the empty last one and other files left out', async () => {
    const res = await get(segmentsOf(ID));
    expect(res.status).toBe(200);
    const list = (await res.json()) as RecordingSegmentList;
    const names = list.segments.map((s) => s.name);
    expect(names.length).toBeGreaterThanOrEqual(2);
    expect(names).toEqual(names.map((_, i) => `seg-${String(i + 1).padStart(5, '0')}.ts`));
    expect(list.segments.map((s) => s.index)).toEqual(names.map((_, i) => i + 1));
    for (const s of list.segments) {
      expect(s.bytes).toBe(statSync(join(segDir, s.name)).size);
      expect(s.bytes).toBeGreaterThan(0);
      expect(s.url).toBe(`/api/v1/recordings/now%3A7/segments/${s.name}`);
    }
    expect(list).toMatchObject({ id: ID, totalBytes: list.segments.reduce((sum, s) => sum + s.bytes, 0) });

    // A recording with nothing on disk lists none.
    const empty = await get(segmentsOf(ENGLISH_ID));
    expect(empty.status).toBe(200);
    expect(await empty.json()).toEqual({ id: ENGLISH_ID, segments: [], totalBytes: 0 });
  });

  it('serves a segment whole as an MPEG-TS download named after the recording (RFC 8187 for the Chinese title)', async () => {
    const file = readFileSync(join(segDir, 'seg-00001.ts'));
    expect(file[0]).toBe(0x47);
    const res = await get(`${segmentsOf(ID)}/seg-00001.ts`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp2t');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-length')).toBe(String(file.length));
    const disposition = res.headers.get('content-disposition') ?? '';
    expect(disposition).toMatch(/^attachment; /);
    // The ASCII fallback names the id (the title is Chinese), the UTF-8 name the title.
    expect(disposition).toContain('filename="now_7-seg-00001.ts"');
    const star = /filename\*=UTF-8''([^;\s]+)/.exec(disposition)?.[1];
    expect(star).toBeDefined();
    expect(star).not.toMatch(/['()*]/);
    expect(decodeURIComponent(star!)).toBe(`${TITLE}-seg-00001.ts`);
    expect(Buffer.from(await res.arrayBuffer()).equals(file)).toBe(true);
  });

  it('answers a Range request with 206 and exactly that slice, a range past the end with 416', async () => {
    const file = readFileSync(join(segDir, 'seg-00002.ts'));
    const start = 188 * 3;
    const end = Math.min(file.length - 1, start + 999);
    const res = await get(`${segmentsOf(ID)}/seg-00002.ts`, { ...bearerHeaders(`${TEST_API_TOKEN}-viewer`), range: `bytes=${start}-${end}` });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${file.length}`);
    expect(res.headers.get('content-type')).toBe('video/mp2t');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; /);
    expect(Buffer.from(await res.arrayBuffer()).equals(file.subarray(start, end + 1))).toBe(true);

    const tail = await get(`${segmentsOf(ID)}/seg-00002.ts`, { ...bearerHeaders(`${TEST_API_TOKEN}-viewer`), range: 'bytes=-100' });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(file.subarray(file.length - 100))).toBe(true);

    const beyond = await get(`${segmentsOf(ID)}/seg-00002.ts`, { ...bearerHeaders(`${TEST_API_TOKEN}-viewer`), range: `bytes=${file.length + 10}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${file.length}`);
  });

  it('names an ASCII title in the plain filename too, quotes and all made safe', async () => {
    mkdirSync(recordings.dirOf(ENGLISH_ID), { recursive: true });
    writeFileSync(join(recordings.dirOf(ENGLISH_ID), 'seg-00001.ts'), Buffer.alloc(188, 0x47));
    const res = await get(`${segmentsOf(ENGLISH_ID)}/seg-00001.ts`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="Farm _News_-seg-00001.ts"; filename*=UTF-8''Farm%20%22News%22-seg-00001.ts`);
    await res.arrayBuffer();
  });

  it('refuses any name that is not a segment file\'s: paths, traversal, encoded slashes, other files', async () => {
    // A secret beside the recordings folder, and the database above it: neither is reachable.
    writeFileSync(join(tmp.dir, 'data', 'recordings', 'secret.ts'), 'not a segment');
    const refused = [
      '..%2F..%2Fstate.sqlite',
      '..%2Fsecret.ts',
      '%2E%2E%2F%2E%2E%2Fstate.sqlite',
      '..%5C..%5Cstate.sqlite',
      'seg-00001.ts%00.txt',
      'seg-00001.ts%2F..%2F..%2Fsecret.ts',
      '%2Fetc%2Fpasswd',
      'segments.txt',
      'ffmpeg.pid',
      'seg-1.ts',
      'seg-00001.TS',
      'seg-00001.ts.partial',
      '.seg-00001.ts',
      'recording.mp4',
    ];
    for (const name of refused) {
      const res = await get(`${segmentsOf(ID)}/${name}`);
      expect([400, 404], name).toContain(res.status);
      expect(res.headers.get('content-type'), name).toMatch(/^application\/json/);
      const body = (await res.json()) as { error: { code: string } };
      expect(['bad_request', 'not_found'], name).toContain(body.error.code);
    }
    // Names of the wrong shape are a 400 naming `name`; a well-formed name with no such file is a 404.
    const traversal = await get(`${segmentsOf(ID)}/..%2F..%2Fstate.sqlite`);
    expect(traversal.status).toBe(400);
    expect(await traversal.json()).toMatchObject({ error: { code: 'bad_request', param: 'name' } });
    const missing = await get(`${segmentsOf(ID)}/seg-00099.ts`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found', param: 'name' } });
    // The other recording's segment through this one's id: a path, refused.
    expect((await get(`${segmentsOf(ID)}/..%2F${encodeURIComponent(ENGLISH_ID)}%2Fseg-00001.ts`)).status).toBe(400);
  });

  it('answers 404 for an unknown recording, also for an id that would climb out of the folder', async () => {
    // (A bare `..` never reaches the route: the URL parser resolves dot segments first.)
    for (const id of ['nope', '../..', 'now:7/..', '..%2F..']) {
      const list = await get(segmentsOf(id));
      expect(list.status, id).toBe(404);
      expect(await list.json()).toMatchObject({ error: { code: 'not_found' } });
      const one = await get(`${segmentsOf(id)}/seg-00001.ts`);
      expect(one.status, id).toBe(404);
      await one.arrayBuffer();
    }
  });

  it('refuses a request without sign-in exactly as /media is refused; the OpenAPI document lists both routes', async () => {
    const noAuth = {};
    const media = await get(`/recordings/${encodeURIComponent(ID)}/media`, noAuth);
    const mediaBody = (await media.json()) as { error: { code: string } };
    expect(media.status).toBe(401);
    expect(mediaBody.error.code).toBe('unauthenticated');
    for (const path of [segmentsOf(ID), `${segmentsOf(ID)}/seg-00001.ts`]) {
      const res = await get(path, noAuth);
      expect(res.status, path).toBe(media.status);
      expect(((await res.json()) as { error: { code: string } }).error.code, path).toBe(mediaBody.error.code);
    }
    // An unknown token is refused too, not taken for anonymous.
    expect((await get(`${segmentsOf(ID)}/seg-00001.ts`, bearerHeaders('not-a-token'))).status).toBe(401);

    const doc = (await (await get('/openapi.json', noAuth)).json()) as { paths: Record<string, { get?: { operationId: string } }> };
    expect(doc.paths['/api/v1/recordings/{id}/segments']?.get?.operationId).toBe('listRecordingSegments');
    expect(doc.paths['/api/v1/recordings/{id}/segments/{name}']?.get?.operationId).toBe('getRecordingSegment');
  });
});
