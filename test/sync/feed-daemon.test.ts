// The pull feed on a running box: the real daemon (bin/fenghuo.js from dist) serves GET /api/v1/sync/feed to an admin
// and to a token listed in sync.feedTokens, and refuses other callers; a settings change shows in it as an `audit`
// record. Needs dist up to date (npx tsc -p tsconfig.build.json).
import { afterEach, describe, expect, it } from 'vitest';
import { feedTokensHttpYaml, startDaemonOn, tempDir, type DaemonProcess } from '../daemon/daemon-harness.js';
import { bearerHeaders, TEST_API_TOKEN } from '../helpers/auth.js';
import { freeTcpPort } from '../helpers/pymodbus.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const FEED_TOKEN = `${TEST_API_TOKEN}-county`;
const OTHER_TOKEN = `${TEST_API_TOKEN}-other`;

async function daemon(): Promise<DaemonProcess> {
  const dir = tempDir('fenghuo-feed-daemon-');
  cleanups.push(() => dir.cleanup());
  // A bus on a port nobody listens on: the sensor fails its polls, which is all this test needs of it.
  const port = await freeTcpPort();
  const yaml = [
    'buses:',
    `  - { id: tcp-gw, type: tcp, host: 127.0.0.1, port: ${port}, timeoutMs: 200, reconnectMs: 200 }`,
    'sensors:',
    '  - { id: river, bus: tcp-gw, slave: 1, profile: generic-uint16-cm, pollIntervalMs: 1000 }',
    'sync:',
    '  boxId: qingshui-01',
    '  feedTokens: [county]',
    ...feedTokensHttpYaml({ county: FEED_TOKEN, other: OTHER_TOKEN }),
    '',
  ].join('\n');
  return startDaemonOn(dir.dir, yaml, cleanups);
}

interface FeedBody {
  box: string;
  dbId: string;
  records: { seq: number; kind: string; ts: number; payload: Record<string, unknown> }[];
  next: number;
  more: boolean;
}

describe('GET /api/v1/sync/feed on the daemon', () => {
  it('answers an admin and a sync.feedTokens token, 403 to a token not listed, and carries a settings change', async () => {
    const d = await daemon();
    const put = await fetch(`${d.url}/api/v1/settings/dispatch`, {
      method: 'PUT',
      headers: { ...bearerHeaders(), 'content-type': 'application/json' },
      body: '{}',
    });
    expect(put.status, await put.clone().text()).toBe(200);

    const feed = (token: string): Promise<Response> => fetch(`${d.url}/api/v1/sync/feed?after=0&limit=1000`, { headers: bearerHeaders(token) });

    for (const token of [TEST_API_TOKEN, FEED_TOKEN]) {
      const res = await feed(token);
      expect(res.status).toBe(200);
      const body = (await res.json()) as FeedBody;
      expect(body).toMatchObject({ box: 'qingshui-01', dbId: expect.any(String) });
      expect(body.dbId.length).toBeGreaterThan(0);
      const audits = body.records.filter((r) => r.kind === 'audit');
      expect(audits).toHaveLength(1);
      expect(audits[0]!.payload).toMatchObject({ section: 'dispatch', by: 'token:admin', account: 'token:admin' });
    }

    const refused = await feed(OTHER_TOKEN);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'forbidden' } });
    // No sign-in at all: the auth layer answers before the scope check.
    expect((await fetch(`${d.url}/api/v1/sync/feed?after=0`)).status).toBe(401);
  }, 30_000);
});
