import type { MigrationStep } from '../store/migration-step.js';

/**
 * v9: the index of the boxes' backups the hub holds (docs/sync.md "Backups to the hub"). The files live under
 * `<dataDir>/backups/<box>/<name>/`; a row is written when a backup is complete and verified, and deleted with its
 * folder when retention (hub config `backups.keep`) lets it go.
 */
export const BACKUPS_MIGRATION: MigrationStep = {
  version: 9,
  name: 'hub_box_backups: the boxes\' backups held under <dataDir>/backups (box, name, made, received, size, files, dbId, identity)',
  sql: [
    `CREATE TABLE hub_box_backups (
      box_id TEXT NOT NULL,
      name TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      received_at BIGINT NOT NULL,
      bytes BIGINT NOT NULL,
      files INTEGER NOT NULL,
      db_id TEXT,
      identity TEXT NOT NULL,
      fenghuo_version TEXT NOT NULL,
      schema_version INTEGER NOT NULL,
      PRIMARY KEY (box_id, name)
    ){noRowid}`,
  ],
};
