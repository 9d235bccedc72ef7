// The sync module as compose.ts wires it into the real daemon (buildDaemon in-process, HTTP on loopback): built only
// when the box is enrolled and sync.push is not false; its link in GET /api/v1/health under `sync`; its health
// records and the box's records at the hub.
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../../node-daemon/compose.js';
import { healthSchema } from '../../node-daemon/http/schemas.js';
import { waitUntil } from '../daemon/daemon-harness.js';
import { tempDir } from '../storage/storage-helpers.js';
import { startDaemonIn } from './in-process-daemon.js';
import { BOX_ID, enrolWith, startHub, type HubRig } from './push-rig.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const daemonIn = (dir: string, config: unknown = {}): ReturnType<typeof startDaemonIn> => startDaemonIn(dir, config, cleanups);

async function health(daemon: Daemon): Promise<Record<string, unknown>> {
  const res = await fetch(`${daemon.url()}/api/v1/health`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as Record<string, unknown>;
  // The documented shape, strictly.
  expect(healthSchema.safeParse(body).success).toBe(true);
  return body;
}

async function hub(): Promise<HubRig> {
  const h = await startHub();
  cleanups.push(() => h.cleanup());
  return h;
}

function data(): string {
  const t = tempDir('fenghuo-sync-daemon-');
  cleanups.push(() => t.cleanup());
  return t.dir;
}

describe('the sync module in the daemon', () => {
  it('an enrolled box pushes: the module runs, health shows the link up, and the hub has its health record', async () => {
    const h = await hub();
    const dir = data();
    await enrolWith(h, dir);
    const { daemon, logs } = await daemonIn(dir, { sync: { budget: { monthlyBytes: 50_000_000 } } });
    expect(daemon.modules.map((m) => m.name)).toContain('sync');
    await waitUntil(async () => ((await health(daemon))['sync'] as { state: string }).state === 'up', 15_000, 'the link up');
    const sync = (await health(daemon))['sync'] as Record<string, unknown>;
    expect(sync).toMatchObject({ state: 'up', hub: h.url, budget: { monthlyBytes: 50_000_000 } });
    expect(sync['lastSuccessAt']).toEqual(expect.any(Number));
    expect((sync['budget'] as { dayBytes: number }).dayBytes).toBeGreaterThan(0);
    const arrivals = await h.store.arrivals(BOX_ID, 'health');
    expect(arrivals.length).toBeGreaterThan(0);
    expect(logs.events('sync.push.started')).toHaveLength(1);
    expect(logs.events('sync.state').map((l) => l['state'])).toEqual(['up']);
    // The health record the hub got carries the box's health view, `sync` with its backlog included.
    const boxes = await h.store.listBoxes();
    expect(boxes[0]?.latestHealth?.body).toMatchObject({ status: 'ok' });
    expect(boxes[0]?.backlog).toEqual(expect.objectContaining({ alarm: expect.any(Object), readings: expect.any(Object) }));
  }, 30_000);

  it('a box not enrolled runs no sync module, and health says not_enrolled with the backlog', async () => {
    const { daemon, logs } = await daemonIn(data());
    expect(daemon.modules.map((m) => m.name)).not.toContain('sync');
    const sync = (await health(daemon))['sync'] as Record<string, unknown>;
    expect(sync).toMatchObject({ state: 'not_enrolled', offsetMs: 0, budget: { dayBytes: 0, monthBytes: 0 } });
    expect(Object.keys(sync['backlog'] as object).sort()).toEqual(['alarm', 'bulk', 'health', 'readings']);
    expect(logs.events('sync.not_enrolled')).toHaveLength(1);
  });

  it('sync.push false: enrolled, but nothing runs and health has no sync', async () => {
    const h = await hub();
    const dir = data();
    await enrolWith(h, dir);
    const { daemon, logs } = await daemonIn(dir, { sync: { push: false } });
    expect(daemon.modules.map((m) => m.name)).not.toContain('sync');
    expect((await health(daemon))['sync']).toBeUndefined();
    expect(logs.events('sync.push_off')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.seen).toHaveLength(0);
  });
});
