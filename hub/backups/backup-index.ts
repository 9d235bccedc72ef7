import type { SqlPort, SqlRow } from '../store/sql-port.js';

/** One backup of a box the hub holds (hub_box_backups, migration.ts); its files are under `<dataDir>/backups/<box>/<name>/`. */
export interface HeldBackup {
  readonly name: string;
  /** When the box made it (the manifest's createdAt, box clock). */
  readonly createdAt: number;
  /** When its last file arrived and verified (hub clock). */
  readonly receivedAt: number;
  readonly bytes: number;
  readonly files: number;
  readonly dbId: string | null;
  /** The manifest's identity state: `encrypted`, `omitted-no-passphrase` or `none` (never in clear). */
  readonly identity: string;
  readonly fenghuoVersion: string;
  readonly schemaVersion: number;
}

const COLUMNS = 'name, created_at, received_at, bytes, files, db_id, identity, fenghuo_version, schema_version';

function toHeld(r: SqlRow): HeldBackup {
  return {
    name: String(r.name),
    createdAt: Number(r.created_at),
    receivedAt: Number(r.received_at),
    bytes: Number(r.bytes),
    files: Number(r.files),
    dbId: r.db_id === null || r.db_id === undefined ? null : String(r.db_id),
    identity: String(r.identity),
    fenghuoVersion: String(r.fenghuo_version),
    schemaVersion: Number(r.schema_version),
  };
}

/** The index of held backups, through the plain-SQL port (same statements on SQLite and PostgreSQL). */
export class HubBackupIndex {
  constructor(private readonly sql: SqlPort) {}

  async put(box: string, b: HeldBackup): Promise<void> {
    await this.sql.run(
      `INSERT INTO hub_box_backups (box_id, ${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (box_id, name) DO UPDATE SET created_at = excluded.created_at, received_at = excluded.received_at, bytes = excluded.bytes,
         files = excluded.files, db_id = excluded.db_id, identity = excluded.identity, fenghuo_version = excluded.fenghuo_version, schema_version = excluded.schema_version`,
      [box, b.name, b.createdAt, b.receivedAt, b.bytes, b.files, b.dbId, b.identity, b.fenghuoVersion, b.schemaVersion],
    );
  }

  /** The box's backups, newest (by name: the box's UTC time of making) first. */
  async list(box: string): Promise<HeldBackup[]> {
    return (await this.sql.all(`SELECT ${COLUMNS} FROM hub_box_backups WHERE box_id = $1 ORDER BY name DESC`, [box])).map(toHeld);
  }

  async get(box: string, name: string): Promise<HeldBackup | undefined> {
    const rows = await this.sql.all(`SELECT ${COLUMNS} FROM hub_box_backups WHERE box_id = $1 AND name = $2`, [box, name]);
    return rows[0] === undefined ? undefined : toHeld(rows[0]);
  }

  async remove(box: string, name: string): Promise<void> {
    await this.sql.run('DELETE FROM hub_box_backups WHERE box_id = $1 AND name = $2', [box, name]);
  }
}
