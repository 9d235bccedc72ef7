// The county hub's content path for tests: the real hub app (hub/http, content routes on) on its SQLite store and a
// content directory of its own, served on a fixed loopback port (kept across a restart), a duty token for
// POST /api/v1/content, and boxes enrolled through the real enrolment code. `manifestOrder` signs a content_manifest
// order with the county key and verifies it as a box does, for driving the box's handler until the orders path runs.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokenAccess } from '../../hub/http/access.js';
import { createHubApp } from '../../hub/http/app.js';
import { MemoryNonceStore } from '../../hub/http/nonce-store.js';
import { hubServer } from '../../hub/http/server.js';
import { SqliteHubStore } from '../../hub/store/sqlite-store.js';
import { createLogger } from '../../node-daemon/core/log.js';
import type { HttpServer } from '../../node-daemon/http/http-server.js';
import { formatEnrolCode, generateEnrolCode } from '../../node-daemon/sync/enrol/code.js';
import { enrolBox } from '../../node-daemon/sync/enrol/enrol.js';
import { signOrder, SigningKey, verifyOrder, type ContentFile, type OrderOf } from '../../node-daemon/sync/protocol/index.js';

export const DUTY_TOKEN = 'duty-token-for-content-tests';
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

export interface ContentHub {
  readonly dir: string;
  readonly contentDir: string;
  readonly store: SqliteHubStore;
  readonly countyKey: SigningKey;
  url: string;
  port: number;
  readonly logs: Record<string, unknown>[];
  start(): Promise<void>;
  stop(): Promise<void>;
  publish(bytes: Uint8Array, query: Record<string, string>, token?: string): Promise<Response>;
  cleanup(): Promise<void>;
}

export async function startContentHub(): Promise<ContentHub> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-content-hub-'));
  const countyKey = SigningKey.generate('county-test');
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) } });
  let server: HttpServer | undefined;
  const hub: ContentHub = {
    dir,
    contentDir: join(dir, 'content'),
    store: SqliteHubStore.open({ path: join(dir, 'hub.db') }),
    countyKey,
    url: '',
    port: 0,
    logs,
    async start() {
      const { app, limits } = createHubApp({
        store: hub.store,
        countyKey,
        nonces: new MemoryNonceStore(Date.now),
        log,
        access: tokenAccess([{ name: 'duty', sha256: sha(DUTY_TOKEN), role: 'duty' }, { name: 'viewer', sha256: sha('viewer-token'), role: 'viewer' }]),
        content: { dir: hub.contentDir },
        limits: { maxContentBytes: 16 * 1024 * 1024 },
      });
      server = hubServer({ app, listen: `127.0.0.1:${hub.port}`, log, limits });
      await server.start();
      hub.url = server.url().replace(/\/$/, '');
      hub.port = Number(new URL(hub.url).port);
    },
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async publish(bytes, query, token = DUTY_TOKEN) {
      const q = new URLSearchParams(query).toString();
      return fetch(`${hub.url}/api/v1/content?${q}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: bytes });
    },
    async cleanup() {
      await hub.stop();
      await hub.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await hub.start();
  return hub;
}

/** Enrols the box in `dataDir` with `hub` (addressed at `hubUrl`, e.g. through a proxy) through the real enrolment code. */
export async function enrolAt(hub: ContentHub, hubUrl: string, dataDir: string, boxId: string): Promise<void> {
  const code = generateEnrolCode(boxId);
  const now = Date.now();
  await hub.store.createEnrolmentCode({ code: code.canonical, createdAt: now, expiresAt: now + 3_600_000 });
  await enrolBox({ hubUrl, code: formatEnrolCode(code), dataDir });
}

/** A content_manifest order signed by the county key and verified as a box verifies it. */
export function manifestOrder(countyKey: SigningKey, files: readonly ContentFile[], boxId: string, issuedAt = Date.now()): OrderOf<'content_manifest'> {
  const signed = signOrder(
    { v: 1, id: `content-${issuedAt}-${randomBytes(3).toString('hex')}`, issuedAt, expiresAt: issuedAt + 86_400_000, to: [boxId], by: 'test', kind: 'content_manifest', body: { files: [...files] } },
    countyKey,
  );
  const checked = verifyOrder(signed, { countyKey: countyKey.publicKey, countyKeyId: countyKey.keyid, boxId, now: Date.now(), seen: () => false });
  if (!checked.ok || checked.order.kind !== 'content_manifest') throw new Error(`the test's order does not verify: ${checked.ok ? checked.order.kind : checked.detail}`);
  return checked.order;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
