// Camera pictures at the hub on PostgreSQL (images-suite.ts), against a throw-away cluster (pg-source.ts; skipped,
// saying why, where none can be made, as backup-pg.test.ts is).
import { afterAll, beforeAll, describe } from 'vitest';
import { PgHubStore } from '../../hub/store/pg-store.js';
import { imagesSuite } from './images-suite.js';
import { freshDatabase, pgSource, type PgSource } from './pg-source.js';

let src: PgSource = { ok: false, reason: 'not started' };
beforeAll(async () => {
  src = await pgSource();
}, 120_000);
afterAll(async () => {
  if (src.ok) await src.close();
});

describe('camera pictures at the hub (PostgreSQL store)', () => {
  imagesSuite(
    {
      async open() {
        if (!src.ok) throw new Error(`PostgreSQL unavailable: ${src.reason}`);
        const db = await freshDatabase(src);
        const store = await PgHubStore.open({ connection: src.config(db.name) });
        return {
          store,
          async dispose() {
            await store.close();
            await db.drop();
          },
        };
      },
    },
    () => (src.ok ? undefined : `PostgreSQL unavailable: ${src.reason}`),
  );
});
