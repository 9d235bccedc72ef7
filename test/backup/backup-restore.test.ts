// fenghuo backup / restore (issue #17 items 1-2) on a database made here, through the CLI entry (in process):
// identity round-trip encrypted, a flipped byte, a newer schema, a wrong passphrase, a database in use, --force.
import Database from 'better-sqlite3';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../node-daemon/cli.js';
import { MANIFEST_FILE, manifestSchema, type Manifest } from '../../node-daemon/backup/manifest.js';
import { latestSchemaVersion } from '../../node-daemon/backup/restore.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { DB_FILE_NAME, openDatabase } from '../../node-daemon/storage/database.js';
import { MIGRATIONS, migrate } from '../../node-daemon/storage/migrations.js';
import { BOX_KEY_FILE, COUNTY_PUB_FILE, ENROLMENT_FILE, ensureSyncDir, loadEnrolment } from '../../node-daemon/sync/enrol/files.js';
import { tempDir } from '../daemon/daemon-harness.js';

const PASS_ENV = 'FENGHUO_TEST_BACKUP_PASSPHRASE';

interface Run {
  code: number;
  out: string[];
  err: string[];
}

async function fenghuo(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
  delete process.env[PASS_ENV];
});

function tmp(prefix: string): string {
  const t = tempDir(prefix);
  cleanups.push(t.cleanup);
  return t.dir;
}

/** A migrated data dir with readings, an open alarm, an account and an enrolment. */
function makeBox(): string {
  const dataDir = tmp('fenghuo-box-');
  const { db } = openDatabase({ dataDir, log: silentLogger() });
  const ins = db.prepare('INSERT INTO readings (sensor_id, ts, value, quality) VALUES (?, ?, ?, 0)');
  db.transaction(() => {
    for (let i = 0; i < 500; i++) ins.run('river', 1_700_000_000_000 + i * 1000, 1 + i / 1000);
  })();
  db.close();
  const sync = ensureSyncDir(dataDir);
  const box = generateKeyPairSync('ed25519');
  const county = generateKeyPairSync('ed25519');
  writeFileSync(join(sync, BOX_KEY_FILE), box.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
  writeFileSync(join(sync, COUNTY_PUB_FILE), county.publicKey.export({ type: 'spki', format: 'pem' }).toString(), { mode: 0o600 });
  writeFileSync(join(sync, ENROLMENT_FILE), JSON.stringify({ hub: 'http://hub.example:8470', boxId: 'town-7', countyKeyId: 'county-1', enrolledAt: 1_700_000_000_000 }), { mode: 0o600 });
  return dataDir;
}

function backupDirs(to: string): string[] {
  return readdirSync(to).filter((n) => n.startsWith('fenghuo-backup-'));
}

async function backupOf(dataDir: string, ...extra: string[]): Promise<string> {
  const to = tmp('fenghuo-backups-');
  const r = await fenghuo('backup', '--data', dataDir, '--to', to, ...extra);
  expect(r.err.join('\n')).toBe('');
  expect(r.code).toBe(0);
  const [name] = backupDirs(to);
  expect(name).toMatch(/^fenghuo-backup-\d{8}-\d{6}Z$/);
  expect(r.out[0]).toBe(join(to, name!));
  return join(to, name!);
}

function manifestOf(dir: string): Manifest {
  return manifestSchema.parse(JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')));
}

describe('fenghuo backup', () => {
  it('writes the database, config and manifest; without a passphrase the identity is left out and the manifest says so', async () => {
    const dataDir = makeBox();
    const config = join(tmp('fenghuo-cfg-'), 'site.yaml');
    writeFileSync(config, 'buses: []\n');
    const dir = await backupOf(dataDir, '--config', config);
    const m = manifestOf(dir);
    expect(m.schemaVersion).toBe(latestSchemaVersion());
    expect(m.database.readingsSeq).toBe(500);
    expect(m.database.dbId).toMatch(/.+/);
    expect(m.identity).toEqual({ state: 'omitted-no-passphrase', files: ['sync/box.key', 'sync/county.pub', 'sync/enrolment.json'] });
    expect(m.files.map((f) => f.path).sort()).toEqual(['config/site.yaml', 'fenghuo.db']);
    expect(existsSync(join(dir, 'sync'))).toBe(false);
    const db = new Database(join(dir, DB_FILE_NAME), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.prepare('SELECT COUNT(*) FROM readings').pluck().get()).toBe(500);
    db.close();
  });

  it('bad arguments: exit 2 with a clear message', async () => {
    const dataDir = makeBox();
    expect((await fenghuo('backup', '--data', tmp('fenghuo-empty-'))).err[0]).toMatch(/no database at/);
    expect((await fenghuo('backup', '--data', tmp('fenghuo-empty-'))).code).toBe(2);
    const both = await fenghuo('backup', '--data', dataDir, '--passphrase-env', 'X', '--passphrase-file', '/nonexistent');
    expect(both.code).toBe(2);
    expect(both.err[0]).toMatch(/passphrase once/);
    const unset = await fenghuo('backup', '--data', dataDir, '--passphrase-env', 'FENGHUO_NO_SUCH_VAR_17');
    expect(unset.code).toBe(2);
    expect(unset.err[0]).toMatch(/not set/);
    expect((await fenghuo('backup', '--bogus')).code).toBe(2);
    expect((await fenghuo('restore')).code).toBe(2);
  });

  it('a failure writing (target is a file, not a folder): exit 1 and no backup', async () => {
    const dataDir = makeBox();
    const file = join(tmp('fenghuo-to-'), 'not-a-dir');
    writeFileSync(file, 'x');
    const r = await fenghuo('backup', '--data', dataDir, '--to', file);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/^fenghuo: /);
  });
});

describe('fenghuo restore', () => {
  it('round-trips the identity encrypted: the keys are not in clear in the backup, and come back byte for byte', async () => {
    const dataDir = makeBox();
    process.env[PASS_ENV] = 'correct horse battery staple';
    const dir = await backupOf(dataDir, '--passphrase-env', PASS_ENV);
    const m = manifestOf(dir);
    expect(m.identity.state).toBe('encrypted');
    const key = readFileSync(join(dataDir, 'sync', BOX_KEY_FILE), 'utf8');
    for (const f of readdirSync(join(dir, 'sync'))) expect(readFileSync(join(dir, 'sync', f)).includes('PRIVATE KEY')).toBe(false);

    const fresh = join(tmp('fenghuo-restore-'), 'data');
    const passFile = join(tmp('fenghuo-pass-'), 'pass');
    writeFileSync(passFile, 'correct horse battery staple\n');
    const r = await fenghuo('restore', dir, '--data', fresh, '--passphrase-file', passFile);
    expect(r.err.join('\n')).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toMatch(/500 readings/);
    expect(r.out.join('\n')).toMatch(/identity: sync\/box.key, sync\/county.pub, sync\/enrolment.json/);
    for (const f of [BOX_KEY_FILE, COUNTY_PUB_FILE, ENROLMENT_FILE]) {
      expect(readFileSync(join(fresh, 'sync', f))).toEqual(readFileSync(join(dataDir, 'sync', f)));
      expect(statSync(join(fresh, 'sync', f)).mode & 0o777).toBe(0o600);
    }
    expect(readFileSync(join(fresh, 'sync', BOX_KEY_FILE), 'utf8')).toBe(key);
    expect(loadEnrolment(fresh)?.record.boxId).toBe('town-7');
    const db = new Database(join(fresh, DB_FILE_NAME), { readonly: true });
    expect(db.prepare("SELECT value FROM meta WHERE key = 'db_id'").pluck().get()).toBe(m.database.dbId);
    db.close();
  });

  it('a wrong passphrase is refused (exit 2) and the data dir is left untouched', async () => {
    const dataDir = makeBox();
    process.env[PASS_ENV] = 'right passphrase';
    const dir = await backupOf(dataDir, '--passphrase-env', PASS_ENV);
    process.env[PASS_ENV] = 'wrong passphrase';
    const fresh = join(tmp('fenghuo-restore-'), 'data');
    const r = await fenghuo('restore', dir, '--data', fresh, '--passphrase-env', PASS_ENV);
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toMatch(/wrong passphrase/);
    expect(existsSync(fresh)).toBe(false);
    const none = await fenghuo('restore', dir, '--data', fresh);
    expect(none.code).toBe(2);
    expect(none.err.join('\n')).toMatch(/encrypted: give its passphrase/);
  });

  it('a flipped byte in any file is refused, naming the file', async () => {
    const dataDir = makeBox();
    process.env[PASS_ENV] = 'pw';
    const config = join(tmp('fenghuo-cfg-'), 'site.yaml');
    writeFileSync(config, 'buses: []\n');
    for (const victim of ['fenghuo.db', 'config/site.yaml', 'sync/box.key.enc']) {
      const dir = await backupOf(dataDir, '--passphrase-env', PASS_ENV, '--config', config);
      const path = join(dir, ...victim.split('/'));
      const bytes = readFileSync(path);
      const at = Math.floor(bytes.length / 2);
      bytes[at] = bytes[at]! ^ 0x01;
      writeFileSync(path, bytes);
      const fresh = join(tmp('fenghuo-restore-'), 'data');
      const r = await fenghuo('restore', dir, '--data', fresh, '--passphrase-env', PASS_ENV);
      expect(r.code).toBe(2);
      expect(r.err[0]).toBe(`fenghuo: backup file ${victim} is damaged: its sha256 does not match the manifest`);
      expect(existsSync(fresh)).toBe(false);
    }
  });

  it('a missing file and a damaged manifest are refused', async () => {
    const dir = await backupOf(makeBox(), '--config', (() => {
      const c = join(tmp('fenghuo-cfg-'), 'site.yaml');
      writeFileSync(c, 'x: 1\n');
      return c;
    })());
    writeFileSync(join(dir, 'config', 'site.yaml'), 'x: 12\n');
    const r = await fenghuo('restore', dir, '--data', join(tmp('fenghuo-restore-'), 'data'));
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/backup file config\/site.yaml is damaged: 6 bytes, the manifest says 5/);
    writeFileSync(join(dir, MANIFEST_FILE), '{"format":1');
    expect((await fenghuo('restore', dir, '--data', join(tmp('fenghuo-restore-'), 'data'))).err[0]).toMatch(/manifest.json is damaged/);
    expect((await fenghuo('restore', tmp('fenghuo-nothing-'), '--data', join(tmp('fenghuo-restore-'), 'data'))).err[0]).toMatch(/not a fenghuo backup/);
  });

  it('a backup from a newer schema is refused with a clear message', async () => {
    const dir = await backupOf(makeBox());
    const newer = latestSchemaVersion() + 1;
    const dbFile = join(dir, 'fenghuo.db');
    const db = new Database(dbFile);
    db.pragma(`user_version = ${newer}`);
    db.close();
    const m = manifestOf(dir);
    const stat = statSync(dbFile);
    const { sha256OfFile } = await import('../../node-daemon/backup/manifest.js');
    const edited: Manifest = {
      ...m,
      schemaVersion: newer,
      fenghuoVersion: '9.9.9',
      files: await Promise.all(m.files.map(async (f) => (f.path === 'fenghuo.db' ? { ...f, size: stat.size, sha256: await sha256OfFile(dbFile) } : f))),
    };
    writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(edited));
    const fresh = join(tmp('fenghuo-restore-'), 'data');
    const r = await fenghuo('restore', dir, '--data', fresh);
    expect(r.code).toBe(2);
    expect(r.err[0]).toBe(
      `fenghuo: ${dir} comes from a newer fenghuo (9.9.9, database schema ${newer}); this one knows schema ${latestSchemaVersion()}: update fenghuo first, then restore`,
    );
    expect(existsSync(fresh)).toBe(false);
  });

  it('an older schema is migrated forward by the restore', async () => {
    const dataDir = tmp('fenghuo-old-');
    const old = new Database(join(dataDir, DB_FILE_NAME));
    migrate(old, silentLogger(), MIGRATIONS.filter((m) => m.version <= 2));
    old.close();
    const dir = await backupOf(dataDir);
    expect(manifestOf(dir).schemaVersion).toBe(2);
    const fresh = join(tmp('fenghuo-restore-'), 'data');
    const r = await fenghuo('restore', dir, '--data', fresh);
    expect(r.err.join('\n')).toBe('');
    expect(r.code).toBe(0);
    expect(r.out[1]).toMatch(new RegExp(`schema 2 migrated to ${latestSchemaVersion()}.*integrity_check ok`));
    const db = new Database(join(fresh, DB_FILE_NAME), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(latestSchemaVersion());
    db.close();
  });

  it('refuses a non-empty data dir without --force; with --force moves the old database aside; refuses a database in use', async () => {
    const dataDir = makeBox();
    const dir = await backupOf(dataDir);
    const target = makeBox();
    const before = readFileSync(join(target, DB_FILE_NAME));
    const refused = await fenghuo('restore', dir, '--data', target);
    expect(refused.code).toBe(2);
    expect(refused.err[0]).toMatch(/is not empty: .*--force/);

    const holder = new Database(join(target, DB_FILE_NAME));
    holder.pragma('journal_mode = WAL');
    holder.prepare('SELECT COUNT(*) FROM readings').get();
    const inUse = await fenghuo('restore', dir, '--data', target, '--force');
    holder.close();
    expect(inUse.code).toBe(1);
    expect(inUse.err[0]).toMatch(/is in use: stop the daemon first/);

    const forced = await fenghuo('restore', dir, '--data', target, '--force');
    expect(forced.err.join('\n')).toBe('');
    expect(forced.code).toBe(0);
    const aside = readdirSync(target).filter((n) => /^fenghuo\.db\.before-restore-\d+$/.test(n));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(target, aside[0]!)).length).toBe(before.length);
    // The identity was not in the backup (no passphrase): the box's own identity stays.
    expect(existsSync(join(target, 'sync', BOX_KEY_FILE))).toBe(true);
    expect(forced.out.join('\n')).toMatch(/moved aside: .*before-restore/);
  });

  it('refuses a .partial directory', async () => {
    const dir = await backupOf(makeBox());
    const partial = `${dir}.123.partial`;
    mkdirSync(partial);
    const r = await fenghuo('restore', partial, '--data', join(tmp('fenghuo-restore-'), 'data'));
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/unfinished backup/);
  });
});
