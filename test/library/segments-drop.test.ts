// The disk quota's first stage on real files and the real SQLite store: Recorder.dropSegments removes a finished
// recording's original segments (seg-*.ts, segments.txt) when its browser copy is on disk, keeps the copy and the row,
// writes nothing for the county; it refuses a recording still recording or finishing and one without a copy on disk.
// Then MediaQuota (over ModuleRecordings and that Recorder) with a quota: segments of the oldest copied recording go
// first, pinned and copy-less recordings keep theirs, and only when that is not enough does a whole recording go.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BROWSER_COPY_NAME } from '../../broadcast/recording/browser-copy.js';
import { newRecordingRow, RecorderError, UNPLAYABLE_VIDEO_MESSAGE, type RecordingInfo } from '../../broadcast/recording/recording-types.js';
import type { Recorder } from '../../broadcast/recording/recorder.js';
import type { AlarmService } from '../../node-daemon/alarms/store/alarm-service.js';
import { createLogger } from '../../node-daemon/core/log.js';
import { MediaQuota } from '../../node-daemon/media/media-quota.js';
import { ModuleRecordings } from '../../node-daemon/media/recordings-port.js';
import { SqliteRecordingStore } from '../../node-daemon/recording/recording-store.js';
import type { LogLine } from '../daemon/daemon-harness.js';
import { recorderRig } from '../recording/rig.js';

const KiB = 1024;
const channel = { id: 'cctv17', name: 'CCTV-17 农业农村', source: { kind: 'udp', url: 'udp://239.1.1.1:1234' } } as const;

describe('Recorder.dropSegments and the quota\'s segments stage, on real files', () => {
  const rig = recorderRig('fenghuo-segments-drop-');
  let n = 0;

  /** A row in the real store (as the recorder writes it: inserted, then updated) and its files under <dir>/recordings/<id>/. */
  const make = (
    recorder: Recorder,
    opts: { id?: string; state?: RecordingInfo['state']; segKiB?: readonly number[]; mp4KiB?: number | 'missing'; pinned?: boolean; lastError?: string; endAt?: number; copyPath?: 'none' } = {},
  ): { id: string; dir: string; row: RecordingInfo } => {
    const id = opts.id ?? `rec-${++n}`;
    const dir = recorder.dirOf(id);
    mkdirSync(dir, { recursive: true });
    const store = new SqliteRecordingStore(rig.db);
    const endAt = opts.endAt ?? Date.UTC(2025, 5, 1) + n * 60_000;
    store.insert(newRecordingRow({ id, channelId: channel.id, title: `录像 ${id}`, startAt: endAt - 3_600_000, endAt, origin: 'manual' }, endAt - 3_600_000));
    const segs = opts.segKiB ?? [40, 60];
    segs.forEach((k, i) => writeFileSync(join(dir, `seg-${String(i + 1).padStart(5, '0')}.ts`), Buffer.alloc(k * KiB, 0x47)));
    writeFileSync(join(dir, 'segments.txt'), segs.map((_, i) => `file '${join(dir, `seg-${String(i + 1).padStart(5, '0')}.ts`)}'\n`).join(''));
    const mp4 = join(dir, BROWSER_COPY_NAME);
    if (opts.mp4KiB !== 'missing') writeFileSync(mp4, Buffer.alloc((opts.mp4KiB ?? 30) * KiB, 1));
    const total = segs.reduce((a, b) => a + b, 0) * KiB;
    store.update(id, {
      state: opts.state ?? 'finished',
      actualStart: endAt - 3_600_000,
      actualEnd: endAt,
      bytes: total,
      segments: segs.length,
      ...(opts.copyPath === 'none' ? {} : { browserPath: mp4, browserBytes: typeof opts.mp4KiB === 'number' ? opts.mp4KiB * KiB : 30 * KiB, durationS: 3600 }),
      ...(opts.lastError === undefined ? {} : { lastError: opts.lastError }),
      ...(opts.pinned === true ? { pinned: true } : {}),
      updatedAt: endAt,
    });
    return { id, dir, row: store.get(id)! };
  };
  const segFiles = (dir: string): string[] => readdirSync(dir).filter((f) => /^seg-\d{5,}\.ts$/.test(f) || f === 'segments.txt').sort();
  const changeLogRows = (): number => (rig.db.prepare("SELECT COUNT(*) AS n FROM change_log WHERE kind = 'recording'").get() as { n: number }).n;

  it('drops seg-*.ts and segments.txt of a finished recording with its copy on disk: the copy, the row and the county\'s log untouched', async () => {
    const recorder = rig.recorder(channel);
    const r = make(recorder, { segKiB: [40, 60, 20] });
    writeFileSync(join(r.dir, 'notes.txt'), 'not a segment');
    writeFileSync(join(r.dir, 'seg-1.ts'), 'not named as ffmpeg names segments');
    const listBytes = readFileSync(join(r.dir, 'segments.txt')).length;
    const logged = changeLogRows();

    const freed = await recorder.dropSegments(r.id);

    expect(freed).toBe(120 * KiB + listBytes);
    expect(segFiles(r.dir)).toEqual([]);
    expect(readdirSync(r.dir).sort()).toEqual(['notes.txt', BROWSER_COPY_NAME, 'seg-1.ts'].sort());
    // The row is history as recorded: no write at all, so nothing for the county either.
    expect(recorder.get(r.id)).toEqual(r.row);
    expect(changeLogRows()).toBe(logged);
    const line = rig.eventsOf('recording.segments_dropped', r.id);
    expect(line).toHaveLength(1);
    expect(line[0]).toMatchObject({ id: r.id, bytes: freed });
    // Again: nothing left to drop.
    expect(await recorder.dropSegments(r.id)).toBe(0);
  });

  it('refuses a recording still recording or finishing, one without a copy on disk, and one browsers cannot play; an unknown id is not_found', async () => {
    const recorder = rig.recorder(channel);
    const refusals: [string, ReturnType<typeof make>, RegExp][] = [
      ['recording', make(recorder, { state: 'recording', copyPath: 'none' }), /is recording: its segments are kept/],
      ['finishing', make(recorder, { state: 'finishing', copyPath: 'none' }), /is finishing: its segments are kept/],
      ['copy failed (no browserPath)', make(recorder, { copyPath: 'none', mp4KiB: 'missing', lastError: 'ffmpeg remux failed' }), /no browser copy on disk/],
      [
        'codec browsers cannot play',
        make(recorder, { copyPath: 'none', mp4KiB: 'missing', lastError: `${UNPLAYABLE_VIDEO_MESSAGE} (mpeg2video): no browser copy was made; download the original segments` }),
        /no browser copy on disk/,
      ],
      ['copy named but gone from disk', make(recorder, { mp4KiB: 'missing' }), /no browser copy on disk/],
      ['copy empty on disk', make(recorder, { mp4KiB: 0 }), /no browser copy on disk/],
    ];
    const logged = changeLogRows();
    for (const [what, r, message] of refusals) {
      await expect(recorder.dropSegments(r.id), what).rejects.toThrow(message);
      expect(segFiles(r.dir), what).toEqual(['seg-00001.ts', 'seg-00002.ts', 'segments.txt']);
      expect(recorder.get(r.id), what).toEqual(r.row);
    }
    expect(changeLogRows()).toBe(logged);
    expect(rig.lines.filter((l: LogLine) => l.event === 'recording.segments_dropped' && refusals.some(([, r]) => r.id === l.id))).toEqual([]);
    const unknown = recorder.dropSegments('no-such-recording');
    await expect(unknown).rejects.toBeInstanceOf(RecorderError);
    await expect(unknown).rejects.toMatchObject({ code: 'not_found' });
  });

  it('the quota drops segments of the oldest copied recording first, keeps pinned and copy-less ones\' segments, and evicts whole only when that is not enough', async () => {
    const recorder = rig.recorder(channel);
    for (const r of recorder.list()) await recorder.delete(r.id);
    const t = Date.UTC(2025, 6, 1);
    // Each: 30 KiB MP4 + 100 KiB of segments (+ a small segments.txt).
    const pinned = make(recorder, { id: 'q-pinned', endAt: t + 1_000, pinned: true });
    const noCopy = make(recorder, { id: 'q-nocopy', endAt: t + 2_000, copyPath: 'none', mp4KiB: 'missing', lastError: `${UNPLAYABLE_VIDEO_MESSAGE} (hevc): no browser copy was made` });
    const old = make(recorder, { id: 'q-old', endAt: t + 3_000 });
    const mid = make(recorder, { id: 'q-mid', endAt: t + 4_000 });
    const live = make(recorder, { id: 'q-live', endAt: t + 5_000, state: 'recording', copyPath: 'none' });
    const lines: LogLine[] = [];
    const log = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) } });
    const alarms = { active: () => [], raise: () => undefined, clear: () => null } as unknown as AlarmService;
    const sizeNow = (): number => {
      let total = 0;
      const walk = (d: string): void => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          if (e.isDirectory()) walk(join(d, e.name));
          else total += statSync(join(d, e.name)).size;
        }
      };
      walk(join(rig.dir, 'recordings'));
      return total;
    };
    const quota = (quotaBytes: number): MediaQuota =>
      new MediaQuota({
        dataDir: join(rig.dir, 'data'),
        recordingsDir: join(rig.dir, 'recordings'),
        config: { quotaBytes, minFreeBytes: 0, evictLibrary: false, checkIntervalMs: 60_000 },
        recordings: new ModuleRecordings({ list: () => recorder.list(), delete: (id) => recorder.delete(id), dropSegments: (id) => recorder.dropSegments(id), dirOf: (id) => recorder.dirOf(id) }),
        library: { evictable: () => [], delete: () => undefined },
        alarms,
        log,
        clock: Date.now,
      });

    // 1. 50 KiB over: q-old's segments (the oldest unpinned recording with a copy) are enough.
    await quota(sizeNow() - 50 * KiB).check();
    const evicted = (): string[] => lines.filter((l) => l.event === 'media.evicted').map((l) => `${String(l.kind)}:${String(l.id)}`);
    expect(evicted()).toEqual(['segments:q-old']);
    expect(segFiles(old.dir)).toEqual([]);
    expect(existsSync(join(old.dir, BROWSER_COPY_NAME))).toBe(true);
    expect(recorder.get(old.id)).toEqual(old.row);
    for (const r of [pinned, noCopy, mid, live]) expect(segFiles(r.dir), r.id).toEqual(['seg-00001.ts', 'seg-00002.ts', 'segments.txt']);

    // 2. 150 KiB over: q-mid's segments (~100 KiB), then whole recordings oldest first: q-nocopy (its 100 KiB of
    //    segments, its only form), which closes it. q-old (its MP4 only now) stays, pinned and live untouched.
    lines.length = 0;
    await quota(sizeNow() - 150 * KiB).check();
    expect(evicted()).toEqual(['segments:q-mid', 'recording:q-nocopy']);
    expect(recorder.get(noCopy.id)).toBeUndefined();
    expect(existsSync(noCopy.dir)).toBe(false);
    expect(segFiles(mid.dir)).toEqual([]);
    expect(existsSync(join(mid.dir, BROWSER_COPY_NAME))).toBe(true);
    for (const r of [pinned, live]) expect(segFiles(r.dir), r.id).toEqual(['seg-00001.ts', 'seg-00002.ts', 'segments.txt']);

    // 3. A recording whose segments went in this same check and is evicted whole counts only the rest of it (its MP4
    //    and list: 30 KiB and a few bytes), not its 130 KiB.
    lines.length = 0;
    const late = make(recorder, { id: 'q-late', endAt: t + 500 });
    await quota(sizeNow() - 150 * KiB).check();
    const plan = lines.filter((l) => l.event === 'media.evicted').map((l) => `${String(l.kind)}:${String(l.id)}:${Math.floor(Number(l.bytes) / KiB)}`);
    expect(plan).toEqual(['segments:q-late:100', 'recording:q-late:30', 'recording:q-old:30']);
    expect(recorder.get(late.id)).toBeUndefined();
    expect(recorder.get(old.id)).toBeUndefined();
    expect(recorder.get(mid.id)).toEqual(mid.row);
    expect(segFiles(pinned.dir)).toEqual(['seg-00001.ts', 'seg-00002.ts', 'segments.txt']);
  });
});
