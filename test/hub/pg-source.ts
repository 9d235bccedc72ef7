import type pg from 'pg';
import pgDriver from 'pg';
import { postgresAvailable, startPostgres } from '../../bench/support/postgres.js';

/**
 * Where the hub-store tests get PostgreSQL: a throw-away cluster from bench/support/postgres.ts, one per test file;
 * each test gets a database of its own (`freshDatabase`), dropped afterwards. When no cluster can be made here the
 * source says why, and the PostgreSQL half of each suite is skipped saying so.
 */
export type PgSource =
  | {
      readonly ok: true;
      /** Pool/client settings for database `db` on that server. */
      config(db: string): pg.PoolConfig;
      /** SIGKILL to the server, as in a crash; `restart` brings it back (crash recovery). */
      kill9(): Promise<void>;
      restart(): Promise<void>;
      close(): Promise<void>;
    }
  | { readonly ok: false; readonly reason: string };

export async function pgSource(): Promise<PgSource> {
  const avail = await postgresAvailable();
  if (!avail.ok) return { ok: false, reason: avail.reason };
  const cluster = await startPostgres({ settings: { max_connections: 100 } });
  return {
    ok: true,
    config: (db) => ({ host: cluster.host, port: cluster.port, user: cluster.user, database: db }),
    kill9: () => cluster.kill9(),
    restart: () => cluster.restart(),
    close: () => cluster.close(),
  };
}

let counter = 0;

/** Creates an empty database for one test; `drop` removes it (ending what still uses it). */
export async function freshDatabase(src: Extract<PgSource, { ok: true }>): Promise<{ name: string; drop(): Promise<void> }> {
  counter += 1;
  const name = `hub_t_${counter}`;
  const admin = async (sql: string): Promise<void> => {
    const c = new pgDriver.Client(src.config('postgres'));
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  // Identifiers cannot be bound as parameters; this one is made here from a counter.
  await admin(`CREATE DATABASE ${name}`);
  return { name, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
