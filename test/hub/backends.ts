import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import pgDriver from 'pg';
import { HUB_MIGRATIONS, META_TABLE_SQL, stepSql, type StoreLog } from '../../hub/store/migrations.js';
import { PgHubStore } from '../../hub/store/pg-store.js';
import { SqliteHubStore } from '../../hub/store/sqlite-store.js';
import type { HubStore } from '../../hub/store/types.js';
import { freshDatabase, pgSource, type PgSource } from './pg-source.js';

export interface StoreOptions {
  readonly clock?: () => number;
  readonly log?: StoreLog;
}

/** One empty database; `open` gives another store on it, as another hub process would have. */
export interface Fixture {
  open(opts?: StoreOptions): Promise<HubStore>;
  /** PostgreSQL: settings to reach the database directly (for lock tests); SQLite: the file. */
  readonly pgConfig?: pg.PoolConfig;
  readonly sqlitePath?: string;
  /** Closes every store opened and removes the database. */
  dispose(): Promise<void>;
}

export interface Backend {
  readonly name: 'sqlite' | 'postgres';
  /** Why this back end cannot run here; undefined when it can. */
  readonly skipReason: string | undefined;
  fixture(): Promise<Fixture>;
  /** Stops the PostgreSQL cluster this file started. */
  stop(): Promise<void>;
  /** PostgreSQL only: crash the server (SIGKILL) and bring it back. */
  readonly server?: { kill9(): Promise<void>; restart(): Promise<void> };
}

function sqliteBackend(): Backend {
  return {
    name: 'sqlite',
    skipReason: undefined,
    async fixture() {
      const dir = mkdtempSync(join(tmpdir(), 'fenghuo-hub-'));
      const path = join(dir, 'hub.db');
      const stores: HubStore[] = [];
      return {
        sqlitePath: path,
        async open(opts = {}) {
          const s = SqliteHubStore.open({ path, busyTimeoutMs: 10_000, ...opts });
          stores.push(s);
          return s;
        },
        async dispose() {
          for (const s of stores) await s.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
    stop: async () => {},
  };
}

function postgresBackend(src: PgSource): Backend {
  return {
    name: 'postgres',
    skipReason: src.ok ? undefined : src.reason,
    async fixture() {
      if (!src.ok) throw new Error(`PostgreSQL unavailable: ${src.reason}`);
      const db = await freshDatabase(src);
      const stores: HubStore[] = [];
      const config = src.config(db.name);
      return {
        pgConfig: config,
        async open(opts = {}) {
          const s = await PgHubStore.open({ connection: { ...config, max: 8 }, ...opts });
          stores.push(s);
          return s;
        },
        async dispose() {
          for (const s of stores) await s.close();
          await db.drop();
        },
      };
    },
    stop: () => (src.ok ? src.close() : Promise.resolve()),
    ...(src.ok ? { server: { kill9: () => src.kill9(), restart: () => src.restart() } } : {}),
  };
}

/**
 * Both back ends, PostgreSQL started (or found) once for the calling test file. A skipped back end's reason is
 * printed here and put in its describe title, so a run without PostgreSQL says what it did not test and why.
 */
export async function backends(): Promise<Backend[]> {
  const src = await pgSource();
  if (!src.ok) {
    console.warn(`[hub store tests] PostgreSQL half SKIPPED: ${src.reason}`);
  }
  return [sqliteBackend(), postgresBackend(src)];
}

export function title(b: Backend): string {
  return b.skipReason === undefined ? b.name : `${b.name} (SKIPPED: ${b.skipReason})`;
}

/** Writes hub_meta's schema_version behind the stores' back (to test that a newer schema is refused). */
export async function setSchemaVersion(fx: Fixture, version: number): Promise<void> {
  if (fx.sqlitePath !== undefined) {
    const db = new Database(fx.sqlitePath);
    db.prepare("UPDATE hub_meta SET value = ? WHERE key = 'schema_version'").run(String(version));
    db.close();
    return;
  }
  const c = new pgDriver.Client(fx.pgConfig);
  await c.connect();
  try {
    await c.query("UPDATE hub_meta SET value = $1 WHERE key = 'schema_version'", [String(version)]);
  } finally {
    await c.end();
  }
}

/** Makes the fixture's database a v1 hub's (schema v1 only), then runs `rows` (SQL both dialects take) in it. */
export async function makeV1(fx: Fixture, rows: readonly string[]): Promise<void> {
  const v1 = HUB_MIGRATIONS.find((s) => s.version === 1);
  if (v1 === undefined) throw new Error('no v1');
  const meta = "INSERT INTO hub_meta (key, value) VALUES ('schema_version', '1')";
  if (fx.sqlitePath !== undefined) {
    const db = new Database(fx.sqlitePath);
    db.exec(META_TABLE_SQL);
    for (const sql of [...stepSql(v1, 'sqlite'), meta, ...rows]) db.exec(sql);
    db.close();
    return;
  }
  const c = new pgDriver.Client(fx.pgConfig);
  await c.connect();
  try {
    await c.query(META_TABLE_SQL);
    for (const sql of [...stepSql(v1, 'postgres'), meta, ...rows]) await c.query(sql);
  } finally {
    await c.end();
  }
}
