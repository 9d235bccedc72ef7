// The console verbs for accounts, run on the box itself against the daemon's data dir (the running daemon's SQLite
// file is shared safely: WAL, a busy timeout, and sessions are read from the database on every request):
//   fenghuo users reset-password NAME [--data DIR] [--stdin]
//   fenghuo setup-code [--data DIR]
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SessionStore } from './auth/sessions.js';
import { readSetupCodeFile } from './auth/setup-code.js';
import { UserStore } from './auth/users.js';
import type { CliIo } from './core/cli-io.js';
import { systemClock } from './core/types.js';
import { newPasswordSchema } from './http/routes/auth.js';
import { DB_FILE_NAME, type Db } from './storage/database.js';
import { promptTwice, readStdinLine } from './terminal-password.js';


/** Exit status: 0 done, 1 nothing to do (no setup code), 2 a bad name, password or data dir. */
export type AuthCliExit = 0 | 1 | 2;

/**
 * Opens `<dataDir>/fenghuo.db` as it is: never created, migrated or moved aside here (that is the daemon's job at
 * start); undefined when there is no such file.
 */
function openExisting(dataDir: string): Db | undefined {
  const path = join(dataDir, DB_FILE_NAME);
  if (!existsSync(path)) return undefined;
  const db = new Database(path, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}

function hasUsersTable(db: Db): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'users'").get() !== undefined;
}

/** `fenghuo users reset-password NAME`: sets a new password and ends every session of that account. */
export async function resetPassword(
  opts: { readonly dataDir: string; readonly name: string; readonly fromStdin: boolean },
  io: CliIo,
): Promise<AuthCliExit> {
  const dataDir = resolve(opts.dataDir);
  const dbPath = join(dataDir, DB_FILE_NAME);
  if (!existsSync(dbPath)) {
    io.err(`fenghuo: no database at ${dbPath}: give the daemon's data dir with --data DIR (fenghuo run --data DIR; default ./data)`);
    return 2;
  }
  // Check the account before asking for a password, so a typo in the name costs no typing.
  const found = withDb(dataDir, (db) => (hasUsersTable(db) ? new UserStore(db, systemClock).get(opts.name) : undefined));
  if (found === undefined) {
    io.err(`fenghuo: no user "${opts.name}" on this box (${describeAccounts(dataDir)})`);
    return 2;
  }
  let password: string;
  try {
    password = opts.fromStdin ? await readStdinLine() : await promptTwice(`New password for ${found.name}: `, 'Again: ');
  } catch (err) {
    io.err(`fenghuo: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const checked = newPasswordSchema.safeParse(password);
  if (!checked.success) {
    io.err(`fenghuo: the password was not changed: ${checked.error.issues.map((i) => i.message).join('; ')}`);
    return 2;
  }
  const db = openExisting(dataDir)!;
  try {
    const user = await new UserStore(db, systemClock).setPassword(found.name, checked.data);
    if (user === undefined) {
      io.err(`fenghuo: no user "${opts.name}" on this box any more (deleted meanwhile?)`);
      return 2;
    }
    const ended = new SessionStore(db, systemClock).deleteForUser(user.name);
    io.out(`password of ${user.name} set; ${ended} ${ended === 1 ? 'session' : 'sessions'} ended`);
    return 0;
  } finally {
    db.close();
  }
}

/** `fenghuo setup-code`: prints the one-time setup code of a box that has no account yet. */
export function printSetupCode(opts: { readonly dataDir: string }, io: CliIo): AuthCliExit {
  const dataDir = resolve(opts.dataDir);
  const accounts = withDb(dataDir, (db) => (hasUsersTable(db) ? new UserStore(db, systemClock).count() : 0)) ?? 0;
  if (accounts > 0) {
    io.err(`fenghuo: the box is set up already (${accounts} ${accounts === 1 ? 'account' : 'accounts'}); there is no setup code. Sign in, or: fenghuo users reset-password NAME`);
    return 1;
  }
  const code = readSetupCodeFile(dataDir);
  if (code === undefined) {
    io.err(`fenghuo: no setup code in ${dataDir}: the daemon makes one when it starts with no account (fenghuo run --data ${opts.dataDir})`);
    return 1;
  }
  io.out(code);
  return 0;
}

function withDb<T>(dataDir: string, use: (db: Db) => T): T | undefined {
  const db = openExisting(dataDir);
  if (db === undefined) return undefined;
  try {
    return use(db);
  } finally {
    db.close();
  }
}

function describeAccounts(dataDir: string): string {
  const names = withDb(dataDir, (db) => (hasUsersTable(db) ? new UserStore(db, systemClock).list().map((u) => u.name) : [])) ?? [];
  return names.length === 0 ? 'it has no account yet' : `accounts: ${names.join(', ')}`;
}
