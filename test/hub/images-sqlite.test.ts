// Camera pictures at the hub on its embedded SQLite store (images-suite.ts: announce, resume, sha256, serve, list,
// auth, prune).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { SqliteHubStore } from '../../hub/store/sqlite-store.js';
import { imagesSuite } from './images-suite.js';

describe('camera pictures at the hub (SQLite store)', () => {
  imagesSuite(
    {
      async open() {
        const dir = mkdtempSync(join(tmpdir(), 'fenghuo-hub-images-db-'));
        const store = SqliteHubStore.open({ path: join(dir, 'hub.db') });
        return {
          store,
          async dispose() {
            await store.close();
            rmSync(dir, { recursive: true, force: true });
          },
        };
      },
    },
    () => undefined,
  );
});
