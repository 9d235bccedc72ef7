import type { Db } from '../storage/database.js';
import type { Clock } from '../core/types.js';
import { decoyHash, DEFAULT_SCRYPT_COST, hashPassword, verifyPassword, type ScryptCost } from './password.js';
import { isRole, type Role } from './roles.js';

export interface User {
  readonly name: string;
  readonly role: Role;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface NewUser {
  readonly name: string;
  readonly password: string;
  readonly role: Role;
}

export type DeleteResult = 'deleted' | 'not_found' | 'last_admin';

interface UserRow {
  name: string;
  role: string;
  password_hash: string;
  created_at: number;
  updated_at: number;
}

function toUser(row: UserRow): User {
  if (!isRole(row.role)) throw new Error(`fenghuo: user ${row.name} has an unknown role ${row.role}`);
  return { name: row.name, role: row.role, createdAt: row.created_at, updatedAt: row.updated_at };
}

/** Thrown by `create` when the name is taken (names compare case-insensitively). */
export class UserExistsError extends Error {
  constructor(name: string) {
    super(`user ${name} already exists`);
    this.name = 'UserExistsError';
  }
}

/**
 * The box's user accounts in SQLite (table `users`, migration 4). Passwords are kept only as scrypt hashes with a
 * per-user salt. Names are unique regardless of case; the spelling given at creation is kept.
 */
export class UserStore {
  private decoy: Promise<string> | undefined;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly cost: ScryptCost = DEFAULT_SCRYPT_COST,
  ) {}

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
  }

  list(): User[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY created_at, name').all() as UserRow[]).map(toUser);
  }

  get(name: string): User | undefined {
    const row = this.row(name);
    return row === undefined ? undefined : toUser(row);
  }

  async create(user: NewUser): Promise<User> {
    const hash = await hashPassword(user.password, this.cost);
    return this.db.transaction(() => {
      if (this.row(user.name) !== undefined) throw new UserExistsError(user.name);
      return this.insert(user.name, user.role, hash);
    }).immediate();
  }

  /** Creates the first account, an admin, only while there is no account at all; undefined once there is one. */
  async createFirstAdmin(name: string, password: string): Promise<User | undefined> {
    const hash = await hashPassword(password, this.cost);
    // Hashing is asynchronous; the check and the insert are one transaction, so two racing setups cannot both win.
    return this.db.transaction(() => (this.count() > 0 ? undefined : this.insert(name, 'admin', hash))).immediate();
  }

  /** The user when the password is theirs. An unknown name costs the same scrypt time as a wrong password. */
  async verify(name: string, password: string): Promise<User | undefined> {
    const row = this.row(name);
    if (row === undefined) {
      this.decoy ??= decoyHash(this.cost);
      await verifyPassword(password, await this.decoy);
      return undefined;
    }
    return (await verifyPassword(password, row.password_hash)) ? toUser(row) : undefined;
  }

  async setPassword(name: string, password: string): Promise<User | undefined> {
    const hash = await hashPassword(password, this.cost);
    const now = this.clock();
    const changed = this.db.prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE name = ?').run(hash, now, name).changes;
    return changed === 0 ? undefined : this.get(name);
  }

  /** Deletes an account and (by cascade) its sessions; the last admin cannot be deleted. */
  delete(name: string): DeleteResult {
    return this.db.transaction((): DeleteResult => {
      const row = this.row(name);
      if (row === undefined) return 'not_found';
      if (row.role === 'admin') {
        const admins = (this.db.prepare("SELECT count(*) AS n FROM users WHERE role = 'admin'").get() as { n: number }).n;
        if (admins <= 1) return 'last_admin';
      }
      this.db.prepare('DELETE FROM users WHERE name = ?').run(name);
      return 'deleted';
    }).immediate();
  }

  private row(name: string): UserRow | undefined {
    return this.db.prepare('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
  }

  private insert(name: string, role: Role, hash: string): User {
    const now = this.clock();
    this.db.prepare('INSERT INTO users (name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(name, role, hash, now, now);
    return { name, role, createdAt: now, updatedAt: now };
  }
}
