import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pidAlive, postgresAvailable, removeStalePostgres, startPostgres, type PostgresCluster } from '../../bench/support/postgres.js';

const avail = await postgresAvailable();
if (!avail.ok) console.warn(`SKIPPED PostgreSQL helper tests: ${avail.reason}`);
else console.log(`PostgreSQL for tests: ${avail.version} from ${avail.binDir}, run as ${avail.osUser}${avail.notes.length ? `; ${avail.notes.join('; ')}` : ''}`);
const skip = !avail.ok;

async function query<T extends pg.QueryResultRow>(c: PostgresCluster, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: c.connectionString });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The real uid of a process, from /proc. */
function uidOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'));
  return Number(line?.split(/\s+/)[1]);
}

describe('throwaway PostgreSQL cluster', () => {
  let c: PostgresCluster;

  beforeAll(async () => {
    if (skip) return;
    const t0 = Date.now();
    c = await startPostgres();
    console.log(`initdb + start + createdb: ${Date.now() - t0} ms`);
  });
  afterAll(async () => {
    await c?.close();
  });

  it.skipIf(skip)('answers SELECT 1 through pg on loopback TCP, as postgres, in its own database', async () => {
    expect(c.host).toBe('127.0.0.1');
    expect(c.connectionString).toBe(`postgresql://postgres@127.0.0.1:${c.port}/fenghuo`);
    const [row] = await query<{ one: number; db: string; who: string }>(c, 'SELECT 1 AS one, current_database() AS db, current_user AS who');
    expect(row).toEqual({ one: 1, db: 'fenghuo', who: 'postgres' });
    // And through its socket dir, never Debian's /var/run/postgresql.
    const viaSocket = new pg.Client({ host: c.socketDir, port: c.port, user: c.user, database: c.database });
    await viaSocket.connect();
    expect((await viaSocket.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    await viaSocket.end();
  });

  it.skipIf(skip)('runs unprivileged, with the test settings', async () => {
    const pid = c.pid();
    expect(pid).toBeGreaterThan(0);
    if (process.getuid?.() === 0) {
      expect(['postgres', 'nobody']).toContain(c.osUser);
      expect(uidOf(pid ?? 0)).not.toBe(0);
    }
    const rows = await query<{ name: string; setting: string }>(
      c,
      `SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'full_page_writes', 'synchronous_commit', 'listen_addresses', 'unix_socket_directories', 'TimeZone') ORDER BY name`,
    );
    expect(Object.fromEntries(rows.map((r) => [r.name, r.setting]))).toEqual({
      fsync: 'off',
      full_page_writes: 'off',
      synchronous_commit: 'on',
      listen_addresses: '127.0.0.1',
      unix_socket_directories: c.socketDir,
      TimeZone: 'UTC',
    });
  });

  it.skipIf(skip)('survives kill9 + restart with every committed row, and loses the uncommitted ones', async () => {
    await query(c, 'CREATE TABLE readings (id int PRIMARY KEY, v double precision)');
    await query(c, 'INSERT INTO readings SELECT g, g / 10.0 FROM generate_series(1, 1000) g');
    // An open transaction at the moment of the crash: its rows must not survive.
    const open = new pg.Client({ connectionString: c.connectionString });
    await open.connect();
    open.on('error', () => {}); // the crash drops it
    await open.query('BEGIN');
    await open.query('INSERT INTO readings VALUES (5000, 1)');
    const pidBefore = c.pid();

    await c.kill9();
    expect(c.pid()).toBeUndefined();
    expect(await portOpen(c.port)).toBe(false);
    await expect(query(c, 'SELECT 1')).rejects.toThrow();

    const t0 = Date.now();
    await c.restart();
    console.log(`restart with crash recovery: ${Date.now() - t0} ms`);
    expect(c.pid()).not.toBe(pidBefore);
    const [row] = await query<{ n: string; max: number }>(c, 'SELECT count(*) AS n, max(id) AS max FROM readings');
    expect(row).toEqual({ n: '1000', max: 1000 });
    expect(c.log()).toMatch(/database system was interrupted|not properly shut down|redo/);
    await open.end().catch(() => {});
  });

  it.skipIf(skip)('stop() shuts down cleanly and keeps the data; restart() brings it back on the same port', async () => {
    await c.stop();
    expect(c.pid()).toBeUndefined();
    expect(await portOpen(c.port)).toBe(false);
    await c.stop(); // idempotent
    await c.restart();
    expect(await portOpen(c.port)).toBe(true);
    const [row] = await query<{ n: string }>(c, 'SELECT count(*) AS n FROM readings');
    expect(row?.n).toBe('1000');
  });
});

describe('PostgreSQL cleanup', () => {
  it.skipIf(skip)('close() stops the server and removes its dir', async () => {
    const c = await startPostgres({ database: 'postgres' });
    const pid = c.pid();
    expect(existsSync(c.dataDir)).toBe(true);
    await c.close();
    expect(existsSync(c.dir)).toBe(false);
    expect(await portOpen(c.port)).toBe(false);
    expect(pidAlive(pid ?? 0)).toBe(false);
    await c.close(); // idempotent
  });

  it.skipIf(skip)('a later run removes the cluster of a dead creator, killing its server', async () => {
    // The "crashed run": a process of ours that lives while the cluster is made (so that no sweep of a test file
    // running in parallel takes it half made), then dies.
    const owner = spawn('sleep', ['60'], { stdio: 'ignore' });
    const stale = await startPostgres({ ownerPid: owner.pid, database: 'postgres' });
    try {
      expect(stale.dir).toContain(`-${owner.pid}-`);
      const pid = stale.pid();
      expect(pid).toBeGreaterThan(0);
      await removeStalePostgres();
      expect(existsSync(stale.dir)).toBe(true); // its owner lives
      owner.kill('SIGKILL');
      await new Promise((r) => owner.once('exit', r));
      await removeStalePostgres();
      expect(existsSync(stale.dir)).toBe(false);
      expect(pidAlive(pid ?? 0)).toBe(false);
      expect(await portOpen(stale.port)).toBe(false);
    } finally {
      await stale.close();
    }
  });
});
