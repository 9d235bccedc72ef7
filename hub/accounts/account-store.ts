import { decoyHash, DEFAULT_SCRYPT_COST, hashPassword, verifyPassword, type ScryptCost } from '../../node-daemon/auth/password.js';
import type { HubRole } from './roles.js';
import type { SqlPort, SqlRow } from '../store/sql-port.js';
import { accountKey, isHubRole } from './names.js';

export interface Account {
  readonly name: string;
  readonly role: HubRole;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** When it was disabled (it cannot sign in, its sessions ended); null while enabled. */
  readonly disabledAt: number | null;
}

export interface AccountChange {
  readonly role?: HubRole;
  readonly disabled?: boolean;
  readonly password?: string;
}

/**
 * `updated` (with the account after the change), `not_found`, or `last_admin`: the change would leave no enabled
 * admin (the county could then no longer manage accounts from the page; the CLI still can).
 */
export type ChangeResult = { readonly status: 'updated'; readonly account: Account } | { readonly status: 'not_found' } | { readonly status: 'last_admin' };

export class AccountExistsError extends Error {
  constructor(name: string) {
    super(`account ${name} already exists`);
    this.name = 'AccountExistsError';
  }
}

const num = (v: unknown): number => Number(v);

function toAccount(row: SqlRow): Account {
  const role = row.role;
  if (!isHubRole(role)) throw new Error(`hub accounts: account ${String(row.name)} has an unknown role ${String(role)}`);
  return {
    name: String(row.name),
    role,
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    disabledAt: row.disabled_at === null || row.disabled_at === undefined ? null : num(row.disabled_at),
  };
}

const COLUMNS = 'name, role, created_at, updated_at, disabled_at';

/** Enabled admins other than the account named by $n: a change to that account may go only when there is one. */
const OTHER_ADMINS = (n: number): string => `(SELECT count(*) FROM hub_accounts WHERE role = 'admin' AND disabled_at IS NULL AND name_key <> $${n}) > 0`;

/**
 * The county's accounts (table hub_accounts, migration v6) through the store's plain-SQL port, the same statements
 * on SQLite and PostgreSQL. Passwords are kept as the box keeps them (node-daemon/auth/password.ts: scrypt with a
 * per-account salt). Every change that ends an account's right to act also ends its sessions, in the same transaction.
 */
export class AccountStore {
  #decoy: Promise<string> | undefined;

  constructor(
    private readonly sql: SqlPort,
    private readonly clock: () => number,
    private readonly cost: ScryptCost = DEFAULT_SCRYPT_COST,
  ) {}

  async count(): Promise<number> {
    const rows = await this.sql.all('SELECT count(*) AS n FROM hub_accounts');
    return num(rows[0]?.n ?? 0);
  }

  async list(): Promise<Account[]> {
    return (await this.sql.all(`SELECT ${COLUMNS} FROM hub_accounts ORDER BY created_at, name_key`)).map(toAccount);
  }

  async get(name: string): Promise<Account | undefined> {
    const row = (await this.sql.all(`SELECT ${COLUMNS} FROM hub_accounts WHERE name_key = $1`, [accountKey(name)]))[0];
    return row === undefined ? undefined : toAccount(row);
  }

  /** Throws AccountExistsError when the name is taken (in any case). */
  async create(name: string, password: string, role: HubRole): Promise<Account> {
    const hash = await hashPassword(password, this.cost);
    const now = this.clock();
    const rows = await this.sql.all(
      `INSERT INTO hub_accounts (name_key, name, role, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
       ON CONFLICT (name_key) DO NOTHING RETURNING ${COLUMNS}`,
      [accountKey(name), name, role, hash, now],
    );
    const row = rows[0];
    if (row === undefined) throw new AccountExistsError(name);
    return toAccount(row);
  }

  /**
   * The enabled account whose password this is. An unknown name costs the same scrypt time as a wrong password, and
   * so does a disabled account (its password is checked, then refused), so timing does not tell names apart.
   */
  async verify(name: string, password: string): Promise<Account | undefined> {
    const row = (await this.sql.all(`SELECT ${COLUMNS}, password_hash FROM hub_accounts WHERE name_key = $1`, [accountKey(name)]))[0];
    if (row === undefined) {
      this.#decoy ??= decoyHash(this.cost);
      await verifyPassword(password, await this.#decoy);
      return undefined;
    }
    const ok = await verifyPassword(password, String(row.password_hash));
    const account = toAccount(row);
    return ok && account.disabledAt === null ? account : undefined;
  }

  /**
   * Role, enabled state and password at once. Demoting or disabling the last enabled admin is refused. A new
   * password, a disabling or a role change ends the account's sessions (`keepSession`: the id hash of the caller's
   * own session, kept when they change their own password).
   */
  async change(name: string, change: AccountChange, keepSession?: string): Promise<ChangeResult> {
    const key = accountKey(name);
    const current = await this.get(name);
    if (current === undefined) return { status: 'not_found' };
    const now = this.clock();
    const losesAdmin = current.role === 'admin' && current.disabledAt === null && ((change.role !== undefined && change.role !== 'admin') || change.disabled === true);
    const hash = change.password === undefined ? undefined : await hashPassword(change.password, this.cost);
    const sets: string[] = ['updated_at = $2'];
    const args: (string | number | null)[] = [key, now];
    if (change.role !== undefined) {
      args.push(change.role);
      sets.push(`role = $${args.length}`);
    }
    if (change.disabled !== undefined) {
      args.push(change.disabled ? now : null);
      sets.push(`disabled_at = $${args.length}`);
    }
    if (hash !== undefined) {
      args.push(hash);
      sets.push(`password_hash = $${args.length}`);
    }
    // The last-admin rule is part of the UPDATE itself, so two admins demoting each other at once cannot both win.
    const guard = losesAdmin ? ` AND ${OTHER_ADMINS(1)}` : '';
    const endsSessions = change.password !== undefined || change.disabled === true || (change.role !== undefined && change.role !== current.role);
    const [updated] = await this.sql.batch([
      { sql: `UPDATE hub_accounts SET ${sets.join(', ')} WHERE name_key = $1${guard} RETURNING ${COLUMNS}`, args },
      ...(endsSessions
        ? [
            {
              sql: `DELETE FROM hub_sessions WHERE account_key = $1 AND id_hash <> $2 AND EXISTS (SELECT 1 FROM hub_accounts WHERE name_key = $1 AND updated_at = $3)`,
              args: [key, keepSession ?? '', now],
            },
          ]
        : []),
    ]);
    const row = updated?.[0];
    if (row === undefined) return losesAdmin ? { status: 'last_admin' } : { status: 'not_found' };
    return { status: 'updated', account: toAccount(row) };
  }
}
