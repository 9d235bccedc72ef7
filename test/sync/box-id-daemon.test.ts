// One box id for the push and the pull feed: the real daemon (buildDaemon in-process, HTTP on loopback) enrolled with
// the real hub as qingshui-01 while its config says sync.boxId: another-box. The daemon starts (a name conflict with
// the county must not stop the township's warnings), warns once naming the key and why, pushes as qingshui-01, and its
// feed answers as qingshui-01 too; health shows both ids.
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../node-daemon/auth/tokens.js';
import { healthSchema } from '../../node-daemon/http/schemas.js';
import { waitUntil } from '../daemon/daemon-harness.js';
import { bearerHeaders, TEST_API_TOKEN } from '../helpers/auth.js';
import { tempDir } from '../storage/storage-helpers.js';
import { startDaemonIn } from './in-process-daemon.js';
import { BOX_ID, enrolWith, startHub } from './push-rig.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const daemonIn = (dir: string, config: unknown): ReturnType<typeof startDaemonIn> => startDaemonIn(dir, config, cleanups);

describe('sync.boxId and the enrolled id', () => {
  it('disagree: a startup warning naming sync.boxId; the push, the feed and health all use the enrolled id', async () => {
    const hub = await startHub();
    cleanups.push(() => hub.cleanup());
    const data = tempDir('fenghuo-box-id-');
    cleanups.push(() => data.cleanup());
    await enrolWith(hub, data.dir);
    const { daemon, logs } = await daemonIn(data.dir, {
      sync: { boxId: 'another-box' },
      http: { apiTokens: [{ id: 'admin', role: 'admin', sha256: sha256Hex(TEST_API_TOKEN) }] },
    });

    const warning = logs.events('sync.box_id_mismatch');
    expect(warning).toHaveLength(1);
    expect(warning[0]).toMatchObject({ level: 'warn', key: 'sync.boxId', configured: 'another-box', enrolled: BOX_ID });
    expect(String(warning[0]!['msg'])).toContain('Remove sync.boxId, or enrol again as another-box');

    const health = async (): Promise<Record<string, unknown>> => {
      const body = (await (await fetch(`${daemon.url()}/api/v1/health`)).json()) as Record<string, unknown>;
      expect(healthSchema.safeParse(body).success).toBe(true);
      return body['sync'] as Record<string, unknown>;
    };
    await waitUntil(async () => (await health())['state'] === 'up', 15_000, 'the link up');
    expect(await health()).toMatchObject({ boxId: BOX_ID, configuredBoxId: 'another-box' });
    expect((await hub.store.listBoxes()).map((b) => b.id)).toEqual([BOX_ID]);

    const feed = await fetch(`${daemon.url()}/api/v1/sync/feed?after=0&limit=1`, { headers: bearerHeaders() });
    expect(feed.status).toBe(200);
    expect(((await feed.json()) as { box: string }).box).toBe(BOX_ID);
  }, 30_000);
});
