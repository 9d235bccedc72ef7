// The box's content downloader against the real hub (hub/http content routes, SQLite store, content directory) over
// a rate-capped loopback link (content-link.ts), with a real box database and enrolment: a file published through
// POST /api/v1/content reaches <data>/content/<path> byte for byte; a byte flipped on the wire is caught by the
// sha256 (discarded, counted, fetched again); a restart of the downloader resumes from the partial; files dropped
// from the manifest are deleted and a changed file is replaced; the byte budget is never exceeded by content.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AlarmStore } from '../../node-daemon/alarms/store/alarm-store.js';
import { EventHub } from '../../node-daemon/core/events.js';
import { ContentDownloader, type ContentDownloaderOptions } from '../../node-daemon/sync/content/downloader.js';
import { loadEnrolment } from '../../node-daemon/sync/enrol/files.js';
import { OutboxStore } from '../../node-daemon/sync/outbox/outbox-store.js';
import type { ContentFile } from '../../node-daemon/sync/protocol/index.js';
import { captureLogger, waitFor } from '../storage/storage-helpers.js';
import { startContentLink, type ContentLink } from './content-link.js';
import { enrolAt, manifestOrder, sha256Hex, startContentHub, type ContentHub } from './content-rig.js';
import { tempBox, type TempBox } from './outbox-fixture.js';

const BOX = 'qingshui-07';
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig {
  hub: ContentHub;
  link: ContentLink;
  box: TempBox;
  logs: ReturnType<typeof captureLogger>;
  downloader(over?: Partial<ContentDownloaderOptions>): ContentDownloader;
  publish(path: string, bytes: Uint8Array): Promise<ContentFile>;
}

async function rig(rateBytesPerS: number): Promise<Rig> {
  const hub = await startContentHub();
  cleanups.push(() => hub.cleanup());
  const link = await startContentLink({ host: '127.0.0.1', port: hub.port }, rateBytesPerS);
  cleanups.push(() => link.close());
  const box = tempBox();
  cleanups.push(() => box.cleanup());
  await enrolAt(hub, link.url, box.dir, BOX);
  const enrolment = loadEnrolment(box.dir);
  if (enrolment === undefined) throw new Error('not enrolled');
  const logs = captureLogger();
  const r: Rig = {
    hub,
    link,
    box,
    logs,
    downloader(over = {}) {
      const d = new ContentDownloader({
        db: box.db,
        dataDir: box.dir,
        hubUrl: enrolment.record.hub,
        boxKey: enrolment.boxKey,
        log: logs.log,
        outbox: new OutboxStore({ db: box.db }),
        timeZone: 'Asia/Shanghai',
        budget: {},
        offsetMs: () => 0,
        gatePollMs: 50,
        idlePollMs: 200,
        minBackoffMs: 100,
        ...over,
      });
      cleanups.push(() => d.stop());
      return d;
    },
    async publish(path, bytes) {
      const res = await hub.publish(bytes, { path, title: `title of ${path}` });
      expect(res.status).toBe(201);
      const body = (await res.json()) as { file: { sha256: string; size: number; path: string } };
      expect(body.file).toMatchObject({ path, size: bytes.byteLength, sha256: sha256Hex(bytes) });
      return { path, size: bytes.byteLength, sha256: body.file.sha256, title: `title of ${path}` };
    },
  };
  return r;
}

const installed = (r: Rig, path: string): Buffer | undefined => {
  const p = join(r.box.dir, 'content', ...path.split('/'));
  return existsSync(p) ? readFileSync(p) : undefined;
};

describe('content downloads on the box', () => {
  it('a published file reaches <data>/content/<path> byte for byte; the hub served it about once', async () => {
    const r = await rig(2_000_000);
    const bytes = randomBytes(1_500_000);
    const file = await r.publish('media/flood-drill.mp3', bytes);
    const d = r.downloader();
    await d.start();
    const outcome = await d.manifestHandler()(manifestOrder(r.hub.countyKey, [file], BOX));
    expect(outcome.status).toBe('accepted');
    await waitFor(() => d.status().state === 'idle' && d.status().installed === 1, 20_000, 'the file installed');
    expect(sha256Hex(installed(r, file.path) ?? Buffer.alloc(0))).toBe(file.sha256);
    expect(d.table.rows()).toEqual([expect.objectContaining({ path: file.path, state: 'installed', bytesDone: file.size, installedAt: expect.any(Number) })]);
    expect(existsSync(join(r.box.dir, 'content', '.partial', file.sha256))).toBe(false);
    const served = r.link.contentBytes(file.sha256);
    expect(served).toBeGreaterThanOrEqual(file.size);
    expect(served).toBeLessThan(file.size * 1.05);
    // Counted in the sync budget, and in the status.
    const budget = new OutboxStore({ db: r.box.db }).budget();
    expect(budget?.dayBytes).toBeGreaterThanOrEqual(file.size);
    expect(d.status().wireBytes).toBeGreaterThanOrEqual(file.size);
    expect(r.logs.events('sync.content.installed')).toHaveLength(1);
  }, 30_000);

  it('sync.maxRateKbit holds a download to the cap: read no faster than the rate, so TCP holds the hub to it', async () => {
    // The link carries 2 MB/s; the cap is 4000 kbit/s (500 kB/s): 1.5 MB take at least 3 s to be read, 0.75 s without.
    const r = await rig(2_000_000);
    const bytes = randomBytes(1_500_000);
    const file = await r.publish('media/price-bulletin.mp3', bytes);
    const d = r.downloader({ maxRateKbit: 4000 });
    await d.start();
    const started = Date.now();
    await d.manifestHandler()(manifestOrder(r.hub.countyKey, [file], BOX));
    await waitFor(() => d.status().installed === 1, 30_000, 'the file installed');
    const tookMs = Date.now() - started;
    expect(sha256Hex(installed(r, file.path) ?? Buffer.alloc(0))).toBe(file.sha256);
    expect(tookMs).toBeGreaterThanOrEqual(0.9 * ((file.size * 8) / 4000));
  }, 40_000);

  it('a byte flipped on the wire is caught by the sha256: discarded, counted, fetched again', async () => {
    const r = await rig(4_000_000);
    const bytes = randomBytes(600_000);
    const file = await r.publish('notice.wav', bytes);
    r.link.flipNext(1234);
    const d = r.downloader();
    await d.start();
    await d.manifestHandler()(manifestOrder(r.hub.countyKey, [file], BOX));
    await waitFor(() => r.logs.events('sync.content.mismatch').length === 1, 20_000, 'the mismatch');
    expect(r.link.flipped).toBe(1);
    expect(d.status().mismatches).toBe(1);
    expect(d.table.rows()[0]).toMatchObject({ state: 'failed', failures: 1, lastError: 'sha256 mismatch' });
    expect(installed(r, file.path)).toBeUndefined();
    // The retry is 30 s away: a new downloader (as after a restart) with the retry due finds it.
    await d.stop();
    r.box.db.prepare('UPDATE content_files SET retry_at = 0').run();
    const again = r.downloader();
    await again.start();
    await waitFor(() => again.status().installed === 1, 20_000, 'the file fetched again');
    expect(sha256Hex(installed(r, file.path) ?? Buffer.alloc(0))).toBe(file.sha256);
  }, 30_000);

  it('stopped mid-download, a new downloader resumes from the partial (hashed again) instead of from zero', async () => {
    const r = await rig(400_000);
    const bytes = randomBytes(2_000_000);
    const file = await r.publish('a/b/big.bin', bytes);
    const d = r.downloader();
    await d.start();
    await d.manifestHandler()(manifestOrder(r.hub.countyKey, [file], BOX));
    await waitFor(() => (d.status().current?.bytesDone ?? 0) > 600_000, 20_000, 'a third of the file');
    await d.stop();
    const have = statSync(join(r.box.dir, 'content', '.partial', file.sha256)).size;
    expect(have).toBeGreaterThan(500_000);
    const again = r.downloader();
    await again.start();
    await waitFor(() => again.status().installed === 1, 30_000, 'the file installed');
    expect(r.logs.events('sync.content.resume')[0]).toMatchObject({ have, size: file.size });
    expect(sha256Hex(installed(r, file.path) ?? Buffer.alloc(0))).toBe(file.sha256);
    expect(r.link.contentBytes(file.sha256)).toBeLessThan(file.size * 1.2);
  }, 40_000);

  it('a new manifest replaces a changed file atomically and deletes a dropped one', async () => {
    const r = await rig(8_000_000);
    const one = await r.publish('x/one.txt', Buffer.from('one, first'));
    const two = await r.publish('two.txt', Buffer.from('two'));
    const d = r.downloader();
    await d.start();
    await d.manifestHandler()(manifestOrder(r.hub.countyKey, [one, two], BOX, Date.now() - 1000));
    await waitFor(() => d.status().installed === 2, 10_000, 'both installed');
    const oneAgain = await r.publish('x/one.txt', Buffer.from('one, second version'));
    expect(oneAgain.sha256).not.toBe(one.sha256);
    const answer = await d.manifestHandler()(manifestOrder(r.hub.countyKey, [oneAgain], BOX));
    expect(answer).toEqual({ status: 'accepted', detail: '1 to fetch, 0 kept, 1 to remove' });
    await waitFor(() => d.status().installed === 1 && d.status().files === 1 && installed(r, 'two.txt') === undefined, 10_000, 'replaced and removed');
    expect(installed(r, 'x/one.txt')?.toString()).toBe('one, second version');
    expect(r.logs.events('sync.content.removed')).toEqual([expect.objectContaining({ path: 'two.txt' })]);
    // An older manifest arriving late changes nothing.
    const late = await d.manifestHandler()(manifestOrder(r.hub.countyKey, [one, two], BOX, Date.now() - 60_000));
    expect(late.status).toBe('refused');
    expect(d.table.rows().map((f) => f.sha256)).toEqual([oneAgain.sha256]);
    // The box's list as the API shows it: an empty manifest removes everything, directories included.
    await d.manifestHandler()(manifestOrder(r.hub.countyKey, [], BOX));
    await waitFor(() => installed(r, 'x/one.txt') === undefined, 10_000, 'all removed');
    expect(existsSync(join(r.box.dir, 'content', 'x'))).toBe(false);
  }, 30_000);

  it('content never goes over the byte budget: it stops short of the daily limit and waits', async () => {
    const r = await rig(4_000_000);
    const file = await r.publish('big.bin', randomBytes(1_000_000));
    const dailyBytes = 300_000;
    const d = r.downloader({ budget: { dailyBytes } });
    await d.start();
    await d.manifestHandler()(manifestOrder(r.hub.countyKey, [file], BOX));
    await waitFor(() => d.status().state === 'waiting' && d.status().waitingFor === 'over_budget', 20_000, 'waiting for budget');
    const used = new OutboxStore({ db: r.box.db }).budget()?.dayBytes ?? 0;
    expect(used).toBeGreaterThan(200_000);
    expect(used).toBeLessThanOrEqual(dailyBytes);
    expect(d.status().installed).toBe(0);
  }, 30_000);

  it('an alarm waiting to be pushed holds content back; an alarm committed mid-piece stops the piece at once', async () => {
    const r = await rig(200_000);
    const file = await r.publish('slow.bin', randomBytes(1_000_000));
    const events = new EventHub();
    const outbox = new OutboxStore({ db: r.box.db });
    const d = r.downloader({ outbox, alarm$: events.alarm$ });
    await d.start();
    await d.manifestHandler()(manifestOrder(r.hub.countyKey, [file], BOX));
    await waitFor(() => (d.status().current?.bytesDone ?? 0) > 50_000, 20_000, 'downloading');
    // An alarm committed (the real alarm store: a change-log row in the alarm lane) and announced.
    new AlarmStore(r.box.db).raise({ key: 'manual:test', kind: 'manual', level: 'prepare', drill: true, title: '演练', cause: { rule: 'manual' } }, Date.now());
    events.alarm$.next({} as never);
    await waitFor(() => d.status().waitingFor === 'alarms_waiting', 5_000, 'content waits for the alarm');
    expect(r.logs.events('sync.content.yield')).toHaveLength(1);
    const held = d.status().current?.bytesDone ?? 0;
    await new Promise((res) => setTimeout(res, 600));
    expect(d.status().current?.bytesDone).toBe(held);
    expect(held).toBeLessThan(file.size);
    // The push loop got it to the hub: the hub acknowledged the alarm lane.
    const top = r.box.db.prepare<[], { seq: number }>("SELECT MAX(seq) AS seq FROM change_log WHERE kind = 'alarm'").get()?.seq ?? 0;
    outbox.ack('alarm', top);
    await waitFor(() => d.status().installed === 1, 30_000, 'installed after the alarm went');
  }, 40_000);
});
