// Issue 12, Tests → Crashes, for content: the county hub (`fenghuo hub`) and a township box (`fenghuo run`) as real
// processes from dist/, the box enrolled through the real CLI, a multi-megabyte file published with
// `fenghuo hub publish`, the box's hub address a rate-capped proxy (content-link.ts, which counts what the hub sent).
// The box is killed with SIGKILL mid-download and started again; separately the hub is killed with SIGKILL and
// started again. Each time the download resumes where it stopped: the bytes the hub sent for the file in all stay
// under 1.2 × its size, and the installed file's sha256 is the published one.
//
// Until the downstream orders path runs, the box gets its manifest the way the orders module will hand it over: the
// content_manifest handler, called with an order signed by the county key (the hub's own key file) and verified.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggedEvent, runFenghuo, spawnFenghuo, localSpawner, waitFor, type FenghuoProcess } from '../../bench/support/fenghuo-process.js';
import { loadOrCreateCountyKey } from '../../hub/county-key.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { ContentTable } from '../../node-daemon/sync/content/content-table.js';
import { contentManifestHandler } from '../../node-daemon/sync/content/handler.js';
import { contentListSchema } from '../../node-daemon/http/schemas/content.js';
import { healthSchema } from '../../node-daemon/http/schemas.js';
import { openDatabase } from '../../node-daemon/storage/database.js';
import { bearerHeaders, withTestToken } from '../helpers/auth.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { freePort } from '../hub/http/cli-runner.js';
import { startContentLink, type ContentLink } from './content-link.js';
import { manifestOrder } from './content-rig.js';

const BOX = 'qingshui-crash';
const SIZE = 3 * 1024 * 1024;
/** Bytes per second hub → box: the file takes ~12 s, long enough to kill a process in the middle. */
const RATE = 256 * 1024;

const procs: FenghuoProcess[] = [];
const cleanups: (() => Promise<unknown> | unknown)[] = [];
beforeAll(async () => {
  await ensureDistBuilt();
}, 300_000);
afterAll(async () => {
  for (const p of procs.splice(0)) await p.stop(5_000).catch(() => undefined);
  for (const c of cleanups.splice(0).reverse()) await c();
}, 60_000);

interface Setup {
  readonly dir: string;
  readonly hubConfig: string;
  readonly boxData: string;
  readonly boxConfig: string;
  readonly boxListen: string;
  readonly link: ContentLink;
  readonly sha256: string;
  hub: FenghuoProcess;
}

async function startHub(dir: string, hubConfig: string): Promise<FenghuoProcess> {
  const hub = spawnFenghuo(localSpawner, 'hub', dir, ['hub', '--config', hubConfig]);
  procs.push(hub);
  await loggedEvent(hub, 'hub.started', 30_000);
  return hub;
}

async function startBox(s: Setup): Promise<FenghuoProcess> {
  const box = spawnFenghuo(localSpawner, 'box', s.dir, ['run', '--config', s.boxConfig, '--data', s.boxData, '--listen', s.boxListen]);
  procs.push(box);
  await loggedEvent(box, 'sync.push.started', 60_000);
  return box;
}

async function setUp(opts: { seed: boolean } = { seed: true }): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-content-crash-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const hubPort = await freePort();
  const hubData = join(dir, 'hub-data');
  mkdirSync(hubData);
  const hubConfig = join(dir, 'hub.yaml');
  writeFileSync(hubConfig, `listen: 127.0.0.1:${hubPort}\ndataDir: ${hubData}\n`);
  const hub = await startHub(dir, hubConfig);
  const link = await startContentLink({ host: '127.0.0.1', port: hubPort }, RATE);
  cleanups.push(() => link.close());

  const made = await runFenghuo(dir, ['hub', 'enrol-code', '--config', hubConfig, '--box', BOX, '--ttl', '30m']);
  expect(made.code, made.stderr).toBe(0);
  const boxData = join(dir, 'box-data');
  const enrolled = await runFenghuo(dir, ['enroll', '--hub', link.url, '--code', made.stdout.trim(), '--data', boxData]);
  expect(enrolled.code, enrolled.stderr + enrolled.stdout).toBe(0);

  const file = join(dir, 'flood-drill.mp3');
  const bytes = randomBytes(SIZE);
  writeFileSync(file, bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const boxConfig = join(dir, 'box.yaml');
  writeFileSync(boxConfig, withTestToken(['site:', '  name: 清水乡', 'sync:', '  requestTimeoutMs: 10000', '  maxBackoffMs: 2000', ''].join('\n')));
  const setup: Setup = { dir, hubConfig, boxData, boxConfig, boxListen: `127.0.0.1:${await freePort()}`, link, sha256, hub };
  if (!opts.seed) return setup;
  const published = await runFenghuo(dir, ['hub', 'publish', file, '--path', 'media/flood-drill.mp3', '--title', '防汛演练', '--config', hubConfig]);
  expect(published.code, published.stderr).toBe(0);
  expect(published.stdout).toContain(`sha256 ${sha256} ${SIZE} bytes`);

  // The manifest, as the orders module hands it to the handler (signed by the hub's county key, verified).
  const county = loadOrCreateCountyKey(join(hubData, 'county.key')).key;
  const { db } = openDatabase({ dataDir: boxData, log: silentLogger() });
  const answer = await contentManifestHandler({ table: new ContentTable(db), log: silentLogger(), clock: Date.now })(
    manifestOrder(county, [{ path: 'media/flood-drill.mp3', size: SIZE, sha256, title: '防汛演练', mediaType: 'audio/mpeg' }], BOX),
  );
  db.close();
  expect(answer.status).toBe('accepted');
  return setup;
}

const partialSize = (s: Setup): number => statSync(join(s.boxData, 'content', '.partial', s.sha256), { throwIfNoEntry: false })?.size ?? 0;
const installedPath = (s: Setup): string => join(s.boxData, 'content', 'media', 'flood-drill.mp3');

async function installed(s: Setup, box: FenghuoProcess): Promise<void> {
  await waitFor(() => existsSync(installedPath(s)), 90_000, () => `the file installed: ${box.diagnostics()}`, 200);
  expect(createHash('sha256').update(readFileSync(installedPath(s))).digest('hex')).toBe(s.sha256);
  expect(existsSync(join(s.boxData, 'content', '.partial', s.sha256))).toBe(false);
  await waitFor(() => box.events('sync.content.installed').length > 0, 10_000, 'the install logged');
}

describe('content downloads survive kill -9', () => {
  it('the box killed mid-download resumes where the partial ends after its restart', async () => {
    const s = await setUp();
    const first = await startBox(s);
    await waitFor(() => partialSize(s) > SIZE / 3, 60_000, () => `a third downloaded: ${first.diagnostics()}`, 50);
    await first.kill9();
    const have = partialSize(s);
    expect(have).toBeGreaterThan(SIZE / 3);
    expect(have).toBeLessThan(SIZE);

    const second = await startBox(s);
    await installed(s, second);
    const resumed = second.events('sync.content.resume')[0];
    expect(resumed).toMatchObject({ sha256: s.sha256, size: SIZE });
    expect(Number(resumed?.['have'])).toBeGreaterThanOrEqual(have);
    const served = s.link.contentBytes(s.sha256);
    console.info(`[content crash, box] file ${SIZE} B, partial at the kill ${have} B, hub sent ${served} B in all (${(served / SIZE).toFixed(3)} ×)`);
    expect(served).toBeLessThan(1.2 * SIZE);
    await second.stop();
  }, 180_000);

  it('the hub killed mid-download: the box resumes once the hub is back', async () => {
    const s = await setUp();
    const box = await startBox(s);
    await waitFor(() => partialSize(s) > SIZE / 3, 60_000, () => `a third downloaded: ${box.diagnostics()}`, 50);
    await s.hub.kill9();
    const have = partialSize(s);
    expect(have).toBeLessThan(SIZE);
    await waitFor(() => box.events('sync.content.piece_failed').length > 0, 30_000, () => `the cut seen by the box: ${box.diagnostics()}`);
    s.hub = await startHub(s.dir, s.hubConfig);
    await installed(s, box);
    const served = s.link.contentBytes(s.sha256);
    console.info(`[content crash, hub] file ${SIZE} B, partial at the kill ${have} B, hub sent ${served} B in all (${(served / SIZE).toFixed(3)} ×)`);
    expect(served).toBeLessThan(1.2 * SIZE);
    // The box never started the file over: no resume from zero, and it did not restart.
    expect(box.events('sync.content.resume')).toHaveLength(0);
    await box.stop();
  }, 180_000);

  it('end to end: fenghuo hub publish → a content_manifest order over the orders path → the box installs it; withdraw → it deletes it', async () => {
    const s = await setUp({ seed: false });
    s.link.setRate(4 * 1024 * 1024);
    const box = await startBox(s);
    const file = join(s.dir, 'flood-drill.mp3');
    const published = await runFenghuo(s.dir, ['hub', 'publish', file, '--path', 'media/flood-drill.mp3', '--title', '防汛演练', '--config', s.hubConfig]);
    expect(published.code, published.stderr).toBe(0);
    expect(published.stdout).toMatch(/1 content_manifest order issued/);
    await installed(s, box);
    expect(box.events('sync.content.manifest')[0]).toMatchObject({ files: 1, fetch: 1 });
    // The box's API: the manifest with each file's state, and sync.content in health (the documented shape, strictly).
    const list = await fetch(`http://${s.boxListen}/api/v1/content`, { headers: bearerHeaders() });
    expect(list.status).toBe(200);
    const body = (await list.json()) as unknown;
    expect(contentListSchema.parse(body)).toMatchObject({ files: [{ path: 'media/flood-drill.mp3', sha256: s.sha256, size: SIZE, title: '防汛演练', state: 'installed', bytesDone: SIZE }], manifest: { files: 1 } });
    const health = healthSchema.parse(await (await fetch(`http://${s.boxListen}/api/v1/health`, { headers: bearerHeaders() })).json());
    expect(health.sync?.content).toMatchObject({ state: 'idle', files: 1, installed: 1, bytesInstalled: SIZE, mismatches: 0 });
    const withdrawn = await runFenghuo(s.dir, ['hub', 'withdraw', 'media/flood-drill.mp3', '--config', s.hubConfig]);
    expect(withdrawn.code, withdrawn.stderr).toBe(0);
    await waitFor(() => !existsSync(installedPath(s)), 60_000, () => `the file removed: ${box.diagnostics()}`, 200);
    expect(box.events('sync.content.removed')).toEqual([expect.objectContaining({ path: 'media/flood-drill.mp3' })]);
    await box.stop();
  }, 180_000);
});
