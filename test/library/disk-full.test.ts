import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthSnapshot } from '../../node-daemon/health/health-types.js';
import { healthSchema } from '../../node-daemon/http/schemas.js';
import { getJson, startDaemon, health, tempDir, waitUntil, writeConfig, type DaemonProcess } from '../daemon/daemon-harness.js';
import { bearerHeaders } from '../helpers/auth.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { startPymodbusSlave, type RunningSlave } from '../helpers/pymodbus.js';

const MiB = 1024 * 1024;
const POLL_MS = 200;

/** Root can mount a small tmpfs as the media folder; anyone else is told exactly what is skipped. */
function canMount(): boolean {
  if (process.getuid?.() !== 0) {
    console.log('SKIPPED test/library/disk-full.test.ts: not root, so no 12 MiB tmpfs can be mounted as <data>/recordings; the disk-full eviction, the fault alarm and the readings check under a full media disk are not run');
    return false;
  }
  return true;
}
const root = canMount();

/** Mounts a 12 MiB tmpfs on `dir` (made first); the skip message when it cannot be mounted. */
function mountSmallTmpfs(dir: string, what: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', dir]);
    return undefined;
  } catch (err) {
    const skip = `SKIPPED (at run time) test/library/disk-full.test.ts (${what}): mount -t tmpfs failed (${String(err).split('\n')[0]}); a container without CAP_SYS_ADMIN cannot mount`;
    console.log(skip);
    return skip;
  }
}

describe.skipIf(!root)('media disk fills: eviction order holds, polling goes on, the fault alarm is raised and cleared', () => {
  const dir = tempDir('fenghuo-disk-full-');
  const data = join(dir.dir, 'data');
  const media = join(data, 'recordings');
  let mounted = false;
  let slave: RunningSlave | undefined;
  let daemon: DaemonProcess | undefined;
  let mountSkip: string | undefined;

  beforeAll(async () => {
    await ensureDistBuilt();
    mountSkip = mountSmallTmpfs(media, 'disk-full');
    mounted = mountSkip === undefined;
    if (!mounted) return;
    slave = await startPymodbusSlave({ endpoint: { kind: 'tcp' }, map: { units: { '1': { holding: { '0': [321] } } } } });
  }, 240_000);

  afterAll(async () => {
    await daemon?.sigterm();
    await slave?.stop();
    if (mounted) execFileSync('umount', [media]);
    dir.cleanup();
  });

  it('evicts the oldest unpinned settled recordings only, raises fault:disk_space when only pinned ones are left, clears it when relieved; no reading lost', async (ctx) => {
    if (mountSkip !== undefined || slave?.port === undefined) ctx.skip();
    const config = writeConfig(
      dir.dir,
      [
        'storage: { batchSize: 4, flushIntervalMs: 50 }',
        `buses: [{ id: gw, type: tcp, host: 127.0.0.1, port: ${slave?.port}, timeoutMs: 300, retries: 0, reconnectMs: 200 }]`,
        `sensors: [{ id: river, bus: gw, slave: 1, profile: generic-uint16-cm, pollIntervalMs: ${POLL_MS} }]`,
        `media: { minFreeBytes: ${4 * MiB}, checkIntervalMs: 300 }`,
        '',
      ].join('\n'),
    );
    const d = await startDaemon({ configFile: config, dataDir: data });
    daemon = d;
    const dbFile = join(data, 'fenghuo.db');
    const db = new Database(dbFile);
    db.pragma('busy_timeout = 5000');
    const readings = (): number => (db.prepare('SELECT COUNT(*) AS n FROM readings').get() as { n: number }).n;
    await waitUntil(() => readings() > 5, 10_000, () => `readings flowing: ${d.diagnostics()}`);

    // The recorder's table (box migration 10): a row per recording, its files under <data>/recordings/<id>/.
    const cols = new Set((db.prepare("SELECT name FROM pragma_table_info('recordings')").all() as { name: string }[]).map((c) => c.name));
    expect(cols.has('pinned'), 'the recordings table (migration 10) with its pinned flag').toBe(true);
    const addRecording = (id: string, at: number, mib: number, opts: { pinned?: boolean; state?: string } = {}): void => {
      const row: Record<string, string | number> = {
        id,
        channel_id: 'cctv17',
        title: `录像 ${id}`,
        origin: 'manual',
        planned_start: at - 3_600_000,
        planned_end: at,
        actual_start: at - 3_600_000,
        actual_end: at,
        state: opts.state ?? 'finished',
        pinned: opts.pinned === true ? 1 : 0,
        bytes: mib * MiB,
        updated_at: at,
      };
      const keys = Object.keys(row).filter((k) => cols.has(k));
      db.prepare(`INSERT INTO recordings (${keys.join(', ')}) VALUES (${keys.map((k) => `@${k}`).join(', ')})`).run(Object.fromEntries(keys.map((k) => [k, row[k]])));
      mkdirSync(join(media, id), { recursive: true });
      writeFileSync(join(media, id, 'seg-00000.ts'), Buffer.alloc(mib * MiB, 0x47));
    };
    const present = (): string[] => (db.prepare('SELECT id FROM recordings ORDER BY id').all() as { id: string }[]).map((r) => r.id);
    const t = Date.UTC(2025, 5, 1);
    let last: HealthSnapshot | undefined;
    const why = (): string => `recordings ${JSON.stringify(present())}; media ${JSON.stringify(last?.media)}\n${d.diagnostics()}`;

    // 1. 10 of 12 MiB used, 4 MiB must stay free: one recording must go, and it is r1, the oldest unpinned settled
    //    one, not r2 (older but pinned) nor live (oldest, still recording).
    addRecording('live', t + 500, 1, { state: 'recording' });
    addRecording('r2-pinned', t + 1000, 3, { pinned: true });
    addRecording('r1', t + 2000, 3);
    addRecording('r3', t + 3000, 3);
    await waitUntil(async () => {
      last = await health(d);
      return !present().includes('r1') && last.media?.pressure === false && last.media.evicted.count === 1;
    }, 10_000, why);
    expect(present()).toEqual(['live', 'r2-pinned', 'r3']);
    expect(existsSync(join(media, 'r1'))).toBe(false);

    // 2. A new recording fills it again: now r3 goes (the oldest unpinned left), r4 (newer) stays.
    addRecording('r4', t + 4000, 2);
    await waitUntil(() => !present().includes('r3'), 10_000, why);
    expect(present()).toEqual(['live', 'r2-pinned', 'r4']);

    // 3. A pinned recording fills it past what eviction can free: r4 goes, and still short, the fault alarm.
    const beforePressure = readings();
    addRecording('r5-pinned', t + 5000, 5, { pinned: true });
    await waitUntil(async () => {
      last = await health(d);
      return last.media?.pressure === true ? last : undefined;
    }, 10_000, why);
    expect(present()).toEqual(['live', 'r2-pinned', 'r5-pinned']);
    const open = () => db.prepare("SELECT state FROM alarms WHERE key = 'fault:disk_space' ORDER BY id DESC LIMIT 1").get() as { state: string } | undefined;
    await waitUntil(() => open()?.state === 'active', 5_000, why);
    // Polling goes on under the full disk.
    await waitUntil(() => readings() > beforePressure + 10, 10_000, () => `readings still growing under disk pressure: ${why()}`);
    expect(last?.status).toBe('ok');
    // The answer keeps to the documented schema, media included.
    expect(healthSchema.safeParse(last).error).toBeUndefined();

    // 4. The operator unpins r5: it is evicted, the pressure goes, the alarm clears.
    db.prepare("UPDATE recordings SET pinned = 0 WHERE id = 'r5-pinned'").run();
    await waitUntil(() => open()?.state === 'cleared', 10_000, why);
    expect(present()).toEqual(['live', 'r2-pinned']);
    last = await health(d);
    expect(last.media).toMatchObject({ pressure: false, evicted: { count: 4 } });

    // Stop cleanly, then check no reading was lost: every batch the daemon logged as stored is in the table, ids have
    // no hole, and no gap between readings is longer than a few poll intervals.
    expect(await d.sigterm()).toBe(0);
    daemon = undefined;
    const stored = d.stored().reduce((sum, s) => sum + s.count, 0);
    const { n, lo, hi } = db.prepare('SELECT COUNT(*) AS n, MIN(id) AS lo, MAX(id) AS hi FROM readings').get() as { n: number; lo: number; hi: number };
    expect(n).toBe(stored);
    expect(hi - lo + 1).toBe(n);
    const ts = (db.prepare("SELECT ts FROM readings WHERE sensor_id = 'river' ORDER BY ts").all() as { ts: number }[]).map((r) => r.ts);
    const gaps = ts.slice(1).map((x, i) => x - (ts[i] ?? x));
    expect(Math.max(...gaps)).toBeLessThan(5 * POLL_MS);
    const transitions = (db.prepare("SELECT t.type FROM alarm_transitions t JOIN alarms a ON a.id = t.alarm_id WHERE a.key = 'fault:disk_space' ORDER BY t.id").all() as { type: string }[]).map((r) => r.type);
    expect(transitions).toEqual(['raised', 'cleared']);
    db.close();
  }, 120_000);
});

describe.skipIf(!root)('media disk fills with finished recordings that have a browser copy: their segments go first', () => {
  const dir = tempDir('fenghuo-disk-segments-');
  const data = join(dir.dir, 'data');
  const media = join(data, 'recordings');
  let mounted = false;
  let daemon: DaemonProcess | undefined;
  let mountSkip: string | undefined;

  beforeAll(async () => {
    await ensureDistBuilt();
    mountSkip = mountSmallTmpfs(media, 'segments');
    mounted = mountSkip === undefined;
  }, 240_000);

  afterAll(async () => {
    await daemon?.sigterm();
    if (mounted) execFileSync('umount', [media]);
    dir.cleanup();
  });

  it('drops the oldest copied recording\'s segments (MP4, row and API listing stay), evicts whole recordings only when that is not enough; pinned and copy-less keep their segments', async (ctx) => {
    if (mountSkip !== undefined) ctx.skip();
    const config = writeConfig(dir.dir, [`media: { minFreeBytes: ${4 * MiB}, checkIntervalMs: 300 }`, ''].join('\n'));
    const d = await startDaemon({ configFile: config, dataDir: data });
    daemon = d;
    const db = new Database(join(data, 'fenghuo.db'));
    db.pragma('busy_timeout = 5000');
    const cols = new Set((db.prepare("SELECT name FROM pragma_table_info('recordings')").all() as { name: string }[]).map((c) => c.name));
    for (const c of ['browser_path', 'browser_bytes', 'segments', 'last_error']) expect(cols.has(c), `recordings.${c}`).toBe(true);

    /**
     * A finished recording as the recorder leaves it: its MP4 (`mp4MiB`, none when 0: a codec browsers cannot play)
     * and its segments (`segMiB` in two files) and segments.txt under <data>/recordings/<id>/, then its row. The files
     * first: a quota check in between sees a recording it does not know yet, never one whose copy is missing.
     */
    const addFinished = (id: string, at: number, o: { mp4MiB: number; segMiB: number; pinned?: boolean }): void => {
      const folder = join(media, id);
      mkdirSync(folder, { recursive: true });
      const mp4 = join(folder, 'recording.mp4');
      if (o.mp4MiB > 0) writeFileSync(mp4, Buffer.alloc(o.mp4MiB * MiB, 1));
      const half = Math.floor((o.segMiB * MiB) / 2);
      writeFileSync(join(folder, 'seg-00001.ts'), Buffer.alloc(half, 0x47));
      writeFileSync(join(folder, 'seg-00002.ts'), Buffer.alloc(o.segMiB * MiB - half, 0x47));
      writeFileSync(join(folder, 'segments.txt'), `file '${join(folder, 'seg-00001.ts')}'\nfile '${join(folder, 'seg-00002.ts')}'\n`);
      const row: Record<string, string | number | null> = {
        id,
        channel_id: 'cctv17',
        title: `录像 ${id}`,
        origin: 'manual',
        planned_start: at - 3_600_000,
        planned_end: at,
        actual_start: at - 3_600_000,
        actual_end: at,
        state: 'finished',
        pinned: o.pinned === true ? 1 : 0,
        bytes: o.segMiB * MiB,
        segments: 2,
        browser_path: o.mp4MiB > 0 ? mp4 : null,
        browser_bytes: o.mp4MiB > 0 ? o.mp4MiB * MiB : null,
        duration_s: o.mp4MiB > 0 ? 3600 : null,
        last_error: o.mp4MiB > 0 ? null : 'browsers cannot play this video codec (mpeg2video): no browser copy was made; download the original segments',
        updated_at: at,
      };
      const keys = Object.keys(row).filter((k) => cols.has(k));
      db.prepare(`INSERT INTO recordings (${keys.join(', ')}) VALUES (${keys.map((k) => `@${k}`).join(', ')})`).run(Object.fromEntries(keys.map((k) => [k, row[k]])));
    };
    const present = (): string[] => (db.prepare('SELECT id FROM recordings ORDER BY id').all() as { id: string }[]).map((r) => r.id);
    const filesOf = (id: string): string[] => (existsSync(join(media, id)) ? readdirSync(join(media, id)).sort() : []);
    const ALL = ['recording.mp4', 'seg-00001.ts', 'seg-00002.ts', 'segments.txt'];
    const t = Date.UTC(2025, 5, 1);
    let last: HealthSnapshot | undefined;
    const why = (): string =>
      `recordings ${JSON.stringify(present())}; files ${JSON.stringify(Object.fromEntries(present().map((id) => [id, filesOf(id)])))}; media ${JSON.stringify(last?.media)}; evicted ${JSON.stringify(d.events('media.evicted'))}\n${d.diagnostics()}`;

    // 1. 9.5 of 12 MiB, 4 MiB must stay free: 1.5 MiB short. The segments of `a` (3.5 MiB; the oldest unpinned with a
    //    copy) are enough: `a` stays, played from its MP4; `p-pinned` (older) and `b` (newer) keep theirs.
    addFinished('p-pinned', t + 1000, { mp4MiB: 0.5, segMiB: 2, pinned: true });
    addFinished('a', t + 2000, { mp4MiB: 1, segMiB: 3.5 });
    addFinished('b', t + 3000, { mp4MiB: 1, segMiB: 1.5 });
    await waitUntil(async () => {
      last = await health(d);
      return !filesOf('a').includes('seg-00001.ts') && last.media?.pressure === false && last.media.evicted.count === 1;
    }, 10_000, why);
    expect(present()).toEqual(['a', 'b', 'p-pinned']);
    expect(filesOf('a')).toEqual(['recording.mp4']);
    expect(filesOf('b')).toEqual(ALL);
    expect(filesOf('p-pinned')).toEqual(ALL);
    expect(last?.media?.evicted.last).toMatchObject({ kind: 'segments', id: 'a' });
    expect(healthSchema.safeParse(last).error).toBeUndefined();
    expect(d.events('recording.segments_dropped')).toEqual([expect.objectContaining({ id: 'a', bytes: expect.any(Number) })]);
    expect(Number(d.events('recording.segments_dropped')[0]?.bytes)).toBeGreaterThanOrEqual(3.5 * MiB);
    expect(d.events('media.evicted').map((e) => `${String(e.kind)}:${String(e.id)}`)).toEqual(['segments:a']);
    // The row is kept as recorded (its bytes and segments are history), and the county hears nothing of it.
    expect(db.prepare("SELECT bytes, segments, browser_path FROM recordings WHERE id = 'a'").get()).toEqual({ bytes: 3.5 * MiB, segments: 2, browser_path: join(media, 'a', 'recording.mp4') });
    expect((db.prepare("SELECT COUNT(*) AS n FROM change_log WHERE kind = 'recording'").get() as { n: number }).n).toBe(0);
    // The API still lists it with its media, serves the MP4, and lists no segments to download.
    const listed = await getJson<{ recordings: { id: string; media: string | null }[] }>(`${d.url}/api/v1/recordings`);
    const a = listed.recordings.find((r) => r.id === 'a');
    expect(a?.media).toBe('/api/v1/recordings/a/media');
    const mp4 = await fetch(`${d.url}/api/v1/recordings/a/media`, { headers: bearerHeaders(), signal: AbortSignal.timeout(5_000) });
    expect(mp4.status).toBe(200);
    expect((await mp4.arrayBuffer()).byteLength).toBe(MiB);
    expect(await getJson(`${d.url}/api/v1/recordings/a/segments`)).toMatchObject({ id: 'a', segments: [], totalBytes: 0 });

    // 2. A recording browsers cannot play (no copy, 5 MiB of segments) makes it 3 MiB short. Stage 1 has only `b`'s
    //    1.5 MiB of segments: not enough, so whole recordings go, oldest unpinned first: `a` (its 1 MiB MP4), then `b`
    //    (counted as the 1 MiB left of it). `c` keeps its segments (its only playable form), `p-pinned` too.
    addFinished('c', t + 4000, { mp4MiB: 0, segMiB: 5 });
    await waitUntil(async () => {
      last = await health(d);
      return !present().includes('b') && last.media?.pressure === false ? last : undefined;
    }, 10_000, why);
    expect(present()).toEqual(['c', 'p-pinned']);
    expect(filesOf('c')).toEqual(['seg-00001.ts', 'seg-00002.ts', 'segments.txt']);
    expect(filesOf('p-pinned')).toEqual(ALL);
    const evicted = d.events('media.evicted').map((e) => `${String(e.kind)}:${String(e.id)}`);
    expect(evicted).toEqual(['segments:a', 'segments:b', 'recording:a', 'recording:b']);
    const bWhole = d.events('media.evicted').find((e) => e.kind === 'recording' && e.id === 'b');
    expect(Number(bWhole?.bytes)).toBeLessThan(1.1 * MiB);
    expect(last?.media?.evicted).toMatchObject({ count: 4, last: { kind: 'recording', id: 'b' } });
    expect(healthSchema.safeParse(last).error).toBeUndefined();
    expect((db.prepare("SELECT state FROM alarms WHERE key = 'fault:disk_space'").all() as { state: string }[]).map((r) => r.state)).toEqual([]);

    expect(await d.sigterm()).toBe(0);
    daemon = undefined;
    db.close();
  }, 120_000);
});
