// The box's backup upload against the real hub app (hub/http backup routes, SQLite store, <dataDir>/backups) over a
// userspace loopback link (backup-link.ts: paced box → hub, cut and restored, a bit flipped in transit), with a real
// box database, a real enrolment and real backups (snapshot.ts). Shows: a backup arrives complete and verified, is
// listed and downloaded as a tar that `restoreBackup` takes; a cut mid-upload resumes from the hub's acknowledged
// offset (bytes at the hub measured); a tiny budget makes the upload wait; the hub keeps `keep` backups per box; a
// chunk corrupted in transit and a file corrupted at the hub are both refused and sent again.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tokenAccess } from '../../hub/http/access.js';
import { createHubApp } from '../../hub/http/app.js';
import { MemoryNonceStore } from '../../hub/http/nonce-store.js';
import { hubServer } from '../../hub/http/server.js';
import { SqliteHubStore } from '../../hub/store/sqlite-store.js';
import { readManifest, verifyFiles } from '../../node-daemon/backup/manifest.js';
import { restoreBackup } from '../../node-daemon/backup/restore.js';
import { createBackup } from '../../node-daemon/backup/snapshot.js';
import { createLogger } from '../../node-daemon/core/log.js';
import type { HttpServer } from '../../node-daemon/http/http-server.js';
import { BackupUploader, type BackupUploaderOptions } from '../../node-daemon/sync/backup-upload/uploader.js';
import { formatEnrolCode, generateEnrolCode } from '../../node-daemon/sync/enrol/code.js';
import { enrolBox } from '../../node-daemon/sync/enrol/enrol.js';
import { loadEnrolment } from '../../node-daemon/sync/enrol/files.js';
import { OutboxStore } from '../../node-daemon/sync/outbox/outbox-store.js';
import { SigningKey } from '../../node-daemon/sync/protocol/index.js';
import { captureLogger, waitFor } from '../storage/storage-helpers.js';
import { bulkTestOptions } from './bulk-rig.js';
import { startBackupLink, type BackupLink } from './backup-link.js';
import { tempBox, type TempBox } from './outbox-fixture.js';

const BOX = 'qingshui-backup';
const ADMIN = 'admin-token-backups';
const VIEWER = 'viewer-token-backups';
const PASSPHRASE = 'hub-copy-passphrase';
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Hub {
  readonly dir: string;
  readonly backupsDir: string;
  readonly store: SqliteHubStore;
  readonly logs: Record<string, unknown>[];
  url: string;
  port: number;
}

async function startHub(keep: number, withBackups = true): Promise<Hub> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-backup-hub-'));
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) } });
  const store = SqliteHubStore.open({ path: join(dir, 'hub.db') });
  const backupsDir = join(dir, 'backups');
  const { app, limits } = createHubApp({
    store,
    countyKey: SigningKey.generate('county-test'),
    nonces: new MemoryNonceStore(Date.now),
    log,
    access: tokenAccess([{ name: 'admin', sha256: sha(ADMIN), role: 'admin' }, { name: 'viewer', sha256: sha(VIEWER), role: 'viewer' }]),
    ...(withBackups ? { backups: { dir: backupsDir, keep, maxBytes: 64 * 1024 * 1024 } } : {}),
  });
  const server: HttpServer = hubServer({ app, listen: '127.0.0.1:0', log, limits });
  await server.start();
  const url = server.url().replace(/\/$/, '');
  cleanups.push(async () => {
    await server.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, backupsDir, store, logs, url, port: Number(new URL(url).port) };
}

interface Rig {
  hub: Hub;
  link: BackupLink;
  box: TempBox;
  logs: ReturnType<typeof captureLogger>;
  uploader(over?: Partial<BackupUploaderOptions>): BackupUploader;
  /** A backup of the box in the uploader's staging folder, handed to it. */
  backup(up: BackupUploader): Promise<{ name: string; bytes: number; dir: string }>;
}

async function rig(opts: { keep?: number; rate?: number; withBackups?: boolean } = {}): Promise<Rig> {
  const hub = await startHub(opts.keep ?? 3, opts.withBackups ?? true);
  const link = await startBackupLink({ host: '127.0.0.1', port: hub.port }, opts.rate ?? 4 * 1024 * 1024);
  cleanups.push(() => link.close());
  const box = tempBox();
  cleanups.push(() => box.cleanup());
  const code = generateEnrolCode(BOX);
  await hub.store.createEnrolmentCode({ code: code.canonical, createdAt: Date.now(), expiresAt: Date.now() + 3_600_000 });
  await enrolBox({ hubUrl: link.url, code: formatEnrolCode(code), dataDir: box.dir });
  const enrolment = loadEnrolment(box.dir);
  if (enrolment === undefined) throw new Error('not enrolled');
  // Some bulk in the database, so that the backup takes many chunks (random: it does not compress).
  box.db.exec('CREATE TABLE IF NOT EXISTS test_ballast (b BLOB)');
  const put = box.db.prepare('INSERT INTO test_ballast (b) VALUES (?)');
  for (let i = 0; i < 24; i += 1) put.run(randomBytes(16 * 1024));
  const logs = captureLogger();
  let made = 0;
  return {
    hub,
    link,
    box,
    logs,
    uploader(over = {}) {
      const u = new BackupUploader({ ...bulkTestOptions(enrolment, box.db, logs), dataDir: box.dir, ...over });
      cleanups.push(() => u.stop());
      return u;
    },
    async backup(up) {
      made += 1;
      const r = await createBackup({ dataDir: box.dir, to: up.stagingDir, requireFolder: true, passphrase: PASSPHRASE, now: () => Date.UTC(2026, 0, 1, 3, 30, made) });
      const name = r.dir.slice(r.dir.lastIndexOf('/') + 1);
      up.offer(name);
      return { name, bytes: r.bytes, dir: r.dir };
    },
  };
}

async function hubList(hub: Hub, token = VIEWER): Promise<{ status: number; body: { backups: { name: string; bytes: number; identity: string }[]; keep: number; receiving?: unknown } }> {
  const res = await fetch(`${hub.url}/api/v1/boxes/${BOX}/backups`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as never };
}

const heldOnDisk = (hub: Hub): string[] => (existsSync(join(hub.backupsDir, BOX)) ? readdirSync(join(hub.backupsDir, BOX)).filter((n) => n.startsWith('fenghuo-backup-')).sort() : []);

describe('backups to the county hub', () => {
  it('arrives complete and verified, is listed, downloads as a tar that restores onto a fresh data dir', async () => {
    const r = await rig();
    const up = r.uploader();
    const made = await r.backup(up);
    await up.start();
    await waitFor(() => up.status().state === 'ok', 20_000).catch((err: unknown) => {
      console.log(JSON.stringify(up.status()), r.logs.lines.slice(0, 8).map((l) => JSON.stringify(l)).join('\n'), r.hub.logs.slice(-6).map((l) => JSON.stringify(l)).join('\n'));
      throw err;
    });
    expect(up.status()).toMatchObject({ state: 'ok', backup: made.name, mismatches: 0 });
    expect(r.logs.events('sync.backup.complete')).toHaveLength(1);

    const list = await hubList(r.hub);
    expect(list.status).toBe(200);
    expect(list.body.backups).toEqual([expect.objectContaining({ name: made.name, bytes: made.bytes, identity: 'encrypted' })]);
    expect(list.body.receiving).toBeUndefined();

    // Download: admin only (a backup is the box's whole database).
    expect((await fetch(`${r.hub.url}/api/v1/boxes/${BOX}/backups/${made.name}/archive`, { headers: { authorization: `Bearer ${VIEWER}` } })).status).toBe(403);
    const res = await fetch(`${r.hub.url}/api/v1/boxes/${BOX}/backups/${made.name}/archive`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-tar');
    const work = mkdtempSync(join(tmpdir(), 'fenghuo-backup-dl-'));
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));
    writeFileSync(join(work, 'b.tar'), Buffer.from(await res.arrayBuffer()));
    execFileSync('tar', ['-xf', join(work, 'b.tar'), '-C', work]);
    const unpacked = join(work, made.name);
    const manifest = readManifest(unpacked);
    await verifyFiles(unpacked, manifest);
    expect(manifest.identity.state).toBe('encrypted');
    const fresh = join(work, 'fresh-data');
    mkdirSync(fresh);
    const restored = await restoreBackup({ from: unpacked, dataDir: fresh, passphrase: PASSPHRASE });
    expect(restored.identity.length).toBeGreaterThan(0);
    expect(existsSync(join(fresh, 'fenghuo.db'))).toBe(true);
  }, 60_000);

  it('a link cut mid-upload: resumes from the hub\'s acknowledged offset, completes once, the hub received not much more than the backup', async () => {
    const r = await rig({ rate: 96 * 1024 });
    const up = r.uploader();
    const made = await r.backup(up);
    await up.start();
    await waitFor(() => (up.status().sentBytes ?? 0) > made.bytes / 4, 20_000);
    r.link.cut();
    await waitFor(() => up.status().state === 'waiting', 10_000);
    const before = up.status().sentBytes ?? 0;
    expect(before).toBeLessThan(made.bytes);
    await new Promise((res) => setTimeout(res, 500));
    r.link.restore();
    await waitFor(() => up.status().state === 'ok', 30_000);
    expect(r.logs.events('sync.backup.resume').length).toBeGreaterThanOrEqual(1);
    const resumedAt = r.logs.events('sync.backup.resume')[0]!['sentBytes'] as number;
    expect(resumedAt).toBeGreaterThanOrEqual(before);
    // Every byte of the backup once, plus what was in flight at the cut and the requests' heads.
    const overhead = r.link.toHub - made.bytes;
    expect(r.link.toHub).toBeGreaterThan(made.bytes);
    expect(overhead).toBeLessThan(made.bytes * 0.5);
    const list = await hubList(r.hub);
    expect(list.body.backups.map((b) => b.name)).toEqual([made.name]);
    expect(heldOnDisk(r.hub)).toEqual([made.name]);
    await verifyFiles(join(r.hub.backupsDir, BOX, made.name), readManifest(join(r.hub.backupsDir, BOX, made.name)));
    expect(r.hub.logs.filter((l) => l['event'] === 'hub.backup.complete')).toHaveLength(1);
    console.log(`backup ${made.bytes} bytes; hub received ${r.link.toHub} through the link (${((r.link.toHub / made.bytes - 1) * 100).toFixed(1)} % over)`);
  }, 60_000);

  it('a tiny daily budget: the upload waits over budget and never spends more than the budget', async () => {
    const r = await rig();
    const daily = 60 * 1024;
    const outbox = new OutboxStore({ db: r.box.db });
    const up = r.uploader({ budget: { dailyBytes: daily }, outbox });
    await r.backup(up);
    await up.start();
    await waitFor(() => up.status().state === 'waiting' && up.status().waitingFor === 'over_budget', 20_000);
    const used = outbox.budget()?.dayBytes ?? 0;
    expect(used).toBeLessThanOrEqual(daily);
    expect(up.status().sentBytes ?? 0).toBeGreaterThan(0);
    expect((await hubList(r.hub)).body.backups).toEqual([]);
  }, 30_000);

  it('alarms and health first: the upload waits while the outbox has an alarm to push', async () => {
    const r = await rig();
    const none = { records: 0, approxBytes: 0, oldestAgeMs: null, oldestTs: null };
    const backlog = { alarm: { records: 1, approxBytes: 100, oldestAgeMs: 10, oldestTs: Date.now() }, health: none, readings: none, bulk: none };
    const store = new OutboxStore({ db: r.box.db });
    const up = r.uploader({ outbox: { backlog: () => backlog, budget: () => store.budget(), saveBudget: (s) => store.saveBudget(s) } });
    await r.backup(up);
    const enrolBytes = r.link.toHub;
    await up.start();
    await waitFor(() => up.status().waitingFor === 'alarms_waiting', 10_000);
    await new Promise((res) => setTimeout(res, 300));
    expect(r.link.toHub).toBe(enrolBytes);
    backlog.alarm.records = 0;
    await waitFor(() => up.status().state === 'ok', 20_000);
  }, 30_000);

  it('the hub keeps `keep` backups per box, the box only the newest', async () => {
    const r = await rig({ keep: 2 });
    const up = r.uploader();
    await up.start();
    const names: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const made = await r.backup(up);
      names.push(made.name);
      await waitFor(() => up.status().state === 'ok' && up.status().backup === made.name, 20_000);
    }
    const list = await hubList(r.hub);
    expect(list.body.keep).toBe(2);
    expect(list.body.backups.map((b) => b.name)).toEqual([names[2], names[1]]);
    expect(heldOnDisk(r.hub)).toEqual([names[1], names[2]]);
    expect(r.hub.logs.filter((l) => l['event'] === 'hub.backup.pruned').map((l) => l['backup'])).toEqual([names[0]]);
    // Only the newest backup stays in the box's staging folder.
    expect(readdirSync(up.stagingDir).filter((n) => n.startsWith('fenghuo-backup-'))).toEqual([names[2]]);
  }, 60_000);

  it('a bit flipped in a chunk on the wire and a file damaged at the hub: both refused, sent again, the backup verifies', async () => {
    const r = await rig({ rate: 256 * 1024 });
    const up = r.uploader();
    const made = await r.backup(up);
    r.link.flipNextChunk(100);
    await up.start();
    await waitFor(() => r.link.flipped === 1, 10_000);
    // The chunk's Content-Digest no longer matches: the hub refuses it (signed 400 digest_mismatch) and the box resends.
    await waitFor(() => r.hub.logs.some((l) => l['event'] === 'hub.refused' && l['reason'] === 'digest_mismatch'), 10_000);
    // Damage the hub's copy of the database file part-way (a disk fault there): its sha256 fails when it is whole.
    const incoming = join(r.hub.backupsDir, BOX, '.incoming', made.name, 'fenghuo.db');
    await waitFor(() => existsSync(incoming), 10_000);
    const fd = openSync(incoming, 'r+');
    writeSync(fd, Buffer.from([0xff, 0xee]), 0, 2, 10);
    closeSync(fd);
    await waitFor(() => up.status().state === 'ok', 30_000);
    expect(r.hub.logs.filter((l) => l['event'] === 'hub.backup.sha256_mismatch').map((l) => l['path'])).toEqual(['fenghuo.db']);
    expect(up.status().mismatches).toBe(1);
    expect(r.logs.events('sync.backup.file_rejected')).toHaveLength(1);
    const held = join(r.hub.backupsDir, BOX, made.name);
    await verifyFiles(held, readManifest(held));
    expect((await hubList(r.hub)).body.backups.map((b) => b.name)).toEqual([made.name]);
  }, 60_000);

  it('an older hub without the backup routes: the box says so and does not retry in a storm', async () => {
    const r = await rig({ withBackups: false });
    const up = r.uploader();
    await r.backup(up);
    await up.start();
    await waitFor(() => up.status().state === 'unsupported', 10_000);
    const sent = r.link.toHub;
    await new Promise((res) => setTimeout(res, 1_000));
    expect(r.link.toHub).toBe(sent); // idle polls (100 ms here) ask nothing more of the hub
    expect(r.logs.events('sync.backup.unsupported')).toHaveLength(1);
    // A newer backup is tried again (the hub may have been updated meanwhile).
    await r.backup(up);
    await waitFor(() => r.logs.events('sync.backup.unsupported').length === 2, 10_000);
  }, 30_000);
});
