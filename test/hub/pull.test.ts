// The hub's pull scheduler (hub/pull/) against a real box: the daemon (`node bin/fenghuo.js run` from dist) with a
// day of readings and alarms already in its database, serving GET /api/v1/sync/feed to a token in sync.feedTokens.
// The hub ends with exactly the box's records (same count and digest per kind, and of the reading ids), on both store
// back ends; the lease lets one holder pull a box at a time, also between two `fenghuo hub` processes on one
// PostgreSQL; bad pull config names its key and exits 2.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../node-daemon/core/log.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { DB_FILE_NAME, openDatabase, type Db } from '../../node-daemon/storage/database.js';
import { loadHubConfigFile } from '../../hub/config.js';
import { PullLeases } from '../../hub/pull/pull-lease.js';
import { PullScheduler } from '../../hub/pull/pull-scheduler.js';
import type { PullTarget } from '../../hub/pull/pull-config.js';
import type { HubStore } from '../../hub/store/types.js';
import { feedTokensHttpYaml, startDaemonOn, tempDir, waitUntil, type DaemonProcess } from '../daemon/daemon-harness.js';
import { bearerHeaders, TEST_API_TOKEN } from '../helpers/auth.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { writeWeek } from '../sync/outbox-fixture.js';
import { boxStats } from '../sync/push-rig.js';
import { startApiHub } from './api-rig.js';
import { backends, title, type Fixture } from './backends.js';
import { fenghuo, freePort, startHubProcess, type RunningHub } from './http/cli-runner.js';

const BACKENDS = await backends();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  for (const b of BACKENDS) await b.stop();
});
beforeAll(async () => {
  await ensureDistBuilt();
}, 600_000);

const BOX = 'qingshui-01';
const FEED_TOKEN = `${TEST_API_TOKEN}-county`;
const HOUR = 3_600_000;
const KEY = 'A'.repeat(43);

interface Box {
  readonly d: DaemonProcess;
  readonly dir: string;
  /** A token file (0600) holding the feed token. */
  readonly tokenFile: string;
  /** The box's database, read alongside the daemon (WAL). */
  db(): Db;
}

/** A box with a day of readings and a week's alarm steps written before it starts, and a drill raised through its API. */
async function boxDaemon(): Promise<Box> {
  const dir = tempDir('fenghuo-pull-box-');
  cleanups.push(() => dir.cleanup());
  const { db } = openDatabase({ dataDir: dir.dir, log: silentLogger() });
  // Recent enough for the box's retention (90 days) to leave it alone.
  await writeWeek(db, 1, Math.floor((Date.now() - 2 * 24 * HOUR) / HOUR) * HOUR);
  db.close();
  const yaml = [
    'sync:',
    `  boxId: ${BOX}`,
    '  feedTokens: [county]',
    '  push: false',
    '  healthIntervalMs: 86400000',
    ...feedTokensHttpYaml({ county: FEED_TOKEN }),
    '',
  ].join('\n');
  const d = await startDaemonOn(dir.dir, yaml, cleanups);
  const raised = await fetch(`${d.url}/api/v1/alarms`, { method: 'POST', headers: { ...bearerHeaders(), 'content-type': 'application/json' }, body: JSON.stringify({ level: 'evacuate', drill: true }) });
  expect(raised.status, await raised.clone().text()).toBe(201);
  const tokenFile = join(dir.dir, 'county.token');
  writeFileSync(tokenFile, `${FEED_TOKEN}\n`, { mode: 0o600 });
  let reader: Db | undefined;
  cleanups.push(() => void reader?.close());
  return {
    d,
    dir: dir.dir,
    tokenFile,
    db: () => (reader ??= new Database(join(dir.dir, DB_FILE_NAME), { readonly: true, fileMustExist: true })),
  };
}

async function enrolAtHub(store: HubStore): Promise<void> {
  await store.createEnrolmentCode({ code: `code-${BOX}`, createdAt: 0, expiresAt: Date.now() + HOUR });
  const r = await store.enrol({ code: `code-${BOX}`, boxId: BOX, publicKey: KEY, name: '清水镇', at: Date.now() });
  expect(r.ok).toBe(true);
}

async function hubStatsOf(store: HubStore): Promise<ReturnType<typeof boxStats>> {
  const s = await store.recordStats(BOX);
  const pick = (k: 'alarm' | 'health' | 'readings' | 'audit' | 'recording') => ({ count: s.kinds[k].count, digest: s.kinds[k].digest });
  return { kinds: { alarm: pick('alarm'), health: pick('health'), readings: pick('readings'), audit: pick('audit'), recording: pick('recording') }, readings: { count: s.readings.count, digest: s.readings.digest } };
}

function target(box: Box, over: Partial<PullTarget> = {}): PullTarget {
  return { box: BOX, url: box.d.url, token: FEED_TOKEN, intervalMs: 300, limit: 7, timeoutMs: 5_000, maxBackoffMs: 2_000, pagesPerRound: 50, ...over };
}

function captureLog(): { log: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) } });
  return { log, lines };
}

describe.each(BACKENDS.map((b) => [title(b), b] as const))('pull on %s', (_label, backend) => {
  const skip = backend.skipReason !== undefined;
  let fx: Fixture | undefined;
  afterEach(async () => {
    await fx?.dispose();
    fx = undefined;
  });

  it.skipIf(skip)('the lease: one holder at a time, renewed by its holder, taken over once released or lapsed', async () => {
    fx = await backend.fixture();
    const [s1, s2] = [await fx.open(), await fx.open()];
    const a = new PullLeases(s1.sql, 'hub-a');
    const b = new PullLeases(s2.sql, 'hub-b');
    let now = 1_000_000;
    for (let round = 0; round < 20; round += 1) {
      now += 120_000; // every lease lapsed: both race for it
      const got = await Promise.all([a.take(BOX, 'http://box', now, 60_000), b.take(BOX, 'http://box', now, 60_000)]);
      expect(got.filter(Boolean)).toHaveLength(1);
      const [holder, other] = got[0] ? [a, b] : [b, a];
      expect(await holder.take(BOX, 'http://box', now + 1_000, 60_000)).toBe(true);
      expect(await other.take(BOX, 'http://box', now + 30_000, 60_000)).toBe(false);
    }
    await a.release(BOX, now);
    await b.release(BOX, now);
    expect(await a.take(BOX, 'http://box', now + 1, 60_000)).toBe(true);
    await a.release(BOX, now + 2);
    expect(await b.take(BOX, 'http://box', now + 3, 60_000)).toBe(true);
  });

  it.skipIf(skip)('pulls a real box until the hub holds exactly its records; status in GET /boxes/:id; the same records pushed change nothing', async () => {
    const box = await boxDaemon();
    fx = await backend.fixture();
    const store = await fx.open();
    await enrolAtHub(store);
    const { log, lines } = captureLog();
    const scheduler = new PullScheduler({ store, targets: [target(box, { limit: 2, pagesPerRound: 3 })], log });
    scheduler.start();
    cleanups.push(() => scheduler.stop());
    await waitUntil(
      async () => JSON.stringify(await hubStatsOf(store)) === JSON.stringify(boxStats(box.db())),
      60_000,
      () => `box ${JSON.stringify(boxStats(box.db()))}`,
    );
    expect(await hubStatsOf(store)).toEqual(boxStats(box.db()));
    // The drill raised through the box's API.
    expect(boxStats(box.db()).kinds.alarm.count).toBe(1);
    expect(boxStats(box.db()).readings.count).toBe(3 * 288);
    // Each (seq, kind) arrived once; the series is the box's database.
    const arrivals = await store.arrivals(BOX);
    expect(new Set(arrivals.map((a) => `${a.seq}:${a.kind}`)).size).toBe(arrivals.length);
    const feed = (await (await fetch(`${box.d.url}/api/v1/sync/feed?after=0&limit=1`, { headers: bearerHeaders(FEED_TOKEN) })).json()) as { dbId: string };
    expect((await store.listBoxes())[0]?.dbId).toBe(feed.dbId);
    // Rounds the page cap cut short were followed at once; the log says what was stored.
    expect(lines.filter((l) => l['event'] === 'hub.pull.ok' && l['more'] === true).length).toBeGreaterThan(0);
    const storedLogged = lines.filter((l) => l['event'] === 'hub.pull.ok').reduce((n, l) => n + (l['stored'] as number), 0);
    expect(storedLogged).toBe(arrivals.length);

    await waitUntil(() => scheduler.status()[0]?.state === 'idle', 10_000, 'idle');
    // The same records pushed as well (a box that pushes and is pulled): stored once, nothing changes.
    const page = (await (await fetch(`${box.d.url}/api/v1/sync/feed?after=0&limit=1000&lane=readings`, { headers: bearerHeaders(FEED_TOKEN) })).json()) as { dbId: string; records: [] };
    const again = await store.ingest(BOX, [{ lane: 'readings', after: 0, records: page.records }], page.dbId);
    expect(again).toMatchObject({ status: 'stored', stored: 0, duplicates: page.records.length });
    expect(await hubStatsOf(store)).toEqual(boxStats(box.db()));
    const api = await startApiHub(store);
    cleanups.push(() => api.close());
    const detail = (await (await fetch(`${api.url}/api/v1/boxes/${BOX}`)).json()) as { pull: Record<string, unknown> };
    expect(detail.pull).toMatchObject({ holder: scheduler.holder, url: box.d.url, state: 'idle', failures: 0, lastError: null, recordsPulled: arrivals.length });
    expect(typeof detail.pull['lastOkAt']).toBe('number');

    // A new alarm on the box arrives by the next round.
    const before = (await store.arrivals(BOX, 'alarm')).length;
    await fetch(`${box.d.url}/api/v1/alarms`, { method: 'POST', headers: { ...bearerHeaders(), 'content-type': 'application/json' }, body: JSON.stringify({ level: 'prepare', siteId: 'bridge', drill: false }) });
    await waitUntil(async () => (await store.arrivals(BOX, 'alarm')).length > before, 10_000, 'the new alarm pulled');
    expect((await store.activeAlarms()).some((a) => a.siteId === 'bridge')).toBe(true);
  }, 120_000);

  it.skipIf(skip)('a wrong token, an unreachable box and a box that is not enrolled back off, with the reason in the status and the log', async () => {
    const box = await boxDaemon();
    fx = await backend.fixture();
    const store = await fx.open();
    const { log, lines } = captureLog();
    const port = await freePort();
    const scheduler = new PullScheduler({
      store,
      targets: [target(box, { token: 'not-the-token' }), target(box, { box: 'nowhere-01', url: `http://127.0.0.1:${port}` })],
      log,
      random: () => 0.5,
    });
    scheduler.start();
    cleanups.push(() => scheduler.stop());
    await waitUntil(() => scheduler.status().every((s) => s.failures >= 2), 20_000, () => JSON.stringify(scheduler.status()));
    const [wrong, away] = scheduler.status();
    // Not enrolled is checked first; once enrolled, the token is what the box refuses.
    expect(wrong?.lastError).toMatch(/^unknown_box/);
    expect(away?.lastError).toMatch(/^(unknown_box|unreachable)/);
    await enrolAtHub(store);
    await waitUntil(() => /^http_401/.test(scheduler.status()[0]?.lastError ?? ''), 20_000, () => JSON.stringify(scheduler.status()));
    const failed = lines.filter((l) => l['event'] === 'hub.pull.failed' && l['box'] === BOX);
    expect(failed.map((l) => l['failures'])).toEqual(failed.map((_, i) => i + 1));
    expect(JSON.stringify(lines)).not.toContain('not-the-token');
    expect(JSON.stringify(lines)).not.toContain(FEED_TOKEN);
    expect(scheduler.status()[0]?.state).toBe('backoff');
  }, 60_000);
});

describe('pull config', () => {
  it('reads a 0600 token file; a token file others may read, a missing token, a twice-pulled box and a bad interval name their key; exit 2', async () => {
    const dir = tempDir('fenghuo-pull-config-');
    cleanups.push(() => dir.cleanup());
    const token = join(dir.dir, 'box.token');
    writeFileSync(token, 'secret-token-123\n', { mode: 0o600 });
    const good = join(dir.dir, 'good.yaml');
    writeFileSync(good, `pull:\n  - { box: qingshui-01, url: "http://10.0.0.5:8080/", tokenFile: box.token, intervalS: 30 }\n`);
    const loaded = await loadHubConfigFile(good, dir.dir);
    expect(loaded.ok && loaded.config.pull).toEqual([
      { box: 'qingshui-01', url: 'http://10.0.0.5:8080', token: 'secret-token-123', tokenFile: token, intervalMs: 30_000, limit: 500, timeoutMs: 30_000, maxBackoffMs: 600_000, pagesPerRound: 50 },
    ]);

    chmodSync(token, 0o644);
    const open = await loadHubConfigFile(good, dir.dir);
    expect(open.ok).toBe(false);
    if (!open.ok) expect(open.problems.map((p) => [p.path, p.message])).toEqual([['pull[0].tokenFile', expect.stringMatching(/may be read by others \(mode 644\); chmod 600/)]]);

    const bad = join(dir.dir, 'bad.yaml');
    writeFileSync(
      bad,
      [
        'pull:',
        '  - { box: qingshui-01, url: "http://a:8080" }',
        '  - { box: qingshui-01, url: "http://b:8080", token: t }',
        '  - { box: xiaoshan-01, url: "ftp://c", token: t, intervalS: 0, colour: red }',
        '',
      ].join('\n'),
    );
    const r = await loadHubConfigFile(bad, dir.dir);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      const paths = r.problems.map((p) => p.path);
      for (const p of ['pull[0].tokenFile', 'pull[1].box', 'pull[2].url', 'pull[2].intervalS', 'pull[2].colour']) expect(paths, p).toContain(p);
    }
    const cli = await fenghuo(dir.dir, 'hub', '--config', bad);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('pull[2].intervalS');
    chmodSync(token, 0o600);
  }, 120_000);
});

describe('two hub processes on one PostgreSQL', () => {
  const pg = BACKENDS.find((b) => b.name === 'postgres')!;
  it.skipIf(pg.skipReason !== undefined)(`take turns: never both pulling the box at once, and the hub ends with its records${pg.skipReason === undefined ? '' : ` (SKIPPED: ${pg.skipReason})`}`, async () => {
    const box = await boxDaemon();
    const fx = await pg.fixture();
    cleanups.push(() => fx.dispose());
    const store = await fx.open();
    await enrolAtHub(store);
    const c = fx.pgConfig!;
    const url = `postgres://${encodeURIComponent(String(c.user))}${c.password === undefined ? '' : `:${encodeURIComponent(String(c.password))}`}@${c.host}:${c.port}/${c.database}`;
    const hubs: RunningHub[] = [];
    for (const name of ['a', 'b']) {
      const cfg = join(box.dir, `hub-${name}.yaml`);
      writeFileSync(
        cfg,
        [
          `listen: 127.0.0.1:${await freePort()}`,
          `dataDir: ${join(box.dir, `hub-${name}`)}`,
          'store:',
          `  postgres: "${url}"`,
          'pull:',
          `  - { box: ${BOX}, url: "${box.d.url}", tokenFile: ${box.tokenFile}, intervalS: 1, limit: 1, pagesPerRound: 2, timeoutS: 5 }`,
          '',
        ].join('\n'),
      );
      // Debug: every round is logged (those that store nothing too), for the overlap check below.
      process.env['FENGHUO_LOG_LEVEL'] = 'debug';
      const h = await startHubProcess(box.dir, cfg).finally(() => delete process.env['FENGHUO_LOG_LEVEL']);
      hubs.push(h);
      cleanups.push(async () => void (await h.stop()));
    }
    const rounds = (): { holder: string; startedAt: number; endedAt: number }[] =>
      hubs.flatMap((h) => h.lines.filter((l) => l['event'] === 'hub.pull.ok' || l['event'] === 'hub.pull.failed')).map((l) => ({ holder: String(l['holder']), startedAt: Number(l['startedAt']), endedAt: Number(l['endedAt']) }));
    // Both run; one holds the box, the other stands by.
    await waitUntil(() => hubs.every((h) => h.lines.some((l) => l['event'] === 'hub.pull.standby' || l['event'] === 'hub.pull.ok')), 30_000, 'both hubs at work');
    const firstHolder = rounds()[0]?.holder;
    expect(firstHolder).toBeDefined();
    // The holder stops (SIGTERM lets its lease go): the other takes over and finishes.
    const holderIndex = hubs.findIndex((h) => h.lines.some((l) => l['event'] === 'hub.pull.ok' && l['holder'] === firstHolder));
    await waitUntil(async () => (await store.recordStats(BOX)).kinds.readings.count > 3, 30_000, 'some readings pulled');
    expect(await hubs[holderIndex]!.stop()).toBe(0);
    const other = hubs[1 - holderIndex]!;
    await waitUntil(() => other.lines.some((l) => l['event'] === 'hub.pull.ok'), 30_000, 'the other hub pulling');
    await waitUntil(
      async () => JSON.stringify(await hubStatsOf(store)) === JSON.stringify(boxStats(box.db())),
      60_000,
      () => `box ${JSON.stringify(boxStats(box.db()))}`,
    );
    const all = rounds();
    const holders = new Set(all.map((r) => r.holder));
    expect(holders.size).toBe(2);
    // No two rounds of different processes overlap in time.
    const sorted = [...all].sort((x, y) => x.startedAt - y.startedAt);
    for (let i = 1; i < sorted.length; i += 1) {
      const prev = sorted[i - 1]!;
      const cur = sorted[i]!;
      if (prev.holder !== cur.holder) expect(cur.startedAt, `${JSON.stringify(prev)} then ${JSON.stringify(cur)}`).toBeGreaterThanOrEqual(prev.endedAt);
    }
    const arrivals = await store.arrivals(BOX);
    expect(new Set(arrivals.map((a) => `${a.seq}:${a.kind}`)).size).toBe(arrivals.length);
  }, 180_000);
});
