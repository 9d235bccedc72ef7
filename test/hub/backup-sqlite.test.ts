// Issue 17 item 4: `fenghuo hub backup` / `fenghuo hub restore` for the hub's embedded SQLite store, through the real
// launcher (bin/fenghuo.js → dist/). A running hub receives a box's readings and alarms and publishes content; a backup
// is made while a second box keeps pushing; restored into a fresh hub dir, a hub started there gives the same API
// answers and signs with the same county key. Then: a damaged file, a newer schema, a wrong passphrase, a hub in use,
// a hub with data, a backup killed half-way, a PostgreSQL config.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_STEP_DELAY_ENV } from '../../node-daemon/backup/snapshot.js';
import { createHash } from 'node:crypto';
import { IMAGES_SYNC_PATH, imageFullPath } from '../../node-daemon/sync/protocol/image-wire.js';
import { publicKeyFromRaw, publicKeyToRaw, signRequest, SigningKey } from '../../node-daemon/sync/protocol/index.js';
import { makePicture } from '../camera/camera-peers.js';
import { LATEST_VERSION } from '../../hub/store/migrations.js';
import type { LaneMarks } from '../../hub/store/types.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { BoxSim, MIN, T0, ZERO } from './box-sim.js';
import { fenghuo, freePort, launcher, startHubProcess, type RunningHub } from './http/cli-runner.js';
import { boxRequest, send } from './http/hub-fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'fenghuo-hub-backup-'));
const PASS_ENV = 'FENGHUO_TEST_HUB_BACKUP_PASS';

beforeAll(() => ensureDistBuilt(), 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface County {
  readonly countyKey: SigningKey;
}

async function writeConfig(name: string, dataDir: string): Promise<{ file: string; port: number }> {
  const port = await freePort();
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, `listen: 127.0.0.1:${port}\ndataDir: ${dataDir}\n`);
  return { file, port };
}

async function enrolBox(url: string, config: string, boxId: string): Promise<{ key: SigningKey; county: County }> {
  const made = await fenghuo(tmp, 'hub', 'enrol-code', '--config', config, '--box', boxId);
  expect(made.code, made.stderr).toBe(0);
  const key = SigningKey.generate(boxId);
  const res = await fetch(`${url}/api/v1/sync/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: made.stdout.trim(), boxId, publicKey: publicKeyToRaw(key.publicKey) }),
  });
  expect(res.status).toBe(200);
  const { countyKeyId, countyPublicKey } = (await res.json()) as { countyKeyId: string; countyPublicKey: string };
  return { key, county: { countyKey: { keyid: countyKeyId, publicKey: publicKeyFromRaw(countyPublicKey) } as SigningKey } };
}

/** Pushes the simulated box's log until the hub acks it all (as the box's outbox would). */
async function pushAll(url: string, county: County, boxId: string, key: SigningKey, sim: BoxSim, from: LaneMarks = ZERO): Promise<LaneMarks> {
  let cursor = from;
  const want = sim.finalMarks();
  while (!(Object.keys(want) as (keyof LaneMarks)[]).every((l) => cursor[l] >= want[l])) {
    const answer = await send(county, await boxRequest(url, key, { box: boxId, dbId: `db-${boxId}`, lanes: sim.request(cursor, 20) }));
    if (answer.status !== 200 || answer.json.acked === undefined) throw new Error(`ingest ${answer.status}: ${JSON.stringify(answer.json)}`);
    if (!answer.signature.ok) throw new Error('the hub\'s answer is not signed with the county key the box knows');
    cursor = answer.json.acked as LaneMarks;
  }
  return cursor;
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return res.json();
}

/** A camera picture of box b1 announced with its thumbnail, and its full image sent, as the box's upload does. */
async function sendPicture(url: string, key: SigningKey, county: County, picture: { thumb: Buffer; full: Buffer }): Promise<void> {
  const batch = {
    dbId: 'db-b1',
    images: [
      {
        id: 1, cameraId: 'bridge', siteId: 'qingshui', ts: T0 + MIN, cause: 'alarm', alarms: [{ alarmId: 1, transitionId: 1, role: 'at' }],
        thumb: picture.thumb.toString('base64'), full: { size: picture.full.byteLength, sha256: createHash('sha256').update(picture.full).digest('hex') },
      },
    ],
  };
  const announced = await send(county, await boxRequest(url, key, batch, { path: IMAGES_SYNC_PATH }));
  expect(announced.status).toBe(200);
  expect(announced.signature.ok).toBe(true);
  const target = `${url}${imageFullPath('db-b1', 1)}?offset=0`;
  const headers = { 'content-type': 'application/octet-stream' };
  const body = new Uint8Array(picture.full);
  const signed = signRequest({ method: 'PUT', url: target, headers, body }, { key, now: Date.now });
  const res = await fetch(target, { method: 'PUT', headers: { ...headers, ...signed.headers }, body });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(((await res.json()) as { complete: boolean }).complete).toBe(true);
}

async function bytesOf(url: string): Promise<Buffer> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

/** What a county operator reads of box b1: its raw readings, its alarms with their transitions, the content list, its pictures. */
async function answersFor(url: string): Promise<unknown[]> {
  return Promise.all([
    getJson(`${url}/api/v1/boxes/b1/readings?sensor=s1&from=${T0 - MIN}&to=${T0 + 30 * 86_400_000}&limit=10000`),
    getJson(`${url}/api/v1/boxes/b1/readings?sensor=s1&from=${T0 - MIN}&to=${T0 + 30 * 86_400_000}&resolution=15m`),
    getJson(`${url}/api/v1/alarms?state=all&box=b1`),
    getJson(`${url}/api/v1/content`),
    getJson(`${url}/api/v1/boxes/b1/images`),
  ]);
}

function onlyBackup(dir: string): string {
  const entries = readdirSync(dir);
  expect(entries).toHaveLength(1);
  return join(dir, entries[0] as string);
}

describe('fenghuo hub backup / restore (SQLite store)', () => {
  const live = join(tmp, 'live');
  const backups = join(tmp, 'backups');
  let cfg: { file: string; port: number };
  let hub: RunningHub | undefined;
  let backup = '';
  let before: unknown[] = [];
  let keyid = '';

  beforeAll(async () => {
    cfg = await writeConfig('live', live);
    hub = await startHubProcess(tmp, cfg.file);
    keyid = String(hub.lines.find((l) => l.event === 'hub.county_key_created')?.keyid);
  }, 60_000);
  afterAll(async () => {
    await hub?.stop();
  });

  it('backs up a running hub while a box pushes; restored into a fresh dir, a hub there gives the same answers and signs with the same key', async () => {
    const url = `http://127.0.0.1:${cfg.port}`;
    const b1 = await enrolBox(url, cfg.file, 'b1');
    const sim = new BoxSim();
    for (let day = 0; day < 3; day++) sim.readings(96, { sensorId: 's1', start: T0 + day * 86_400_000, stepMs: 15 * MIN });
    const flood = sim.newAlarm({ title: '清水河站 准备转移' });
    sim.transition(flood, 'raised', 'prepare');
    sim.transition(flood, 'escalated', 'evacuate');
    sim.health();
    await pushAll(url, b1.county, 'b1', b1.key, sim);
    const leaflet = join(tmp, 'leaflet.txt');
    writeFileSync(leaflet, '防汛转移路线: 沿河堤向北至中心小学\n');
    expect((await fenghuo(tmp, 'hub', 'publish', leaflet, '--path', 'notices/route.txt', '--config', cfg.file)).code).toBe(0);
    const picture = { thumb: await makePicture('jpeg', '320x180'), full: await makePicture('jpeg') };
    await sendPicture(url, b1.key, b1.county, picture);
    before = await answersFor(url);
    expect((before[4] as { images: { full: { complete: boolean } }[] }).images).toMatchObject([{ full: { complete: true } }]);
    expect((before[0] as { readings: unknown[] }).readings).toHaveLength(288);

    // A second box keeps pushing for as long as the backup runs.
    const b2 = await enrolBox(url, cfg.file, 'b2');
    const sim2 = new BoxSim();
    let pushing = true;
    let pushed = 0;
    const writer = (async () => {
      let cursor = ZERO;
      while (pushing) {
        sim2.readings(50, { sensorId: 'w', start: T0 + sim2.seq * MIN });
        cursor = await pushAll(url, b2.county, 'b2', b2.key, sim2, cursor);
        pushed++;
      }
    })();
    process.env[PASS_ENV] = 'correct horse battery staple';
    const made = await fenghuo(tmp, 'hub', 'backup', '--config', cfg.file, '--to', backups, '--passphrase-env', PASS_ENV);
    pushing = false;
    await writer;
    expect(made.code, made.stderr).toBe(0);
    expect(pushed).toBeGreaterThan(0);
    backup = made.stdout.split('\n')[0] as string;
    expect(backup).toBe(onlyBackup(backups));
    expect(backup).toMatch(/fenghuo-hub-backup-\d{8}-\d{6}Z$/);
    expect(made.stdout).toMatch(/hub backup ok: \d+ files, .*hub schema \d+, \d+ boxes, .*1 content files, 2 picture files, config, county key encrypted/);

    const manifest = JSON.parse(readFileSync(join(backup, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ kind: 'fenghuo-hub-backup', schemaVersion: LATEST_VERSION, countyKey: { state: 'encrypted' }, database: { boxes: 2 } });
    // The key is in the backup only encrypted.
    const keyPem = readFileSync(join(live, 'county.key'), 'utf8');
    for (const f of readdirSync(backup, { recursive: true })) {
      const p = join(backup, String(f));
      if (statSync(p).isFile()) expect(readFileSync(p, 'utf8')).not.toContain('PRIVATE KEY');
    }

    // Not over the running hub's store, even with --force.
    const inUse = await fenghuo(tmp, 'hub', 'restore', backup, '--config', cfg.file, '--force', '--passphrase-env', PASS_ENV);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toContain('is in use: stop the hub first');

    // Into a fresh dir, then a hub on it.
    const fresh = join(tmp, 'fresh');
    const cfg2 = await writeConfig('fresh', fresh);
    const restored = await fenghuo(tmp, 'hub', 'restore', backup, '--config', cfg2.file, '--passphrase-env', PASS_ENV);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/integrity_check ok, 2 boxes/);
    expect(restored.stdout).toContain('content: 1 files');
    expect(restored.stdout).toContain('camera pictures: 2 files');
    expect(readFileSync(join(fresh, 'county.key'), 'utf8')).toBe(keyPem);
    expect(statSync(join(fresh, 'county.key')).mode & 0o777).toBe(0o600);
    const hub2 = await startHubProcess(tmp, cfg2.file);
    try {
      expect(hub2.lines.find((l) => l.event === 'hub.county_key')).toMatchObject({ keyid });
      const url2 = `http://127.0.0.1:${cfg2.port}`;
      expect(await answersFor(url2)).toEqual(before);
      // The picture's files came back with its row: the thumbnail and the full image, byte for byte.
      expect((await bytesOf(`${url2}/api/v1/boxes/b1/images/db-b1/1/thumb`)).equals(picture.thumb)).toBe(true);
      expect((await bytesOf(`${url2}/api/v1/boxes/b1/images/db-b1/1/full`)).equals(picture.full)).toBe(true);
      // The restored hub answers the box, signed with the county's key, and takes up where the box was.
      const marks = sim.finalMarks();
      sim.health({ after: 'restore' });
      await pushAll(url2, b1.county, 'b1', b1.key, sim, marks);
      // b2 was pushing during the backup: its readings are whole ingests (one transaction each), none torn.
      const b2 = (await getJson(`${url2}/api/v1/boxes/b2/readings?sensor=w&from=${T0 - MIN}&to=${T0 + 30 * 86_400_000}&limit=10000`)) as { readings: unknown[] };
      expect(b2.readings.length % 50).toBe(0);
    } finally {
      expect(await hub2.stop()).toBe(0);
    }

    // Over a hub with data: only with --force, the old files moved aside.
    const again = await fenghuo(tmp, 'hub', 'restore', backup, '--config', cfg2.file, '--passphrase-env', PASS_ENV);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('the hub has data already');
    const forced = await fenghuo(tmp, 'hub', 'restore', backup, '--config', cfg2.file, '--passphrase-env', PASS_ENV, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/moved aside: .*hub\.db\.before-restore-\d+/);
    expect(readdirSync(fresh).some((n) => /^county\.key\.before-restore-\d+$/.test(n))).toBe(true);
  }, 180_000);

  it('refuses a damaged file naming it, a newer schema, a wrong or missing passphrase; nothing is written', async () => {
    expect(backup).not.toBe('');
    const target = join(tmp, 'target');
    const cfg3 = await writeConfig('target', target);
    const restore = (from: string, ...more: string[]) => fenghuo(tmp, 'hub', 'restore', from, '--config', cfg3.file, ...more);

    for (const victim of ['hub.db', readdirSync(join(backup, 'content')).map((b) => `content/${b}`)[0] as string, 'secrets/county.key.enc']) {
      const copy = join(tmp, `damaged-${victim.replace(/\W/g, '_')}`);
      cpSync(backup, copy, { recursive: true });
      const file = join(copy, ...victim.split('/'));
      const bytes = readFileSync(file);
      const at = Math.floor(bytes.length / 2);
      bytes[at] = (bytes[at] as number) ^ 0x01;
      writeFileSync(file, bytes);
      const r = await restore(copy, '--passphrase-env', PASS_ENV);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`backup file ${victim} is damaged: its sha256 does not match the manifest`);
    }

    const newer = join(tmp, 'newer');
    cpSync(backup, newer, { recursive: true });
    const m = JSON.parse(readFileSync(join(newer, 'manifest.json'), 'utf8')) as { schemaVersion: number };
    writeFileSync(join(newer, 'manifest.json'), JSON.stringify({ ...m, schemaVersion: LATEST_VERSION + 1 }));
    const rNewer = await restore(newer, '--passphrase-env', PASS_ENV);
    expect(rNewer.code).toBe(2);
    expect(rNewer.stderr).toContain(`hub schema ${LATEST_VERSION + 1}); this one knows hub schema ${LATEST_VERSION}: update fenghuo first`);

    process.env.FENGHUO_TEST_WRONG_PASS = 'not the passphrase';
    const wrong = await restore(backup, '--passphrase-env', 'FENGHUO_TEST_WRONG_PASS');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('wrong passphrase');
    const none = await restore(backup);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('the county key in');
    expect(existsSync(target)).toBe(false);
  }, 60_000);

  it('a backup killed (SIGKILL) half-way leaves nothing that looks like a backup; the next one cleans up and completes', async () => {
    const to = join(tmp, 'killed');
    mkdirSync(to);
    const child = spawn(process.execPath, [launcher, 'hub', 'backup', '--config', cfg.file, '--to', to], {
      cwd: tmp,
      env: { ...process.env, [TEST_STEP_DELAY_ENV]: '2000' },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const end = Date.now() + 20_000;
    // Half-way: the store copied, the rest not yet.
    while (!readdirSync(to).some((n) => n.endsWith('.partial') && existsSync(join(to, n, 'hub.db')))) {
      if (Date.now() > end) throw new Error('the backup never started');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const left = readdirSync(to);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^fenghuo-hub-backup-\d{8}-\d{6}Z\.\d+\.partial$/);
    expect(existsSync(join(to, left[0] as string, 'manifest.json'))).toBe(false);
    const refused = await fenghuo(tmp, 'hub', 'restore', join(to, left[0] as string), '--config', (await writeConfig('k', join(tmp, 'k'))).file);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is an unfinished backup');

    const next = await fenghuo(tmp, 'hub', 'backup', '--config', cfg.file, '--to', to);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toContain('county key LEFT OUT (no passphrase given)');
    expect(next.stderr).toContain('is not in this backup: keep a copy of it somewhere safe');
    expect(readdirSync(to)).toEqual([next.stdout.split('\n')[0]?.slice(to.length + 1)]);
  }, 60_000);

  it('a PostgreSQL store: says to use the pg_dump script, exit 2, nothing made', async () => {
    const pgCfg = join(tmp, 'pg.yaml');
    writeFileSync(pgCfg, `dataDir: ${join(tmp, 'pgdata')}\nstore:\n  postgres: postgres://fenghuo@db.example:5432/fenghuo_hub\n`);
    const r = await fenghuo(tmp, 'hub', 'backup', '--config', pgCfg, '--to', join(tmp, 'pgb'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the hub\'s store is PostgreSQL: back it up with pg_dump, systemd/fenghuo-hub-pg-backup.sh');
    expect(existsSync(join(tmp, 'pgb'))).toBe(false);
    const usage = await fenghuo(tmp, 'hub', 'backup', 'extra');
    expect(usage.code).toBe(2);
    expect((await fenghuo(tmp, 'hub', 'restore')).code).toBe(2);
    expect((await fenghuo(tmp, 'hub', '--help')).stdout).toContain('fenghuo hub restore FROM [--config FILE]');
  }, 30_000);
});
