// Issue 12, "Crashes": the county hub (`fenghuo hub` on a throwaway PostgreSQL, test/hub/pg-source.ts) and a township
// box (`fenghuo run`) as real processes from dist/ (bench/support/fenghuo-process.ts), the box's requests through the
// userspace impairment proxy (test/rigs/impairment-proxy.ts), which can hold a request body half delivered so that a
// kill -9 lands while it is in flight. The box is enrolled through the real CLI; its data dir holds a backlog written
// by the real writers (outbox-fixture.ts). End state compared as the other sync tests do (push-rig.ts boxStats).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgHubStore } from '../../hub/store/pg-store.js';
import type { RecordArrival } from '../../hub/store/types.js';
import { localSpawner, loggedEvent, runFenghuo, spawnFenghuo, waitFor, type FenghuoProcess } from '../../bench/support/fenghuo-process.js';
import { bearerHeaders, withTestToken } from '../helpers/auth.js';
import { freePort } from '../hub/http/cli-runner.js';
import { freshDatabase, type PgSource } from '../hub/pg-source.js';
import { startImpairmentProxy, type ConnectionStats, type ImpairmentProxy } from '../rigs/impairment-proxy.js';
import { tempBox, writeWeek, type TempBox, type Week } from './outbox-fixture.js';
import { boxStats, KINDS } from './push-rig.js';

export type Pg = Extract<PgSource, { ok: true }>;

export interface CrashRig {
  readonly dir: string;
  readonly boxId: string;
  readonly week: Week;
  readonly data: TempBox;
  readonly proxy: ImpairmentProxy;
  /** The hub's own address (the proxy's target). */
  readonly hubPort: number;
  readonly dbConfig: ReturnType<Pg['config']>;
  hub: FenghuoProcess | undefined;
  box: FenghuoProcess | undefined;
  /** Every box and hub process started, for the logs. */
  readonly boxes: FenghuoProcess[];
  readonly hubs: FenghuoProcess[];
  startHub(): Promise<FenghuoProcess>;
  startBox(): Promise<FenghuoProcess>;
  /** The box's `sync` health, through its API on loopback. */
  syncView(): Promise<{ state: string; backlog: Record<string, { records: number }> }>;
  /** Waits until the box's link is up and every lane empty. */
  drained(timeoutMs: number): Promise<void>;
  cleanup(): Promise<void>;
}

const BOX_YAML = [
  'site:',
  '  name: 清水乡',
  'storage:',
  // The fixture's week is in July 2025: keep it from the retention job whatever today's date.
  '  rawRetentionDays: 3650',
  'sync:',
  // Requests of a few kilobytes once compressed (a head under one), enough of them for the week to take a dozen.
  '  maxBatchBytes: 32768',
  '  requestTimeoutMs: 5000',
  '  maxBackoffMs: 2000',
  '',
].join('\n');

export async function crashRig(pg: Pg, opts: { boxId: string; days: number }): Promise<CrashRig> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-crash-'));
  const db = await freshDatabase(pg);
  const dbConfig = pg.config(db.name);
  const hubPort = await freePort();
  const boxPort = await freePort();
  const hubConfig = join(dir, 'hub.yaml');
  writeFileSync(
    hubConfig,
    [`listen: 127.0.0.1:${hubPort}`, `dataDir: ${join(dir, 'hub-data')}`, 'store:', `  postgres: postgres://${dbConfig.user}@${dbConfig.host}:${dbConfig.port}/${db.name}`, ''].join('\n'),
  );
  const boxConfig = join(dir, 'box.yaml');
  writeFileSync(boxConfig, withTestToken(BOX_YAML));
  const data = tempBox();
  const week = await writeWeek(data.db, opts.days);
  data.db.close();
  const proxy = await startImpairmentProxy({ target: { host: '127.0.0.1', port: hubPort } });

  const rig: CrashRig = {
    dir,
    boxId: opts.boxId,
    week,
    data,
    proxy,
    hubPort,
    dbConfig,
    hub: undefined,
    box: undefined,
    boxes: [],
    hubs: [],
    async startHub() {
      const p = spawnFenghuo(localSpawner, `hub #${rig.hubs.length + 1}`, dir, ['hub', '--config', hubConfig]);
      rig.hubs.push(p);
      rig.hub = p;
      await loggedEvent(p, 'hub.started', 30_000);
      return p;
    },
    async startBox() {
      const p = spawnFenghuo(localSpawner, `box #${rig.boxes.length + 1}`, dir, ['run', '--config', boxConfig, '--data', data.dir, '--listen', `127.0.0.1:${boxPort}`]);
      rig.boxes.push(p);
      rig.box = p;
      await loggedEvent(p, 'daemon.started', 30_000);
      return p;
    },
    async syncView() {
      const res = await fetch(`http://127.0.0.1:${boxPort}/api/v1/health`, { headers: bearerHeaders() });
      const body = (await res.json()) as { sync?: { state: string; backlog: Record<string, { records: number }> } };
      if (res.status !== 200 || body.sync === undefined) throw new Error(`health: HTTP ${res.status} ${JSON.stringify(body)}`);
      return body.sync;
    },
    async drained(timeoutMs) {
      await waitFor(
        async () => {
          const s = await rig.syncView();
          return s.state === 'up' && Object.values(s.backlog).every((l) => l.records === 0);
        },
        timeoutMs,
        () => `the backlog drained: ${rig.box?.diagnostics()}\nhub: ${rig.hub?.diagnostics()}`,
        250,
      );
    },
    async cleanup() {
      for (const p of [...rig.boxes, ...rig.hubs]) await p.stop(3_000).catch(() => undefined);
      await proxy.close();
      data.cleanup();
      await db.drop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // Enrolled through the real CLI, at the proxy's address: the box's every request goes through it.
  await rig.startHub();
  const made = await runFenghuo(dir, ['hub', 'enrol-code', '--config', hubConfig, '--box', opts.boxId, '--ttl', '30m']);
  if (made.code !== 0) throw new Error(`hub enrol-code: exit ${made.code}: ${made.stderr}`);
  const enrolled = await runFenghuo(dir, ['enroll', '--hub', `http://127.0.0.1:${proxy.port}`, '--code', made.stdout.trim(), '--data', data.dir]);
  if (enrolled.code !== 0) throw new Error(`fenghuo enroll: exit ${enrolled.code}: ${enrolled.stderr}${enrolled.stdout}`);
  return rig;
}

/** How many readings requests the box has had acknowledged (its `sync.push.ok` lines with a readings lane). */
export function readingsPushes(p: FenghuoProcess): number {
  return p.events('sync.push.ok').filter((l) => Number((l['lanes'] as Record<string, number> | undefined)?.['readings'] ?? 0) > 0).length;
}

export interface InFlight {
  readonly connection: ConnectionStats;
  /** Bytes of the request the hub had been given when it was held: `afterBytes`, past the head, inside the body. */
  readonly forwarded: number;
  /** Bytes of it the box had written by then: the whole request. */
  readonly received: number;
  /** Bytes of answer the box got in the 300 ms after the hold: none, the hub cannot answer half a request. */
  readonly answeredWhileHeld: number;
  /** The box's `sync.push.failed` lines of the reset that moved it to a new connection. */
  readonly resets: number;
}

/**
 * Holds a request half way, counted from its first byte: the box's keep-alive connection is reset at its next request
 * (the box retries on a new connection, after its backoff), and that new connection stalls box→hub after `afterBytes`
 * for `ms`. A request head (request line, Host, the signature headers) is well under a kilobyte, so with `afterBytes`
 * past it and a body longer than the rest, the hub holds the head and part of the body while the rest of the body
 * waits at the proxy. Resolves once that is so, still 300 ms later, with no answer meanwhile.
 */
export async function holdNextRequest(rig: CrashRig, afterBytes: number, ms: number): Promise<InFlight> {
  const known = new Set(rig.proxy.connections().map((k) => k.id));
  rig.proxy.faultNextConnections({ kind: 'stall', dir: 'toTarget', afterBytes, ms }, 1);
  rig.proxy.faultOpenConnections({ kind: 'reset', dir: 'toTarget', afterBytes: 1 });
  const c = await waitFor(
    () => rig.proxy.connections().find((k) => !known.has(k.id) && k.closedAt === undefined && k.faults.some((f) => f.kind === 'stall') && k.received.toTarget > k.forwarded.toTarget),
    30_000,
    () => `a request held: ${JSON.stringify(rig.proxy.connections().map((k) => ({ id: k.id, received: k.received, forwarded: k.forwarded, faults: k.faults, end: k.end })))}`,
    5,
  );
  const answered = c.forwarded.toClient;
  await new Promise((r) => setTimeout(r, 300));
  return {
    connection: c,
    forwarded: c.forwarded.toTarget,
    received: c.received.toTarget,
    answeredWhileHeld: c.forwarded.toClient - answered,
    resets: rig.box?.events('sync.push.failed').filter((l) => l['failure'] === 'reset' || l['outcome'] === 'network').length ?? 0,
  };
}

export interface HubView {
  readonly stats: ReturnType<typeof boxStats>;
  readonly arrivals: RecordArrival[];
}

/** The hub's records of the box, read from PostgreSQL directly, in boxStats' shape. */
export async function hubView(rig: CrashRig): Promise<HubView> {
  const store = await PgHubStore.open({ connection: rig.dbConfig });
  try {
    const s = await store.recordStats(rig.boxId);
    const kinds = {} as ReturnType<typeof boxStats>['kinds'];
    for (const kind of KINDS) kinds[kind] = { count: s.kinds[kind].count, digest: s.kinds[kind].digest };
    return { stats: { kinds, readings: { count: s.readings.count, digest: s.readings.digest } }, arrivals: await store.arrivals(rig.boxId) };
  } finally {
    await store.close();
  }
}

/** The box's records, from its database (the box stopped). */
export function boxView(rig: CrashRig): ReturnType<typeof boxStats> {
  const db = rig.data.reopen();
  try {
    return boxStats(db);
  } finally {
    db.close();
  }
}
