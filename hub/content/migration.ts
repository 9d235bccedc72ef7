import type { MigrationStep } from '../store/migration-step.js';

/**
 * v5: the county's published content (docs/sync.md "Content"). One row per publication: the file's bytes live once
 * per sha256 under `<dataDir>/content/<sha256>`; a row says that those bytes go to `path` under a box's
 * `<data>/content/`, for every box (`to_boxes` NULL) or for the boxes listed (a JSON array). Publishing to a path
 * that is current replaces it (the old row gets `withdrawn_at`); at most one current row per path.
 */
export const CONTENT_MIGRATION: MigrationStep = {
  version: 5,
  name: 'hub_content_files: published content (sha256, size, path, title, media type, audience, who and when, withdrawn)',
  sql: [
    `CREATE TABLE hub_content_files (
      id {id},
      sha256 TEXT NOT NULL,
      size BIGINT NOT NULL,
      path TEXT NOT NULL,
      title TEXT,
      media_type TEXT,
      to_boxes TEXT,
      published_at BIGINT NOT NULL,
      by_name TEXT NOT NULL,
      withdrawn_at BIGINT
    )`,
    `CREATE UNIQUE INDEX hub_content_current_path ON hub_content_files (path) WHERE withdrawn_at IS NULL`,
    `CREATE INDEX hub_content_sha256 ON hub_content_files (sha256)`,
  ],
};
