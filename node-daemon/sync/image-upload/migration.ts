import type { Migration } from '../../storage/migration.js';

/**
 * Box migration 17: what the county hub acknowledged of each camera picture (sync/image-upload; docs/sync.md "Camera
 * pictures to the hub"). `hub_links`: how many alarm links the picture had when the hub last acknowledged its
 * announcement (NULL: never announced; fewer than it has now: announced again). `hub_full_at`: when the hub
 * acknowledged its full image complete (NULL: not yet). `hub_refused`: why the box will not send it (a file missing or
 * larger than the hub takes); NULL for every picture that goes.
 */
export const IMAGE_UPLOAD_MIGRATION: Migration = {
  version: 17,
  name: 'camera images at the hub',
  up(db) {
    db.exec(`
      ALTER TABLE camera_images ADD COLUMN hub_links INTEGER;
      ALTER TABLE camera_images ADD COLUMN hub_full_at INTEGER;
      ALTER TABLE camera_images ADD COLUMN hub_refused TEXT;
      CREATE INDEX camera_images_hub_owed ON camera_images (hub_full_at, ts) WHERE hub_refused IS NULL;
    `);
  },
};
